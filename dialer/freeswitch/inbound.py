"""Inbound queue calls as FreeSWITCH presents them: a parked channel carrying ``dialer_queue``.

The operator's dialplan answers (or pre-answers) the call, sets the channel variables below and
parks it (docs/operations.md, "Inbound calls"). FreeSWITCH then fires CHANNEL_PARK with every
channel variable as a ``variable_*`` header (real capture 10-inbound-queue: CHANNEL_EXECUTE
``set``, CHANNEL_ANSWER, CHANNEL_EXECUTE ``park``, CHANNEL_PARK, in that order, on the
inbound leg; ``dialer_queue`` is already on the CHANNEL_ANSWER). ``uuid_dump UUID json`` gives
the same headers for a call that was parked before the dialer looked (adoption).

Channel variables (the dialplan's ``set`` applications):

============================  =========================================================
``dialer_queue``              the queue's name (required: without it the call is not ours)
``dialer_priority``           an integer added to the queue's own priority rules
``dialer_customer_key``       who the caller is across calls (the previous-agent strategy);
                              default: the caller's number
``dialer_skills``             skills an agent needs for this call, comma separated
``dialer_<anything else>``    caller data: a queue's ``priority.field`` may name it
============================  =========================================================

Legs this dialer creates also carry ``dialer_*`` variables (a queue callback's originate sets
``dialer_queue`` and ``dialer_queue_callback``; agent, consultation and supervisor legs set
``dialer_leg``; a loopback b-leg inherits them all): those are never inbound calls.

Sans-I/O: header maps in, ``InboundCallArrived`` out (the runner decides whether it serves
the queue).
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.events import InboundCallArrived

QUEUE_VARIABLE = "dialer_queue"
PRIORITY_VARIABLE = "dialer_priority"
CUSTOMER_KEY_VARIABLE = "dialer_customer_key"
SKILLS_VARIABLE = "dialer_skills"
_NOT_INBOUND = ("variable_dialer_queue_callback", "variable_dialer_leg",
                "variable_dialer_agent_id")
"""Variables that mark a leg this dialer made itself (never an inbound caller)."""
_RESERVED = frozenset({QUEUE_VARIABLE, PRIORITY_VARIABLE, CUSTOMER_KEY_VARIABLE,
                       SKILLS_VARIABLE})


@dataclass(frozen=True, slots=True)
class ParkedInbound:
    """What a parked inbound channel says about its caller."""

    uuid: str
    queue: str
    caller_number: str
    """As the switch has it (``Caller-Caller-ID-Number``): not normalised here."""
    priority: int
    customer_key: str | None
    """``dialer_customer_key`` (None: the driver uses the caller's normalised number)."""
    skills: frozenset[str]
    variables: dict[str, str]
    created_at: float | None
    """``Caller-Channel-Created-Time`` in seconds (when the caller started waiting)."""
    problems: tuple[str, ...] = ()
    """Variables that did not parse (the call is still taken; the value is ignored)."""

    def arrival(self, at: float, switch_id: str | None, caller_number: str | None = None,
                waiting_since: float | None = None) -> InboundCallArrived:
        number = self.caller_number if caller_number is None else caller_number
        return InboundCallArrived(
            at, self.uuid, self.queue, number, self.priority,
            self.customer_key, self.skills, switch_id, self.variables,
            waiting_since)


def parked_inbound(headers) -> ParkedInbound | None:  # type: ignore[no-untyped-def]
    """The inbound queue call a CHANNEL_PARK (or ``uuid_dump``) describes, or None when the
    channel names no queue or is one of the dialer's own legs."""
    queue = (headers.get("variable_dialer_queue") or "").strip()
    if not queue:
        return None
    if any(headers.get(name) for name in _NOT_INBOUND):
        return None
    uuid = headers.get("Unique-ID") or ""
    if not uuid:
        return None
    problems = []
    priority = 0
    raw_priority = (headers.get("variable_dialer_priority") or "").strip()
    if raw_priority:
        try:
            priority = int(raw_priority)
        except ValueError:
            problems.append(f"dialer_priority={raw_priority!r} is not an integer (ignored)")
    skills = frozenset(s.strip() for s in (headers.get("variable_dialer_skills") or "")
                       .split(",") if s.strip())
    variables = {}
    pairs = headers.headers if hasattr(headers, "headers") else headers.items()
    for name, value in pairs:
        if name.startswith("variable_dialer_"):
            short = name[len("variable_"):]
            if short not in _RESERVED:
                variables.setdefault(short, str(value))
    created = headers.get("Caller-Channel-Created-Time") or ""
    return ParkedInbound(
        uuid, queue, (headers.get("Caller-Caller-ID-Number") or "").strip(), priority,
        (headers.get("variable_dialer_customer_key") or "").strip() or None, skills,
        variables, int(created) / 1_000_000 if created.isdigit() and created != "0" else None,
        tuple(problems))


__all__ = ["CUSTOMER_KEY_VARIABLE", "PRIORITY_VARIABLE", "QUEUE_VARIABLE", "SKILLS_VARIABLE",
           "ParkedInbound", "parked_inbound"]
