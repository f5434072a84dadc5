"""A simulated FreeSWITCH channel and the header blocks FreeSWITCH attaches to its events.

Header names and order follow ``switch_channel_event_set_basic_data`` and
``switch_caller_profile_event_set_data`` (reference §2.1; compared against the captured
CHANNEL_* events in tests/fixtures/esl): core headers, then ``Channel-State`` … ``Answer-State``
[``Hangup-Cause``], codecs once media is up, the ``Caller-*`` profile, ``Other-Type`` and
``Other-Leg-*`` when a partner is known, then ``variable_*`` for the event types that carry
variables (never CHANNEL_STATE, CHANNEL_CALLSTATE, DTMF).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dialer.esl.event import Header

# switch_channel_state_t numbers (switch_types.h).
STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
    "CS_NONE": 0,  # a loopback leg before its session runs (its CODEC events, flow 03)
}

# Events that carry ``variable_*`` (switch_channel_event_set_extended_data).
EXTENDED_EVENTS = frozenset({
    "CHANNEL_CREATE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_ANSWER", "CHANNEL_PARK",
    "CHANNEL_UNPARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DATA",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_DESTROY", "RECORD_START",
    "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CUSTOM", "API", "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
})

_PROFILE_TIMES = ("Profile-Created-Time", "Channel-Created-Time", "Channel-Answered-Time",
                  "Channel-Progress-Time", "Channel-Progress-Media-Time", "Channel-Hangup-Time",
                  "Channel-Transfer-Time", "Channel-Resurrect-Time", "Channel-Bridged-Time",
                  "Channel-Last-Hold", "Channel-Hold-Accum")


class Role(StrEnum):
    """Who is on the far end of a leg in the simulation."""

    CALLEE = "callee"  # a dialed customer number (sofia/gateway/...)
    AGENT = "agent"    # an agent's phone (user/..., sofia/internal/..., loopback/...)


@dataclass(eq=False)
class Channel:
    """Mutable state of one leg. Times are microseconds since the epoch (0 = not reached)."""

    uuid: str
    name: str
    role: Role
    direction: str
    caller_id_name: str
    caller_id_number: str
    destination: str
    created_us: int
    variables: dict[str, str] = field(default_factory=dict)
    state: str = "CS_INIT"
    call_state: str = "DOWN"
    answer_state: str = "ringing"
    hangup_cause: str | None = None
    progress_us: int = 0
    answered_us: int = 0
    bridged_us: int = 0
    hangup_us: int = 0
    other: Channel | None = None
    other_type: str | None = None     # "originator" | "originatee"
    application: str = ""
    application_data: str = ""
    recording: str | None = None
    media_up: bool = False
    job_uuid: str | None = None
    behaviour: object = None          # the far end's script (simulations.switch.behaviour)
    loopback: Channel | None = None   # the other leg of a mod_loopback pair
    context: str = ""                 # the dialplan context a loopback b-leg runs
    origination: object = None        # the originate that created this a-leg (origination.py)
    parked: bool = False              # in park (executed, or CS_PARK after a bridge)
    last_other: Channel | None = None  # the partner of the last bridge (Other-Leg-* stays)
    last_other_type: str | None = None
    shown_caller: tuple[str, str] | None = None
    """(name, number) the caller-ID fields show once FreeSWITCH updated them (None: the
    originate's): an answered outbound leg shows its far end (CALL_UPDATE), a bridged leg
    its partner's (README "Surprises" 11)."""
    shown_callee: tuple[str, str] | None = None
    """(name, number) of the Callee-ID fields (None: the destination, before the answer)."""
    callee_context: str = ""
    """A loopback leg's context, which its Callee-ID names before the answer."""
    create_late: bool = False
    """Hostile: the leg's CHANNEL_CREATE comes after its CHANNEL_ANSWER (flow 10)."""
    _profile_cache: tuple[int, list[Header]] | None = None

    @property
    def answered(self) -> bool:
        return self.answered_us > 0

    @property
    def alive(self) -> bool:
        return self.hangup_cause is None

    def callee(self) -> tuple[str, str]:
        """The Callee-ID (name, number) before any update: a loopback leg names its context
        (``Outbound Call``, ``callees``), a SIP leg the number it dials."""
        if self.shown_callee is not None:
            return self.shown_callee
        if self.callee_context:
            return ("Outbound Call", self.callee_context)
        return (self.destination, self.destination)

    def _profile(self, prefix: str) -> list[Header]:
        caller_name, caller_number = self.shown_caller or (self.caller_id_name,
                                                           self.caller_id_number)
        callee_name, callee_number = self.callee()
        rows: list[Header] = [
            (f"{prefix}Direction", self.direction),
            (f"{prefix}Logical-Direction", self.direction),
            (f"{prefix}Username", self.caller_id_number),
            (f"{prefix}Dialplan", "XML"),
            (f"{prefix}Caller-ID-Name", caller_name),
            (f"{prefix}Caller-ID-Number", caller_number),
            (f"{prefix}Orig-Caller-ID-Name", self.caller_id_name),
            (f"{prefix}Orig-Caller-ID-Number", self.caller_id_number),
            (f"{prefix}Callee-ID-Name", callee_name),
            (f"{prefix}Callee-ID-Number", callee_number),
            (f"{prefix}Network-Addr", "127.0.0.1"),
            (f"{prefix}ANI", self.caller_id_number),
            (f"{prefix}Destination-Number", self.destination),
            (f"{prefix}Unique-ID", self.uuid),
            (f"{prefix}Source", "src/switch_ivr_originate.c"),
            (f"{prefix}Context", "default"),
            (f"{prefix}Channel-Name", self.name),
            (f"{prefix}Profile-Index", "1"),
        ]
        times = (self.created_us, self.created_us, self.answered_us, self.progress_us, 0,
                 self.hangup_us, 0, 0, self.bridged_us, 0, 0)
        rows.extend((f"{prefix}{name}", str(value)) for name, value in
                    zip(_PROFILE_TIMES, times, strict=True))
        rows.append((f"{prefix}Screen-Bit", "true"))
        rows.append((f"{prefix}Privacy-Hide-Name", "false"))
        rows.append((f"{prefix}Privacy-Hide-Number", "false"))
        return rows

    def profile(self) -> list[Header]:
        key = hash((self.answered_us, self.progress_us, self.hangup_us, self.bridged_us,
                    self.shown_caller, self.shown_callee))
        if self._profile_cache is None or self._profile_cache[0] != key:
            self._profile_cache = (key, self._profile("Caller-"))
        return self._profile_cache[1]

    def block(self, event_name: str, target_state: str | None = None) -> list[Header]:
        """The channel headers of an event named ``event_name``.

        ``target_state``: the state being entered (CHANNEL_HANGUP reports the running state in
        ``Channel-State`` and the new one in ``Channel-State-Number``, as captured).
        """
        headers: list[Header] = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(STATE_NUMBERS[target_state or self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "false"),
            ("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)),
            ("Answer-State", self.answer_state),
        ]
        if self.hangup_cause is not None:
            headers.append(("Hangup-Cause", self.hangup_cause))
        if self.media_up:
            headers += [("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
                        ("Channel-Read-Codec-Bit-Rate", "64000"),
                        ("Channel-Write-Codec-Name", "PCMU"),
                        ("Channel-Write-Codec-Rate", "8000"),
                        ("Channel-Write-Codec-Bit-Rate", "64000")]
        headers += self.profile()
        other, other_type = self.other, self.other_type
        if other is None:
            other, other_type = self.last_other, self.last_other_type
        if other is not None and other_type is not None:
            headers.append(("Other-Type", other_type))
            headers += other._profile("Other-Leg-")
        if event_name in EXTENDED_EVENTS:
            headers += [("variable_" + name, value) for name, value in self.variables.items()]
        return headers
