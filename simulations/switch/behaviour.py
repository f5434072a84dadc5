"""What the people and machines behind simulated channels do.

A callee follows its ``CalleeFate`` (drawn from the population model when it is dialed):
LIVE/MACHINE answer after ``answer_after`` unless that exceeds the originate timeout (then
NO_ANSWER at the timeout); BUSY → USER_BUSY; FAILED → a network or number failure; a person
who hears silence hangs up after ``patience``; a bridged person talks ``talk_time`` then hangs
up; during a played message a person may press a key to opt out. A machine plays its greeting
(``talk_time``) and records until ``machine_record_limit``.

An agent's phone answers a nailed-up leg at once and stays parked; when a bridged customer
hangs up, the agent leg goes back to park (``park_after_bridge``) instead of hanging up.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simulations.population import CalleeFate, CalleeKind

if TYPE_CHECKING:
    from simulations.switch.channel import Channel
    from simulations.switch.switch import Switch

_FAILURE_CAUSES = ("NORMAL_TEMPORARY_FAILURE", "UNALLOCATED_NUMBER", "RECOVERY_ON_TIMER_EXPIRE",
                   "NO_ROUTE_DESTINATION")
_FAILURE_WEIGHTS = (0.5, 0.3, 0.1, 0.1)


def _timeout(channel: Channel) -> float:
    for name in ("originate_timeout", "leg_timeout", "call_timeout"):
        value = channel.variables.get(name)
        if value:
            try:
                return float(value)
            except ValueError:
                continue
    return 60.0  # originate's default timeout


class CalleeBehaviour:
    """Drives one dialed customer leg from its fate."""

    def __init__(self, switch: Switch, channel: Channel, fate: CalleeFate) -> None:
        self.switch = switch
        self.fate = fate
        self.in_silence = False
        channel.behaviour = self
        self._start(channel)

    def _start(self, channel: Channel) -> None:
        switch, fate = self.switch, self.fate
        timeout = _timeout(channel)
        delay = switch.settings.progress_delay
        quick_failure = fate.kind in (CalleeKind.FAILED, CalleeKind.BUSY) and (
            fate.answer_after <= delay)
        if not quick_failure and delay < timeout:
            switch.later(channel, delay, lambda: switch.ring(channel))
            if switch.rng.random() < switch.settings.early_media_probability:
                switch.later(channel, delay + 0.2, lambda: switch.early_media(channel))
        if fate.kind in (CalleeKind.LIVE, CalleeKind.MACHINE) and fate.answer_after <= timeout:
            switch.later(channel, fate.answer_after, lambda: self._answered(channel))
        elif fate.kind is CalleeKind.BUSY and fate.answer_after <= timeout:
            switch.later(channel, fate.answer_after,
                         lambda: switch.hangup(channel, "USER_BUSY", "recv_refuse"))
        elif fate.kind is CalleeKind.FAILED and fate.answer_after <= timeout:
            cause = switch.rng.choices(_FAILURE_CAUSES, _FAILURE_WEIGHTS)[0]
            switch.later(channel, fate.answer_after,
                         lambda: switch.hangup(channel, cause, "recv_refuse"))
        else:
            switch.later(channel, timeout,
                         lambda: switch.hangup(channel, "NO_ANSWER", "send_cancel"))

    def greeting_left(self, channel: Channel) -> float | None:
        """Seconds until a machine's greeting ends (its beep); ``None`` for a person."""
        if self.fate.kind is not CalleeKind.MACHINE or not channel.answered:
            return None
        elapsed = (self.switch.bus.now_us() - channel.answered_us) / 1_000_000
        return max(0.0, self.fate.talk_time - elapsed)

    def _answered(self, channel: Channel) -> None:
        switch = self.switch
        switch.answer(channel)
        if self.fate.kind is CalleeKind.MACHINE:
            limit = self.fate.talk_time + switch.settings.machine_record_limit
            switch.later(channel, limit, lambda: switch.hangup(channel, "NORMAL_CLEARING"))
        else:
            self._silence(channel)
        on_answer = channel.variables.get("execute_on_answer", "")
        if on_answer.split(" ", 1)[0] in ("amd", "mod_amd"):
            self.run_amd(channel, on_answer.split(" ", 1)[0])

    def _silence(self, channel: Channel) -> None:
        """A person who answered and hears nobody hangs up after ``patience``."""
        self.in_silence = True
        patience = self.fate.patience
        if math.isfinite(patience):
            def give_up() -> None:
                if self.in_silence and channel.other is None:
                    self.switch.hangup(channel, "NORMAL_CLEARING")
            self.switch.later(channel, patience, give_up)

    def bridged(self, channel: Channel) -> None:
        self.in_silence = False
        if self.fate.kind is CalleeKind.LIVE:
            self.switch.later(channel, self.fate.talk_time,
                              lambda: self.switch.hangup(channel, "NORMAL_CLEARING"))

    def partner_left(self, channel: Channel) -> None:
        # A customer whose agent hung up is left in silence; FreeSWITCH hangs the leg up
        # (hangup_after_bridge, the dialer's default).
        self.switch.hangup(channel, "NORMAL_CLEARING", "send_bye")

    def playback_started(self, channel: Channel, duration: float) -> None:
        self.in_silence = False
        settings = self.switch.settings
        if (self.fate.kind is CalleeKind.LIVE
                and self.switch.rng.random() < settings.opt_out_probability):
            at = self.switch.rng.uniform(min(1.0, duration / 2), max(duration - 0.5, 0.1))
            self.switch.later(channel, at,
                              lambda: self.switch.dtmf(channel, settings.opt_out_digit))

    def playback_finished(self, channel: Channel) -> None:
        if self.fate.kind is CalleeKind.LIVE and channel.other is None:
            self._silence(channel)

    def run_amd(self, channel: Channel, application: str = "amd") -> None:
        """mod_amd (seanbright variant): after the analysis, ``amd_result``/``amd_cause`` are
        set and reported on the CHANNEL_EXECUTE_COMPLETE of application ``amd``."""
        switch, settings = self.switch, self.switch.settings
        switch.execute(channel, application, "")
        is_machine = self.fate.kind is CalleeKind.MACHINE
        wrong = switch.rng.random() < (settings.amd_false_negative if is_machine
                                       else settings.amd_false_positive)
        result = "MACHINE" if is_machine != wrong else "HUMAN"
        cause = ("LONGGREETING" if is_machine else "MAXWORDS") if result == "MACHINE" else "HUMAN"

        def decided() -> None:
            channel.variables["amd_result"] = result
            channel.variables["amd_cause"] = cause
            switch.execute_complete(channel, application, "")
            switch.park(channel)

        switch.later(channel, settings.amd_detect_time, decided)


class AgentBehaviour:
    """An agent phone on a nailed-up leg: answers at once, parks, returns to park."""

    def __init__(self, switch: Switch, channel: Channel) -> None:
        self.switch = switch
        channel.behaviour = self
        switch.later(channel, switch.settings.progress_delay / 4, lambda: switch.ring(channel))
        switch.later(channel, switch.settings.agent_answer_delay, lambda: switch.answer(channel))

    def bridged(self, channel: Channel) -> None:
        pass

    def partner_left(self, channel: Channel) -> None:
        self.switch.park(channel)

    def playback_started(self, channel: Channel, duration: float) -> None:
        pass

    def playback_finished(self, channel: Channel) -> None:
        self.switch.park(channel)

    def run_amd(self, channel: Channel, application: str = "amd") -> None:
        self.switch.execute(channel, application, "")
        channel.variables.update(amd_result="HUMAN", amd_cause="HUMAN")
        self.switch.execute_complete(channel, application, "")
