"""What can cure each rule's refusal: a later instant, the operator, only the called party,
or nothing.

A refusal is final for a call that can only wait (a queue callback: the runner's
``dialer/runner/callback_gate.py`` cancels it instead of holding the caller's place) when no
later instant can allow it: the cure is the called party's own act (a consent given, a
number taken off a list they put it on) or nothing at all. The classification lives here,
next to the rules, one entry per rule id or id family, so a rule added to the tables is
classified where it is written: ``tests/dnc/rules/test_rules_cures.py`` fails for any rule
of any profile and state that no entry names.

An id no entry names (a rule outside the tables) is **not final**: the call is held and the
full gate decides it again at its next try, then the engine's retry limit ends it. Both
sides dial nothing; holding keeps a lawful callback the caller asked for (a final refusal
would discard it for good), and every re-check applies the rule again, so an unclassified
rule can delay or fail a callback, never let one through.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Cure(StrEnum):
    """What may turn a rule's refusal into an allowance for the same call."""

    LATER_TIME = "later_time"
    """A later instant: calling hours and holidays, attempt limits and repeat rules (their
    window rolls on), an emergency's end, the campaign's abandon rate falling, facts still
    being loaded."""
    OPERATOR = "operator"
    """The operator: a setting (caller ID, the message's content), a registry refreshed."""
    CALLED_PARTY = "called_party"
    """Only the called party's own act: a written consent given, their number taken off a
    do-not-call list (national, state, TPS, the internal list). An inquiry ages, it never
    renews itself; a queue callback never gains a consent."""
    NOTHING = "nothing"
    """Nothing about this call: a number outside the campaign's jurisdictions, facts no rule
    can use, a second prerecorded call after the person hung up (NRS 597.814(2)(b))."""


FINAL_CURES = frozenset({Cure.CALLED_PARTY, Cure.NOTHING})
"""Cures no waiting brings: a refusal for one of them is final for a call that can only
wait."""

_BY_ID: dict[str, Cure] = {
    # US federal (47 CFR 64.1200, 16 CFR 310)
    "us.calling_hours": Cure.LATER_TIME,
    "us.caller_id": Cure.OPERATOR,
    "us.internal_dnc": Cure.CALLED_PARTY,
    "us.stop_request": Cure.CALLED_PARTY,
    "us.national_dnc": Cure.CALLED_PARTY,
    "us.national_freshness": Cure.OPERATOR,
    "us.wireless_consent": Cure.CALLED_PARTY,
    "us.prerecorded_consent": Cure.CALLED_PARTY,
    "us.prerecorded_content": Cure.OPERATOR,
    "us.prerecorded_exempt_cap": Cure.LATER_TIME,
    # US states
    "state.registry": Cure.CALLED_PARTY,
    "state.DC.rings": Cure.OPERATOR,  # the campaign's ring_timeout lowered
    # Regulation F (12 CFR 1006)
    "reg_f.inconvenient_time": Cure.LATER_TIME,
    "reg_f.seven_in_seven": Cure.LATER_TIME,
    "reg_f.after_conversation": Cure.LATER_TIME,
    # UK (Ofcom, PECR)
    "uk.cli": Cure.OPERATOR,
    "uk.abandon_rate": Cure.LATER_TIME,
    "uk.repeat_after_abandon": Cure.LATER_TIME,
    "uk.repeat_after_machine": Cure.LATER_TIME,
    "uk.previous_objection": Cure.CALLED_PARTY,
    "uk.tps": Cure.CALLED_PARTY,
    "uk.tps_freshness": Cure.OPERATOR,
    "uk.automated_calls": Cure.CALLED_PARTY,
    # The campaign
    "campaign.jurisdiction": Cure.NOTHING,
    "campaign.own_lists": Cure.CALLED_PARTY,
    # The engine's and the dial-time gate's own refusals
    "lead.facts": Cure.NOTHING,
    "dial_gate.internal_dnc": Cure.CALLED_PARTY,
    "dial_gate.unknown_lead": Cure.LATER_TIME,
    "dial_gate.not_prerecorded": Cure.OPERATOR,
}
_BY_FAMILY: tuple[tuple[re.Pattern[str], Cure], ...] = (
    (re.compile(r"state\.[A-Z]{2}\.((autodialed|prerecorded)\.)?hours"), Cure.LATER_TIME),
    (re.compile(r"state\.[A-Z]{2}\.(prerecorded\.)?consent"), Cure.CALLED_PARTY),
    (re.compile(r"state\.[A-Z]{2}\.attempts"), Cure.LATER_TIME),
    (re.compile(r"state\.[A-Z]{2}\.area_ban"), Cure.LATER_TIME),
    (re.compile(r"state\.[A-Z]{2}\.prerecorded\.second_call"), Cure.NOTHING),
    (re.compile(r"campaign\.attempts\.\d+"), Cure.LATER_TIME),
)


def cure_of(rule_id: str) -> Cure | None:
    """What may cure a refusal by ``rule_id``; None when no entry names it."""
    found = _BY_ID.get(rule_id)
    if found is not None:
        return found
    for pattern, cure in _BY_FAMILY:
        if pattern.fullmatch(rule_id):
            return cure
    return None


def waiting_never_cures(rule_id: str) -> bool:
    """A refusal by ``rule_id`` that no later instant cures (unnamed ids: False, see the
    module doc)."""
    return cure_of(rule_id) in FINAL_CURES


__all__ = ["FINAL_CURES", "Cure", "cure_of", "waiting_never_cures"]
