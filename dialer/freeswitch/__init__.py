"""The FreeSWITCH adapter: engine commands to API command lines, ESL events to engine events.

Sans-I/O like the engine: the runner sends what ``api_calls`` returns (``bgapi`` when
``ApiCall.background``) and feeds every received event's decoded headers to ``events``.
"""

from __future__ import annotations

from collections.abc import Iterable

from dialer.commands import Command, OriginateAgentLeg
from dialer.events import AgentLegDown, Event
from dialer.freeswitch.api import AdapterError, ApiCall, DialPlan, channel_value, render
from dialer.freeswitch.events import Headers, to_engine_events

__all__ = [
    "AdapterError",
    "ApiCall",
    "DialPlan",
    "FreeSwitchAdapter",
    "channel_value",
    "render",
    "to_engine_events",
]

EVENT_SUBSCRIPTION = (
    "CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_BRIDGE "
    "CHANNEL_HANGUP_COMPLETE CHANNEL_EXECUTE_COMPLETE DTMF PLAYBACK_STOP BACKGROUND_JOB "
    "CUSTOM avmd::beep amd::info"
)
"""The events the adapter maps: the runner subscribes with ``event plain <this>``."""


class FreeSwitchAdapter:
    """Translation for one switch, remembering which channel ids are agents' legs."""

    def __init__(self, plan: DialPlan | None = None) -> None:
        self.plan = plan or DialPlan()
        self.agent_legs: dict[str, str] = {}
        """Agent leg id → agent id (learned from the originates the adapter renders)."""
        self.job_calls: dict[str, str] = {}
        """Job-UUID → call id, when the runner registers its bgapi jobs."""

    def api_calls(self, commands: Iterable[Command]) -> list[ApiCall]:
        calls = []
        for command in commands:
            if isinstance(command, OriginateAgentLeg):
                self.agent_legs[command.agent_leg_id] = command.agent_id
            call = render(command, self.plan)
            if call is not None:
                calls.append(call)
        return calls

    def register_job(self, job_uuid: str, call_id: str) -> None:
        self.job_calls[job_uuid] = call_id

    def events(
        self, headers: Headers, body: str | None = None, *, at: float | None = None
    ) -> list[Event]:
        events = to_engine_events(
            headers, body, at=at, job_calls=self.job_calls, agent_legs=self.agent_legs
        )
        if headers.get("Event-Name") == "BACKGROUND_JOB":
            job = headers.get("Job-UUID")
            if job is not None:
                self.job_calls.pop(job, None)
        for event in events:
            if isinstance(event, AgentLegDown):
                # An agent has one nailed-up leg at a time; a new login renders a new one.
                for leg, agent in list(self.agent_legs.items()):
                    if agent == event.agent_id:
                        del self.agent_legs[leg]
        return events
