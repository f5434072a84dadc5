"""One ``originate``: from the API call to its job result, with the races a real switch has.

What mod_commands' originate does after the far end answers: ``switch_ivr_originate`` returns
a few ms later (``originate_return_delay``), the API writes ``+OK <uuid>`` (the bgapi thread
fires BACKGROUND_JOB), then the channel's own thread runs the ``&app()`` (``park``). A
``uuid_bridge`` that arrives in between meets one of two races, both seen on a real
FreeSWITCH 1.11 (issue 17):

1. before the originate returned: the bridge is made, but the originate then reports
   ``-ERR ORIGINATOR_CANCEL`` (CHANNEL_BRIDGE follows the job result) although the call is up;
2. after the job result, before the park started: both commands said ``+OK``, then the park
   runs on the customer leg and the bridge never happens (no CHANNEL_BRIDGE); the agent's leg
   goes back to park.

With early media and ``ignore_early_media`` unset the originate returns at the 183 and parks
the leg while it is still ringing (flow 17). A failed originate still produced a channel:
the job's ``-ERR CAUSE`` comes after the a-leg's CHANNEL_HANGUP_COMPLETE, except when the
originate itself gave up (NO_ANSWER: between CHANNEL_HANGUP and HANGUP_COMPLETE; flows 04).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulations.switch.channel import Channel
    from simulations.switch.switch import Switch


BLOCKING_APPLICATIONS = frozenset({"amd", "mod_amd", "wait_for_silence"})


class JobResult:
    """The output an ``originate`` ends with (``+OK <uuid>\\n`` or ``-ERR <CAUSE>\\n``)."""

    def __init__(self) -> None:
        self.value: str | None = None
        self._callbacks: list[Callable[[str], None]] = []

    def add_callback(self, callback: Callable[[str], None]) -> None:
        if self.value is not None:
            callback(self.value)
        else:
            self._callbacks.append(callback)

    def set(self, value: str) -> None:
        if self.value is not None:
            return
        self.value = value
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(value)


class Phase(StrEnum):
    DIALING = "dialing"
    ANSWERED = "answered"    # answered (or early media): the originate is returning
    RETURNED = "returned"    # the job result is out; the application has not started
    HELD = "held"            # returned, but a detector holds the channel before the park
    RUNNING = "running"      # the application (park) runs: uuid_bridge is safe now
    ENDED = "ended"


class Origination:
    """The originate of ``a_leg``, running ``application(data)`` once it succeeds."""

    def __init__(self, switch: Switch, a_leg: Channel, application: str, data: str) -> None:
        self.switch = switch
        self.a_leg = a_leg
        self.application = application
        self.data = data
        self.result = JobResult()
        self.phase = Phase.DIALING
        self.ignore_early_media = a_leg.variables.get("ignore_early_media") == "true"
        self.pending_bridge: Channel | None = None
        self.lost_bridge: Channel | None = None
        self._failure_at_complete: str | None = None
        a_leg.origination = self

    # --- from the switch -------------------------------------------------------------------

    def answered(self) -> None:
        if self.phase is Phase.DIALING:
            self._returning()

    def early_media(self) -> None:
        if self.phase is Phase.DIALING and not self.ignore_early_media:
            self._returning()

    def _returning(self) -> None:
        self.phase = Phase.ANSWERED
        switch = self.switch
        switch.later(self.a_leg, switch.delay("originate_return_delay"), self._return)

    def _return(self) -> None:
        a_leg, switch = self.a_leg, self.switch
        if not a_leg.alive or self.phase is not Phase.ANSWERED:
            return
        partner = self.pending_bridge
        if partner is not None:
            # Race 1: the channel was taken by uuid_bridge while originate still owned it.
            self.phase = Phase.ENDED
            self.result.set("-ERR ORIGINATOR_CANCEL\n")
            switch.later(a_leg, 0.0005, lambda: switch.bridge(a_leg, partner))
            return
        self.phase = Phase.RETURNED
        self.result.set(f"+OK {a_leg.uuid}\n")
        switch.later(a_leg, switch.delay("app_start_delay"), self._start_application)

    def _start_application(self) -> None:
        a_leg, switch = self.a_leg, self.switch
        if not a_leg.alive or self.phase is not Phase.RETURNED:
            return
        if a_leg.application in BLOCKING_APPLICATIONS:
            # A detector holds the channel's thread (execute_on_answer): the park waits.
            self.phase = Phase.HELD
            switch.media.originate_returned(a_leg)
            return
        self._run_application()

    def blocking_done(self) -> None:
        """The blocking application ended: the originate's own application runs now."""
        if self.phase is Phase.HELD and self.a_leg.alive:
            self._run_application()

    def _run_application(self) -> None:
        a_leg, switch = self.a_leg, self.switch
        self.phase = Phase.RUNNING
        switch.set_state(a_leg, "CS_EXECUTE")
        if self.application == "playback":
            switch.media.playback(a_leg, self.data, "NORMAL_CLEARING")
        else:
            switch.execute(a_leg, self.application or "park", self.data)
        switch.media.originate_returned(a_leg)
        lost, self.lost_bridge = self.lost_bridge, None
        if lost is not None and lost.alive and lost.other is None:
            # Race 2: the park pre-empted the bridge; the other leg returns to park.
            switch.return_to_park(lost)

    def hung_up(self, channel: Channel) -> None:
        """The a-leg's CHANNEL_HANGUP was fired (before its HANGUP_COMPLETE)."""
        if channel is not self.a_leg or self.phase not in (Phase.DIALING, Phase.ANSWERED):
            return
        self.phase = Phase.ENDED
        cause = channel.hangup_cause or "NORMAL_CLEARING"
        if cause == "NO_ANSWER":
            self.result.set(f"-ERR {cause}\n")  # the originate itself gave up
        else:
            self._failure_at_complete = f"-ERR {cause}\n"

    def completed(self, channel: Channel) -> None:
        """The a-leg's CHANNEL_HANGUP_COMPLETE was fired."""
        if channel is self.a_leg and self._failure_at_complete is not None:
            self.result.set(self._failure_at_complete)
            self._failure_at_complete = None

    # --- from the API ----------------------------------------------------------------------

    def intercepts_bridge(self, other: Channel) -> bool:
        """``uuid_bridge`` names this leg: True if the originate's race takes the bridge."""
        if self.phase is Phase.ANSWERED:
            self.pending_bridge = other
            return True
        if self.phase is Phase.RETURNED:
            self.lost_bridge = other
            self.switch.unpark(other)
            return True
        return False

