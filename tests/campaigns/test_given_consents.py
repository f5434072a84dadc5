"""Consents given in code (``add_leads``, the programmatic way in) follow the file import's
rule: a date without a time counts from the end of that date everywhere (the next day 12:00
UTC), its date kept as ``dated``; a time without a UTC offset is refused, nothing stored.
Before, ``"2025-04-03"`` was stored as written and read as no consent at every dial."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaigns.compliance import lead_facts
from campaigns.consent_dates import given_instant
from campaigns.errors import LeadImportError
from campaigns.leads import LeadInput

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WRITTEN = "prior_express_written"


@pytest.fixture
def campaign(store):
    store.create_campaign("c", at=NOW)
    return store


def test_a_date_only_consent_counts_from_the_next_day_noon_utc_with_its_date_kept(campaign):
    report = campaign.add_leads("c", [LeadInput("2015550123", consent=(
        {"kind": WRITTEN, "given_at": "2025-04-03", "seller": "Acme"},))], at=NOW)
    assert report.imported == 1
    [record] = campaign.lead_by_phone("c", "+12015550123").consent
    assert record["given_at"] == "2025-04-04T12:00:00+00:00"
    assert record["dated"] == "2025-04-03"
    [consent] = lead_facts(campaign.lead_by_phone("c", "+12015550123")).consents
    assert consent.given_at == datetime(2025, 4, 4, 12, tzinfo=UTC)
    assert consent.dated == date(2025, 4, 3)
    assert any("had a date but no time" in w and "2025-04-04 12:00 UTC" in w
               for w in report.warnings)


def test_a_date_object_is_read_as_a_date_only_consent(campaign):
    campaign.add_leads("c", [LeadInput("2015550123", consent=(
        {"kind": WRITTEN, "given_at": date(2025, 4, 3)},))], at=NOW)
    [record] = campaign.lead_by_phone("c", "+12015550123").consent
    assert (record["given_at"], record["dated"]) == ("2025-04-04T12:00:00+00:00", "2025-04-03")


@pytest.mark.parametrize(("given_at", "said"), [
    ("2025-04-03T10:00", "has no UTC offset"),
    (datetime(2025, 4, 3, 10), "has no UTC offset"),
    ("yesterday", "is not an ISO 8601 date or time"),
    ("", "is not an ISO 8601 date or time"),
])
def test_a_consent_that_names_no_instant_is_refused_and_nothing_stored(campaign, given_at,
                                                                        said):
    with pytest.raises(LeadImportError, match=said) as caught:
        campaign.add_leads("c", [LeadInput("2015550123"), LeadInput("2015550124", consent=(
            {"kind": WRITTEN, "given_at": given_at},))], at=NOW)
    assert "lead 2 (2015550124)" in str(caught.value)
    assert "consent.given_at" in str(caught.value)
    assert campaign.leads("c") == []


def test_a_consent_with_its_instant_is_kept_as_given(campaign):
    campaign.add_leads("c", [LeadInput("2015550123", consent=(
        {"kind": WRITTEN, "given_at": "2026-01-01T09:30:00Z"},))], at=NOW)
    [record] = campaign.lead_by_phone("c", "+12015550123").consent
    assert record["given_at"] == "2026-01-01T09:30:00+00:00" and "dated" not in record


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 30)))
def test_a_date_only_consent_is_never_relied_on_before_its_date_has_ended_anywhere(day):
    instant, dated = given_instant(day.isoformat())
    assert dated == day
    # The date ends last at UTC-12: 36 hours after its 00:00 UTC.
    assert instant == datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=36)
