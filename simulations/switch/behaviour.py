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
    """Drives one dialed customer (the a-leg; a loopback b-leg follows the a-leg's fate)."""

    def __init__(self, switch: Switch, channel: Channel, fate: CalleeFate) -> None:
        self.switch = switch
        self.fate = fate
        self.in_silence = False
        channel.behaviour = self
        switch.truth.dialed(channel.uuid, fate.kind)
        self._start(channel)

    def _start(self, channel: Channel) -> None:
        switch, fate = self.switch, self.fate
        timeout = _timeout(channel)
        delay = switch.delay("progress_delay")
        early = getattr(fate, "early_media_after", None)
        rings = getattr(fate, "rings", None)
        scripted = rings is not None
        if not scripted:
            rings = not (fate.kind in (CalleeKind.FAILED, CalleeKind.BUSY)
                         and fate.answer_after <= delay)
        elif rings:
            delay = 0.02  # the test dialplan rings at once (ring_ready)
        if rings and delay < timeout:
            switch.later(channel, delay, lambda: switch.ring(channel))
            if not scripted and switch.rng.random() < switch.settings.early_media_probability:
                early = delay + 0.2
        if early is not None and early < min(timeout, fate.answer_after):
            switch.later(channel, early, lambda: switch.early_media(channel))
        if fate.kind in (CalleeKind.LIVE, CalleeKind.MACHINE) and fate.answer_after <= timeout:
            switch.later(channel, fate.answer_after, lambda: self._answered(channel))
        elif fate.kind is CalleeKind.BUSY and fate.answer_after <= timeout:
            switch.later(channel, fate.answer_after, lambda: switch.remote_hangup(
                channel, getattr(fate, "cause", None) or "USER_BUSY", "recv_refuse"))
        elif fate.kind is CalleeKind.FAILED and fate.answer_after <= timeout:
            cause = getattr(fate, "cause", None) or switch.rng.choices(
                _FAILURE_CAUSES, _FAILURE_WEIGHTS)[0]
            switch.later(channel, fate.answer_after,
                         lambda: switch.remote_hangup(channel, cause, "recv_refuse"))
        else:
            # The originate gives up (originate_timeout): the dialer's side cancels first.
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
        switch.truth.answered(channel.uuid, switch.clock())
        switch.answer(channel)
        if not channel.alive:
            return
        if self.fate.kind is CalleeKind.MACHINE:
            limit = self.fate.talk_time + 0.8 + switch.settings.machine_record_limit
            switch.later(channel, limit, lambda: switch.remote_hangup(channel, "NORMAL_CLEARING"))
        else:
            self._silence(channel)
        for after, digits in getattr(self.fate, "dtmf", ()):
            for digit in digits:
                switch.later(channel, after, lambda d=digit: switch.media.dtmf(channel, d))

    def _silence(self, channel: Channel) -> None:
        """A person who answered and hears nobody hangs up after ``patience``."""
        self.in_silence = True
        patience = self.fate.patience
        if math.isfinite(patience):
            def give_up() -> None:
                if self.in_silence and channel.other is None:
                    self.switch.remote_hangup(channel, "NORMAL_CLEARING")
            self.switch.later(channel, patience, give_up)

    def bridged(self, channel: Channel) -> None:
        self.in_silence = False
        if self.fate.kind is CalleeKind.LIVE and math.isfinite(self.fate.talk_time):
            self.switch.later(channel, self.fate.talk_time,
                              lambda: self.switch.remote_hangup(channel, "NORMAL_CLEARING"))

    def partner_left(self, channel: Channel) -> None:
        # A customer whose agent hung up is left in silence; FreeSWITCH hangs the leg up
        # (hangup_after_bridge, the dialer's default).
        if channel.variables.get("hangup_after_bridge", "true") == "true":
            self.switch.hangup(channel, "NORMAL_CLEARING", "send_bye")

    def playback_started(self, channel: Channel, duration: float) -> None:
        self.in_silence = False
        settings = self.switch.settings
        if (self.fate.kind is CalleeKind.LIVE
                and self.switch.rng.random() < settings.opt_out_probability):
            at = self.switch.rng.uniform(min(1.0, duration / 2), max(duration - 0.5, 0.1))
            self.switch.later(channel,
                              at, lambda: self.switch.media.dtmf(channel, settings.opt_out_digit))

    def playback_finished(self, channel: Channel) -> None:
        if self.fate.kind is CalleeKind.LIVE and channel.other is None:
            self._silence(channel)

    def run_amd(self, channel: Channel, application: str = "amd") -> None:
        """mod_amd (seanbright variant): after the analysis, ``amd_result``/``amd_cause`` are
        set and reported on the CHANNEL_EXECUTE_COMPLETE of application ``amd``; the leg's
        own application (park) runs after it (amd blocks the channel's thread)."""
        switch, settings = self.switch, self.switch.settings
        is_machine = self.fate.kind is CalleeKind.MACHINE
        wrong = switch.rng.random() < (settings.amd_false_negative if is_machine
                                       else settings.amd_false_positive)
        result = "MACHINE" if is_machine != wrong else "HUMAN"
        cause = ("LONGGREETING" if is_machine else "MAXWORDS") if result == "MACHINE" else "HUMAN"

        switch.media.run_blocking(channel, application, "", settings.amd_detect_time,
                                  {"amd_result": result, "amd_cause": cause})

    def greeting_seconds(self, channel: Channel) -> float | None:
        """How long the answering party talks before pausing: a person's "Hello?" (now and
        then a long one), a machine's whole greeting; None for dead air."""
        if self.fate.kind is CalleeKind.MACHINE:
            return self.fate.talk_time
        if not math.isfinite(self.fate.talk_time) and not math.isfinite(self.fate.patience):
            return None  # the test dialplan's dead air (X = 7)
        rng = self.switch.rng
        if rng.random() < self.switch.settings.long_hello_probability:
            return rng.uniform(3.0, 5.0)
        return rng.uniform(0.4, 1.2)


class AgentBehaviour:
    """An agent phone on a nailed-up leg: answers at once, parks, returns to park.

    A ``loopback/agent-NAME/agents`` leg answers without ringing (its b-leg runs
    ``answer`` then ``park``, flow 05); a SIP phone (``user/1001``) rings first.
    """

    def __init__(self, switch: Switch, channel: Channel) -> None:
        self.switch = switch
        channel.behaviour = self
        if channel.loopback is None:
            switch.later(channel, switch.delay("progress_delay") / 4,
                         lambda: switch.ring(channel))
        switch.later(channel, switch.delay("agent_answer_delay"), lambda: switch.answer(channel))

    def bridged(self, channel: Channel) -> None:
        pass

    def partner_left(self, channel: Channel) -> None:
        if channel.alive and not channel.parked:
            if channel.variables.get("park_after_bridge") == "true":
                self.switch.return_to_park(channel)
            else:
                self.switch.hangup(channel, "NORMAL_CLEARING", "send_bye")

    def playback_started(self, channel: Channel, duration: float) -> None:
        pass

    def playback_finished(self, channel: Channel) -> None:
        pass

    def run_amd(self, channel: Channel, application: str = "amd") -> None:
        self.switch.execute(channel, application, "")
        channel.variables.update(amd_result="HUMAN", amd_cause="HUMAN")
        self.switch.execute_complete(channel, application, "")
