"""String attributes in, verdict parts out: the runner's edge of the engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rules_kit import NATIONAL, campaign, engine, fresh_versions

from dnc.errors import ComplianceError
from dnc.rules.adapters import lead_facts_from_attributes, verdict_parts
from dnc.rules.model import ConsentKind

AT = datetime(2026, 11, 18, 17, tzinfo=UTC)


def test_attributes_become_lead_facts():
    consent = json.dumps([{"kind": "prior_express_written", "given_at": "2026-01-01T00:00Z"}])
    facts = lead_facts_from_attributes("+13055550123", {
        "timezone": "America/Chicago", "state": "FL", "wireless": "true", "consent": consent,
        "ebr_last_inquiry": "2026-10-01T00:00+00:00", "debt_id": "D9"}, lead_id="7")
    assert facts.time_zone == "America/Chicago" and facts.state == "FL" and facts.wireless
    assert facts.consents[0].kind is ConsentKind.PRIOR_EXPRESS_WRITTEN
    assert facts.debt_id == "D9" and facts.lead_id == "7"
    several = lead_facts_from_attributes("+1", {"timezone": "America/Chicago,America/Denver"})
    assert several.time_zone is None


def test_bad_attributes_are_named():
    with pytest.raises(ComplianceError, match="ebr_last_transaction"):
        lead_facts_from_attributes("+1", {"ebr_last_transaction": "yesterday"})
    with pytest.raises(ComplianceError, match="consent"):
        lead_facts_from_attributes("+1", {"consent": "[{\"kind\": \"maybe\"}]"})


def test_verdict_parts_carry_reasons_and_versions():
    listed = "+12015550001"
    checker = engine({NATIONAL: [listed]}, versions=fresh_versions(AT))
    refused = checker.check(lead_facts_from_attributes(listed, {}), campaign(), AT)
    allowed, reasons, versions = verdict_parts(refused)
    assert not allowed and reasons[0].startswith("us.national_dnc:")
    assert "national@fresh" in versions
    ok = checker.check(lead_facts_from_attributes("+12015550002", {}), campaign(), AT)
    assert verdict_parts(ok)[0]
