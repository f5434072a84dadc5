"""Every rule says what can cure its refusal (dnc/rules/cures.py): a later instant, the
operator, only the called party, or nothing. A queue callback refused by a rule no waiting
cures is cancelled; any other refusal holds it (dialer/runner/callback_gate.py). This test
fails for a rule added to any profile or state's overlay without an entry, so a new rule
cannot be forgotten."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from dnc.rules.cures import Cure, cure_of, waiting_never_cures
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import AttemptCap, CampaignRules, Profile
from dnc.rules.tables import tables_for_data


class _Nothing:
    def hits(self, number_e164):
        return []

    def versions(self):
        return []

    def attempts(self, number_e164, since):
        return []


def _every_rule_id() -> set[str]:
    """Every rule of every profile, each state's overlay included, for every kind of
    campaign (autodialed or not, prerecorded or not, telemarketing or not, with a cap)."""
    engine = ComplianceEngine(_Nothing(), _Nothing(),
                              tables_for_data(Path("/nonexistent-data-dir")))
    found: set[str] = set()
    for autodialed, prerecorded, telemarketing in itertools.product((True, False), repeat=3):
        campaign = CampaignRules(
            "c", profiles=tuple(Profile), autodialed=autodialed, prerecorded=prerecorded,
            telemarketing=telemarketing,
            attempt_caps=(AttemptCap(3, timedelta(hours=24)), AttemptCap(5, timedelta(days=7))))
        found.update(rule.rule_id for rule in engine.rules_for(campaign))
    return found


GATE_IDS = {"lead.facts", "dial_gate.internal_dnc", "dial_gate.unknown_lead",
            "dial_gate.not_prerecorded"}
"""Refusals the engine and the runner's dial-time gate make themselves."""


def test_every_rule_of_every_profile_and_state_says_what_cures_it() -> None:
    ids = _every_rule_id() | GATE_IDS
    assert len(ids) > 100  # every state's overlay is in
    unclassified = sorted(i for i in ids if cure_of(i) is None)
    assert not unclassified, f"say what cures these in dnc/rules/cures.py: {unclassified}"


def test_the_final_refusals_are_the_registries_the_consents_and_the_hopeless() -> None:
    """The callbacks' final set (the runner's old FINAL_RULES list, plus Nevada's second
    prerecorded call, whose refusal names no time and lasts the five-year retention)."""
    final = {i for i in _every_rule_id() | GATE_IDS if waiting_never_cures(i)}
    states = {i for i in final if i.startswith("state.") and i != "state.registry"}
    assert final - states == {
        "us.national_dnc", "state.registry", "us.internal_dnc", "dial_gate.internal_dnc",
        "us.stop_request", "uk.previous_objection",
        "uk.tps", "us.wireless_consent", "us.prerecorded_consent", "uk.automated_calls",
        "campaign.jurisdiction", "campaign.own_lists", "lead.facts"}
    assert states and all(i.endswith((".consent", ".prerecorded.second_call"))
                          for i in states)
    assert cure_of("state.NV.prerecorded.second_call") is Cure.NOTHING


@pytest.mark.parametrize("rule_id", ["us.calling_hours", "state.MI.hours",
                                     "state.FL.attempts", "reg_f.seven_in_seven",
                                     "campaign.attempts.2", "uk.abandon_rate",
                                     "us.national_freshness", "dial_gate.unknown_lead"])
def test_a_later_moment_or_the_operator_may_cure_these(rule_id: str) -> None:
    assert not waiting_never_cures(rule_id)


def test_an_id_no_entry_names_holds_rather_than_cancels() -> None:
    """Both dial nothing; a hold keeps the callback and the full gate decides again."""
    assert cure_of("state.ZZ.new_rule") is None and cure_of("us.national_dnc_v2") is None
    assert not waiting_never_cures("state.ZZ.new_rule")
