"""FreeSWITCH hangup causes (``switch_call_cause_t`` in switch_types.h) and what they mean
for a dial attempt.

Names are exactly what FreeSWITCH puts in the ``Hangup-Cause`` header and in a
BACKGROUND_JOB body such as ``-ERR NO_ANSWER``. Values below 128 are Q.850 cause codes;
FreeSWITCH-only causes start at 487. A name we do not know maps to ``UNKNOWN`` rather than
failing, because switches grow new causes (see ../shared/reference/freeswitch-esl.md §3.3).
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class HangupCause(IntEnum):
    """FreeSWITCH's hangup causes with their numeric codes."""

    NONE = 0
    UNALLOCATED_NUMBER = 1
    NO_ROUTE_TRANSIT_NET = 2
    NO_ROUTE_DESTINATION = 3
    CHANNEL_UNACCEPTABLE = 6
    CALL_AWARDED_DELIVERED = 7
    NORMAL_CLEARING = 16
    USER_BUSY = 17
    NO_USER_RESPONSE = 18
    NO_ANSWER = 19
    SUBSCRIBER_ABSENT = 20
    CALL_REJECTED = 21
    NUMBER_CHANGED = 22
    REDIRECTION_TO_NEW_DESTINATION = 23
    EXCHANGE_ROUTING_ERROR = 25
    DESTINATION_OUT_OF_ORDER = 27
    INVALID_NUMBER_FORMAT = 28
    FACILITY_REJECTED = 29
    RESPONSE_TO_STATUS_ENQUIRY = 30
    NORMAL_UNSPECIFIED = 31
    NORMAL_CIRCUIT_CONGESTION = 34
    NETWORK_OUT_OF_ORDER = 38
    NORMAL_TEMPORARY_FAILURE = 41
    SWITCH_CONGESTION = 42
    ACCESS_INFO_DISCARDED = 43
    REQUESTED_CHAN_UNAVAIL = 44
    PRE_EMPTED = 45
    FACILITY_NOT_SUBSCRIBED = 50
    OUTGOING_CALL_BARRED = 52
    INCOMING_CALL_BARRED = 54
    BEARERCAPABILITY_NOTAUTH = 57
    BEARERCAPABILITY_NOTAVAIL = 58
    SERVICE_UNAVAILABLE = 63
    BEARERCAPABILITY_NOTIMPL = 65
    CHAN_NOT_IMPLEMENTED = 66
    FACILITY_NOT_IMPLEMENTED = 69
    SERVICE_NOT_IMPLEMENTED = 79
    INVALID_CALL_REFERENCE = 81
    INCOMPATIBLE_DESTINATION = 88
    INVALID_MSG_UNSPECIFIED = 95
    MANDATORY_IE_MISSING = 96
    MESSAGE_TYPE_NONEXIST = 97
    WRONG_MESSAGE = 98
    IE_NONEXIST = 99
    INVALID_IE_CONTENTS = 100
    WRONG_CALL_STATE = 101
    RECOVERY_ON_TIMER_EXPIRE = 102
    MANDATORY_IE_LENGTH_ERROR = 103
    PROTOCOL_ERROR = 111
    INTERWORKING = 127
    SUCCESS = 142
    ORIGINATOR_CANCEL = 487
    CRASH = 700
    SYSTEM_SHUTDOWN = 701
    LOSE_RACE = 702
    MANAGER_REQUEST = 703
    BLIND_TRANSFER = 800
    ATTENDED_TRANSFER = 801
    ALLOTTED_TIMEOUT = 802
    USER_CHALLENGE = 803
    MEDIA_TIMEOUT = 804
    PICKED_OFF = 805
    USER_NOT_REGISTERED = 806
    PROGRESS_TIMEOUT = 807
    INVALID_GATEWAY = 808
    GATEWAY_DOWN = 809
    INVALID_URL = 810
    INVALID_PROFILE = 811
    NO_PICKUP = 812
    SRTP_READ_ERROR = 813
    BOWOUT = 814
    BUSY_EVERYWHERE = 815
    DECLINE = 816
    DOES_NOT_EXIST_ANYWHERE = 817
    NOT_ACCEPTABLE = 818
    UNWANTED = 819
    NO_IDENTITY = 820
    BAD_IDENTITY_INFO = 821
    UNSUPPORTED_CERTIFICATE = 822
    INVALID_IDENTITY = 823
    STALE_DATE = 824
    REJECT_ALL = 825
    UNKNOWN = 10_000

    """Not a FreeSWITCH cause: stands for a name this build does not know."""

    @classmethod
    def from_name(cls, name: str) -> HangupCause:
        """Parse a ``Hangup-Cause`` value; unknown names become ``UNKNOWN``."""
        return cls.__members__.get(name.strip().upper(), cls.UNKNOWN)

    @property
    def q850(self) -> int:
        """The Q.850 code FreeSWITCH reports (FreeSWITCH-only causes report 16)."""
        return int(self) if int(self) < 128 else 16


SWITCH_REFUSALS: frozenset[HangupCause] = frozenset({
    HangupCause.GATEWAY_DOWN, HangupCause.INVALID_GATEWAY, HangupCause.INVALID_PROFILE,
    HangupCause.INVALID_URL, HangupCause.CHAN_NOT_IMPLEMENTED,
    HangupCause.NO_ROUTE_DESTINATION,
})
"""Causes of an originate refused before any channel (``OriginateFailed``: the job's
``-ERR`` with no channel seen) that are the switch's, not the number's: mod_sofia refuses a
gateway that is down (GATEWAY_DOWN) or unknown (INVALID_GATEWAY), a profile it does not run
(INVALID_PROFILE), the core an endpoint it has no module for (CHAN_NOT_IMPLEMENTED), a dial
string it cannot parse (INVALID_URL), a destination it has no route for before any leg
(NO_ROUTE_DESTINATION: from a far end it comes after a channel, and is the number's). Such a
dial reached nobody: the runner's send hold counts them (dialer/runner/send_hold.py), and
the engine tells pacing nothing of an attempt all of whose legs were refused so
(dialer/engine/call_flow.py)."""


class DialOutcome(StrEnum):
    """What an unanswered dial attempt's cause means for the lead (reference §3.3)."""

    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    BAD_NUMBER = "bad_number"
    NETWORK = "network"
    CANCELLED = "cancelled"
    INTERNAL = "internal"


_OUTCOME_BY_CAUSE: dict[HangupCause, DialOutcome] = {
    HangupCause.USER_BUSY: DialOutcome.BUSY,
    HangupCause.BUSY_EVERYWHERE: DialOutcome.BUSY,
    HangupCause.NO_ANSWER: DialOutcome.NO_ANSWER,
    HangupCause.NO_USER_RESPONSE: DialOutcome.NO_ANSWER,
    HangupCause.SUBSCRIBER_ABSENT: DialOutcome.NO_ANSWER,
    HangupCause.NO_PICKUP: DialOutcome.NO_ANSWER,
    HangupCause.CALL_REJECTED: DialOutcome.REJECTED,
    HangupCause.UNWANTED: DialOutcome.REJECTED,
    HangupCause.DECLINE: DialOutcome.REJECTED,
    HangupCause.REJECT_ALL: DialOutcome.REJECTED,
    HangupCause.UNALLOCATED_NUMBER: DialOutcome.BAD_NUMBER,
    HangupCause.NO_ROUTE_DESTINATION: DialOutcome.BAD_NUMBER,
    HangupCause.NUMBER_CHANGED: DialOutcome.BAD_NUMBER,
    HangupCause.INVALID_NUMBER_FORMAT: DialOutcome.BAD_NUMBER,
    HangupCause.DOES_NOT_EXIST_ANYWHERE: DialOutcome.BAD_NUMBER,
    HangupCause.ORIGINATOR_CANCEL: DialOutcome.CANCELLED,
    HangupCause.LOSE_RACE: DialOutcome.INTERNAL,
    HangupCause.MANAGER_REQUEST: DialOutcome.INTERNAL,
    HangupCause.SYSTEM_SHUTDOWN: DialOutcome.INTERNAL,
    HangupCause.CRASH: DialOutcome.INTERNAL,
    HangupCause.ALLOTTED_TIMEOUT: DialOutcome.INTERNAL,
}


def dial_outcome(cause: HangupCause) -> DialOutcome:
    """Classify the cause of an attempt that ended before answer.

    Everything not listed (congestion, timer expiry, gateway down, ...) is a network-side
    failure: retry soon, and do not charge the lead with a real attempt outcome.
    """
    return _OUTCOME_BY_CAUSE.get(cause, DialOutcome.NETWORK)


class HangupSide(StrEnum):
    """Who ended a call, as the switch reports it (``variable_sip_hangup_disposition`` on
    CHANNEL_HANGUP_COMPLETE; esl-captures/real-fs 02, 04a, 06, 07, 08b, 13a).

    ``CALLEE``: the far end (``recv_bye``, ``recv_cancel``, ``recv_refuse``): after an answer
    the called person or their phone hung up; before it the refusal is the network's as
    often as the person's (busy, unallocated and congestion arrive as ``recv_refuse`` too),
    so the cause tells those apart, not the side. ``DIALER``: this switch (``send_bye``: it
    hung up, the message played, the agent left or the dialer killed the call;
    ``send_cancel``: it gave up ringing; ``send_refuse``). ``UNKNOWN``: the switch did not
    say: a loopback channel has no SIP dialog and no such variable (flows 03, 04b, 05), an
    originate that never made a channel, a call ended by the dialer's own bookkeeping, a
    value this build does not know. Never guessed: readers treat it as the strict case."""

    CALLEE = "callee"
    DIALER = "dialer"
    UNKNOWN = "unknown"

    @classmethod
    def from_disposition(cls, disposition: str | None) -> HangupSide:
        """The side ``variable_sip_hangup_disposition`` names; absent or unknown: UNKNOWN."""
        if not disposition:
            return cls.UNKNOWN
        return _SIDE_BY_DISPOSITION.get(disposition.strip().lower(), cls.UNKNOWN)


_SIDE_BY_DISPOSITION: dict[str, HangupSide] = {
    "recv_bye": HangupSide.CALLEE, "recv_cancel": HangupSide.CALLEE,
    "recv_refuse": HangupSide.CALLEE,
    "send_bye": HangupSide.DIALER, "send_cancel": HangupSide.DIALER,
    "send_refuse": HangupSide.DIALER,
}
"""mod_sofia's ``sip_hangup_disposition`` values (sofia.c / sofia_glue.c) by side."""
