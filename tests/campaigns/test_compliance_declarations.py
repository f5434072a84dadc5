"""The fourth compliance pass (docs/compliance-proof.md, "Fourth pass"): what a campaign
declares may add rules but never take away those of what it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.compliance import campaign_rules
from campaigns.settings import CampaignSettings
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables

AT = datetime(2026, 11, 23, 17, tzinfo=UTC)  # Monday 12:00 in Miami
MIAMI = "+13055550123"


class _Registries:
    def hits(self, number_e164):
        return []

    def versions(self):
        return [RegistryVersion("national", RegistryKind.NATIONAL, "national@fresh",
                                AT - timedelta(days=1))]


class _History:
    def attempts(self, number_e164, since):
        return []

    def attempts_for_contact(self, contact_id, since):
        return []


def settings(**values) -> CampaignSettings:
    return CampaignSettings.model_validate({
        "caller_ids": ["+12015550100"], "jurisdiction": "us",
        "compliance": {"autodialed": False, "seller_name": "Acme Solar"}, **values})


@pytest.mark.parametrize("policy", ["predictive", "progressive", "power", "ratio"])
def test_a_campaign_the_dialer_dials_is_autodialed_whatever_it_declares(policy):
    """A predictive campaign declaring ``autodialed: false`` was judged as dialled by hand:
    a Florida number with no written consent was called (Fla. Stat. 501.059(8)(a): an
    automated system for the selection or dialing of numbers needs it)."""
    rules = campaign_rules("spring", settings(pacing_policy=policy))
    assert rules.autodialed
    decision = ComplianceEngine(_Registries(), _History(), RuleTables()).check(
        LeadFacts(MIAMI), rules, AT)
    refused = {o.rule_id for o in decision.outcomes if not o.passed}
    assert {"state.FL.consent", "us.wireless_consent"} <= refused


def test_preview_dialing_keeps_its_declaration():
    """An agent who sees the lead and dials it: the campaign's declaration stands."""
    assert not campaign_rules("spring", settings(pacing_policy="preview")).autodialed
    assert campaign_rules("spring", settings(
        pacing_policy="preview", compliance={"autodialed": True})).autodialed
