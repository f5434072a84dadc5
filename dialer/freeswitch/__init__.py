"""The FreeSWITCH adapter: engine commands to API command lines, ESL events to engine events.

Sans-I/O like the engine: the runner sends what ``api_calls`` returns (``bgapi`` when
``ApiCall.background``) and feeds every received event's decoded headers to ``events``.
The event side is stateful (``stories.SwitchCalls``): the legs it rendered originates for are
the ones it reports on, and each call's events and job result are read as one story.
"""

from __future__ import annotations

from collections.abc import Iterable

from dialer.commands import Command, Originate, OriginateAgentLeg
from dialer.events import Event
from dialer.freeswitch.api import (
    AdapterError,
    ApiCall,
    DialPlan,
    MachineDetector,
    channel_value,
    detector_variables,
    render,
)
from dialer.freeswitch.events import event_time
from dialer.freeswitch.stories import Headers, SwitchCalls, job_failure_cause

__all__ = [
    "SUBSCRIPTION",
    "AdapterError",
    "ApiCall",
    "DialPlan",
    "FreeSwitchAdapter",
    "MachineDetector",
    "SwitchCalls",
    "channel_value",
    "detector_variables",
    "event_time",
    "job_failure_cause",
    "render",
]

SUBSCRIPTION = (
    "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER", "CHANNEL_PARK",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE_COMPLETE", "DTMF", "PLAYBACK_START", "PLAYBACK_STOP", "BACKGROUND_JOB",
    "CUSTOM avmd::beep amd::info mod_amd::info",
)
"""The events the adapter reads (``EslClient(events=SUBSCRIPTION)``): the beep detector's
and mod_amd forks' events are CUSTOM subclasses, which FreeSWITCH delivers only to a
listener that names them."""


class FreeSwitchAdapter:
    """Translation for one switch (or several: channel UUIDs are unique across them)."""

    def __init__(self, plan: DialPlan | None = None) -> None:
        self.plan = plan or DialPlan()
        self.legs = SwitchCalls()

    @property
    def agent_legs(self) -> dict[str, str]:
        """Agent leg id → agent id, for the legs the adapter follows."""
        return {leg_id: leg.agent_id for leg_id, leg in self.legs.agent_legs.items()}

    def api_calls(self, commands: Iterable[Command]) -> list[ApiCall]:
        calls = []
        for command in commands:
            call = render(command, self.plan)
            if call is None:
                continue
            if isinstance(command, Originate):
                self.legs.track_call(command.call_id)
            elif isinstance(command, OriginateAgentLeg):
                self.legs.track_agent_leg(command.agent_leg_id, command.agent_id)
            calls.append(call)
        return calls

    def register_job(self, job_uuid: str, call: ApiCall | str) -> None:
        """Whose ``bgapi`` job this is, before it is sent (its result may come first)."""
        if isinstance(call, str):
            self.legs.jobs[job_uuid] = call
        elif call.agent_leg_id is not None and call.command.startswith("uuid_bridge"):
            self.legs.track_bridge(job_uuid, call.call_id or "", call.agent_id or "",
                                   call.agent_leg_id)
        elif call.call_id is not None:
            self.legs.jobs[job_uuid] = call.call_id

    def events(
        self, headers: Headers, body: str | None = None, *, at: float | None = None
    ) -> list[Event]:
        if body is None:
            body = getattr(headers, "body", None)
        when = event_time(headers) if at is None else at
        return self.legs.events(headers, body, when)

    def notes(self) -> list[str]:
        """What the operator should hear since the last call (then forgotten)."""
        notes, self.legs.notes = self.legs.notes, []
        return notes
