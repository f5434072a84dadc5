"""What an agent's disposition may not do, and what became of a wrap-up that has ended.

Two slips of agents at the desktop, answered here before anything is written:

- **A callback the dialer could never keep.** A callback at a moment outside the campaign's
  own calling hours or outside 08:00-21:00 in a US callee's local time (47 CFR
  64.1200(c)(1)), counted in *every* zone the compliance rules place the lead in (its own
  time zone, state, postal code and number: ``dnc.rules.zones.place``); or for a number on
  the internal do-not-call list (the agent pressed "Do not call me", then "Call back"). It
  used to be stored: the lead became a callback again (un-suppressed), and the dial gate
  held it at dial time, so the customer was promised a call nobody would make. Now it is
  refused with the lead's local time, and the agent stays in wrap-up to choose again.
- **A disposition for a wrap-up already closed**: a second tab, a double submit that got
  past the page, or the wrap-up timeout having recorded the campaign's fallback while the
  agent was typing. ``WrapBook`` remembers each agent's last closed wrap-up: a second
  disposition is refused saying when and how the call was recorded; a disposition for a
  call the *fallback* closed is taken as the agent's correction within
  ``CORRECTION_WINDOW`` (once: the agent's word replaces the fallback on the same attempt,
  never a second attempt or callback next to it).

Pure: time comes in as arguments; the runner's execution does the writing.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from dnc.rules.tables import FEDERAL_DAY

if TYPE_CHECKING:
    from campaigns.settings import CallingWindow
    from dnc.rules.model import CampaignRules, LeadFacts
    from dnc.rules.tables import RuleTables
    from dnc.rules.zones import Placement

CORRECTION_WINDOW = 300.0
"""Seconds after the wrap-up timeout (or a forced pause) recorded the fallback during which
the agent's own disposition of that call replaces it. Short, so the lead's next dial (which
the fallback may have scheduled) is not already under way on the fallback's word."""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ClosedBy(Enum):
    AGENT = "agent"
    """The agent's disposition (or their correction of a fallback)."""
    FALLBACK = "fallback"
    """The campaign's ``wrap_up_timeout_disposition``: the wrap-up ended without the agent's
    word (its timeout, a pause or log-out, a supervisor's)."""


@dataclass(frozen=True, slots=True)
class ClosedWrap:
    """How an agent's last wrap-up ended."""

    call_id: str
    code: str
    by: ClosedBy
    at: float
    inbound: bool = False
    """A call in (its record keeps the disposition, no attempt row)."""


class WrapBook:
    """Each agent's last closed wrap-up (one per agent: a later one replaces it)."""

    def __init__(self) -> None:
        self.last: dict[str, ClosedWrap] = {}

    def closed(self, agent_id: str, wrap: ClosedWrap) -> None:
        self.last[agent_id] = wrap

    def correctable(self, agent_id: str, call_id: str, now: float) -> ClosedWrap | None:
        """The fallback-closed wrap-up ``call_id`` the agent may still correct now."""
        wrap = self.last.get(agent_id)
        if wrap is None or not call_id or wrap.call_id != call_id:
            return None
        if wrap.by is not ClosedBy.FALLBACK or now - wrap.at > CORRECTION_WINDOW:
            return None
        return wrap

    def refusal(self, agent_id: str, call_id: str, now: float) -> str | None:
        """Why a disposition of ``call_id`` (not in wrap-up) is refused, when the book knows
        the call; None when it does not (the caller says the generic reason)."""
        wrap = self.last.get(agent_id)
        if wrap is None or (call_id and wrap.call_id != call_id):
            return None
        at = f"{datetime.fromtimestamp(wrap.at, UTC):%H:%M:%S} UTC"
        if wrap.by is ClosedBy.AGENT:
            return (f"this call was already recorded as {wrap.code} at {at} (a second "
                    "click, or another tab or window of yours): nothing changed")
        return (f"this call was recorded as {wrap.code}, the campaign's fallback, when its "
                f"wrap-up ended at {at}; a correction is taken for "
                f"{CORRECTION_WINDOW / 60:.0f} minutes after that, and that time has passed: "
                "nothing changed (ask a supervisor)")


def _days(days: Sequence[int]) -> str:
    ordered = sorted(set(days))
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{_DAYS[ordered[0]]}-{_DAYS[ordered[-1]]}"
    return ", ".join(_DAYS[d] for d in ordered)


def callback_refusal(at: datetime, zones: Sequence[ZoneInfo], window: CallingWindow, *,
                     us: bool, on_dnc: bool) -> str | None:
    """Why a callback at ``at`` (aware) for a lead placed in ``zones`` could never be dialed
    as promised, or None. ``window``: the campaign's calling window in the callee's local
    time; ``us``: the federal hours apply too (47 CFR 64.1200(c)(1), ``FEDERAL_DAY``);
    ``on_dnc``: the number is on the internal do-not-call list."""
    if on_dnc:
        return ("this number is on the do-not-call list (the customer asked not to be "
                "called): a callback would never be dialed; choose another disposition")
    if not zones:
        return None  # placed nowhere: the dial gate decides (and refuses) at dial time
    federal_start, federal_end = FEDERAL_DAY
    for zone in zones:
        local = at.astimezone(zone)
        when = f"{_DAYS[local.weekday()]} {local:%H:%M} in {zone.key}"
        hours = f"{window.start:%H:%M}-{window.end:%H:%M}"
        if not window.admits(local):
            return (f"a callback at that time is {when}, the lead's local time: outside the "
                    f"campaign's calling hours ({_days(window.days)} {hours} the lead's "
                    "time); choose a time within them")
        if us and not federal_start <= local.time() < federal_end:
            return (f"a callback at that time is {when}, the lead's local time: the law "
                    "allows calls from 08:00 to 21:00 the called party's time "
                    "(47 CFR 64.1200(c)(1)); choose a time within them")
    return None


def state_hours_refusal(at: datetime, lead: LeadFacts, campaign: CampaignRules,
                        tables: RuleTables, *, placement: Placement | None = None
                        ) -> str | None:
    """Why a callback at ``at`` (aware) falls outside a state's own calling hours for this
    lead, or None: the hours rules of the state overlays (``dnc.rules.state``, Florida's
    08:00-20:00, a state's Sunday or holiday ban), evaluated as the dial gate evaluates
    them, in the lead's zones and the state's own. Checked against 08:00-21:00 only, such a
    callback was stored and then held by the gate at dial time: the promised call was not
    made when planned (docs/web.md, sixteenth pass). The tables are the rules' own; only
    the hours rules are asked, the rest (registries, attempt limits) is the dial's.
    ``placement``: the lead's, when the caller has placed it already (else placed here)."""
    from dnc.rules.base import RuleContext
    from dnc.rules.zones import place

    rules = _state_hours_rules(campaign, tables)
    if not rules:
        return None
    if placement is None:
        placement = place(lead, tables)
    if not placement.states:
        return None
    context = RuleContext(lead, campaign, placement, placement.zone_infos(), (), (), (), None)
    moment = at.astimezone(UTC)
    for rule in rules:
        outcome = rule.evaluate(context, moment)
        if not outcome.passed:
            return (f"a callback at that time is refused by {rule.title} (rule "
                    f"{rule.rule_id}, {rule.citation}): {outcome.reason}, the lead's local "
                    "time; choose a time within them")
    return None


@functools.lru_cache(maxsize=16)
def _state_hours_rules(campaign: CampaignRules, tables: RuleTables) -> tuple:
    """The campaign's state calling-hours rules (one per state row with its own window)."""
    from dnc.rules.base import CallingHoursRule
    from dnc.rules.state import InState, state_rules

    return tuple(rule for rule in state_rules(campaign, tables)
                 if isinstance(rule, InState) and isinstance(rule.inner, CallingHoursRule))
