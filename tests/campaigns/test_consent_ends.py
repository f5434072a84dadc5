"""A stored consent's end (``expires_at``, ``revoked_at``) is read the strict way.

A consent counts from the latest instant its grant can mean (``consent_dates.counts_from``)
and stops at the earliest instant its end can mean (``consent_dates.ends_by``): a date alone
ends it when that date begins anywhere (UTC+14), a time without a UTC offset when that wall
time first comes. On the code before, both were read as *no end at all*
(``campaigns.compliance`` dropped a time without an offset), so a consent "revoked
2026-03-10" or "expiring 2026-03-10T12:00" authorised every later call (FCC 24-24,
47 CFR 64.1200(a)(10): a revocation ends consent; fail closed).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from campaigns.compliance import _consents, campaign_rules, lead_facts
from campaigns.consent_dates import ends_by
from campaigns.leads import LeadInput
from dnc.interfaces import RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from tests.campaigns.ready import STARTABLE
from tests.dnc.rules.rules_kit import STATE_LISTS, FakeHistory, FakeRegistries

GIVEN = "2026-01-05T15:00:00+00:00"
NUMBER = "+12015550101"  # New Jersey: no state consent row, the federal wireless rule decides
SELLER = "Acme Solar"
WHEN = datetime(2026, 3, 10, 16, tzinfo=UTC)  # Tuesday 12:00 in New York


def _written(**end: object) -> dict[str, object]:
    return {
        "kind": "prior_express_written",
        "given_at": GIVEN,
        "seller": SELLER,
        "number": NUMBER,
        **end,
    }


def _engine(at: datetime) -> ComplianceEngine:
    national = RegistryVersion(
        "national", RegistryKind.NATIONAL, "national@fresh", at - timedelta(days=1)
    )
    return ComplianceEngine(FakeRegistries({}, [national, *STATE_LISTS]), FakeHistory())


@pytest.mark.parametrize(
    "end",
    [
        {"revoked_at": "2026-03-10"},
        {"revoked_at": "2026-03-10T09:00:00"},
        {"expires_at": "2026-03-10"},
        {"expires_at": "2026-03-10T11:59:00"},
    ],
)
def test_a_stored_consent_ended_by_a_date_or_a_zoneless_time_no_longer_authorises(store, end):
    """Autodialed telemarketing to an unknown (wireless) line needs written consent; the
    lead's consent was revoked, or expired, on the day of the call: refused. On the code
    before, the end was dropped and the call allowed."""
    store.create_campaign("c", STARTABLE, at=WHEN)  # seller Acme Solar
    store.add_leads(
        "c",
        [LeadInput("2015550101", state="NJ", consent=(_written(**end),))],
        at=WHEN - timedelta(days=60),
    )
    lead = store.lead_by_phone("c", NUMBER)
    rules = campaign_rules("c", store.settings(store.campaign("c").id))
    assert rules.treat_unknown_line_type_as_wireless and rules.autodialed
    decision = _engine(WHEN).check(lead_facts(lead), rules, WHEN)
    assert not decision.allowed
    wireless = next(o for o in decision.outcomes if o.rule_id == "us.wireless_consent")
    assert not wireless.passed and ("revoked" in wireless.reason or "expired" in wireless.reason)
    # The same consent without its end is relied on: the end alone refused the call.
    unended = replace(lead_facts(lead), consents=_consents([_written()]))
    assert _engine(WHEN).check(unended, rules, WHEN).allowed


@pytest.mark.parametrize("cell", ["soon", "31/02/2026", "yes", True, 20260310])
def test_an_end_that_names_no_instant_leaves_the_consent_granting_nothing(cell):
    assert _consents([_written(revoked_at=cell)]) == ()
    assert _consents([_written(expires_at=cell)]) == ()


def test_an_empty_end_is_no_end():
    for cell in (None, ""):
        [consent] = _consents([_written(revoked_at=cell, expires_at=cell)])
        assert consent.revoked_at is None and consent.expires_at is None


def test_an_end_with_an_offset_keeps_its_instant():
    [consent] = _consents([_written(revoked_at="2026-03-10T09:00:00-05:00")])
    assert consent.revoked_at == datetime(2026, 3, 10, 14, tzinfo=UTC)


ZONES = [timedelta(hours=h) for h in range(-12, 15)]


@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
    minute=st.integers(0, 24 * 60 - 1),
    zone=st.sampled_from(ZONES),
    zoneless=st.booleans(),
)
@example(day=date(2026, 3, 10), minute=0, zone=timedelta(hours=14), zoneless=False)
def test_an_end_written_without_a_zone_is_never_later_than_any_reading_of_it(
    day, minute, zone, zoneless
):
    """Whatever zone the writer meant (UTC-12 to UTC+14) and whatever time of that date,
    the consent has ended by then: ``ends_by`` is at or before every instant the cell can
    mean."""
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    meant = (wall - zone).replace(tzinfo=UTC)  # that wall time in the zone, as UTC
    if zoneless:
        cell = wall.isoformat()
    else:
        cell = day.isoformat()  # a date alone: any minute of it, in any zone
    assert ends_by(cell) <= meant
