"""``CampaignStore.add_leads`` refuses a consent naming a seller that is not the
campaign's, as ``leads import`` does (``campaigns.consent_sellers``), unless
``new_seller=True``. Before, the Python API stored it, and it never counted for the
campaign's calls (first-hour twelfth pass)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campaigns.errors import LeadImportError
from campaigns.leads import LeadInput

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
WRITTEN = "prior_express_written"


def _lead(phone: str, seller: str | None) -> LeadInput:
    record = {"kind": WRITTEN, "given_at": "2025-04-03T10:00:00+00:00"}
    if seller is not None:
        record["seller"] = seller
    return LeadInput(phone, consent=(record,))


@pytest.fixture
def spring(store):
    store.create_campaign("spring", at=NOW,
                          settings={"compliance": {"seller_name": "Spring Solar"}})
    return store


def test_a_consent_for_another_seller_is_refused_and_nothing_stored(spring):
    with pytest.raises(LeadImportError) as caught:
        spring.add_leads("spring", [_lead("2015550123", "Spring Solar"),
                                    _lead("2015550124", "Sprng Solar")], at=NOW)
    said = str(caught.value)
    assert "lead 2 (2015550124): consent seller 'Sprng Solar' is not the campaign's " \
           "seller ('Spring Solar')" in said
    assert "did you mean 'Spring Solar'?" in said and "new_seller=True" in said
    assert spring.lead_by_phone("spring", "+12015550123") is None


def test_the_campaigns_seller_in_another_spelling_and_records_without_one_are_taken(spring):
    report = spring.add_leads("spring", [_lead("2015550123", "SPRING SOLAR"),
                                         _lead("2015550124", None)], at=NOW)
    assert report.imported == 2


def test_new_seller_keeps_consents_for_another_seller_on_record(spring):
    report = spring.add_leads("spring", [_lead("2015550124", "Autumn Roofing")], at=NOW,
                              new_seller=True)
    assert report.imported == 1
    [record] = spring.lead_by_phone("spring", "+12015550124").consent
    assert record["seller"] == "Autumn Roofing"
