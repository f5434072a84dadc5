"""``dialer doctor`` judges leads with the check the dialer selects with: a UK campaign whose
leads are all on the TPS list is not "callable now" while selection refuses every one, and
doctor writes nothing (no claim, no suppression, no audit)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from campaigns.leads import LeadInput
from campaigns.models import Lead
from campaigns.store import CampaignStore
from dialer.runner.compliance import selection_check
from dialer.runner.demo import (
    UK_ZONE,
    demo_consent,
    demo_numbers,
    demo_settings,
    seed_demo_registry,
)
from dialer.runner.doctor import Verdict, diagnose_campaign


def _last_noon() -> datetime:
    """The last 12:00 UTC before now: inside the UK campaign's calling hours (08:00-21:00
    London, which is UTC or UTC+1) whatever the hour the suite runs at, and within the day
    before, so the demo registry seeded then is fresh."""
    now = datetime.now(UTC)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon <= now else noon - timedelta(days=1)


NOON = _last_noon()


def _uk_campaign(tmp_path: Path, numbers: list[str], consented: set[str] = frozenset()
                 ) -> CampaignStore:
    store = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    now = NOON
    store.create_campaign("uk", demo_settings(uk=True), at=now, agents=[("a1", "user/1001")])
    store.add_leads("uk", [LeadInput(n, timezone=UK_ZONE,
                                     consent=demo_consent(n, now) if n in consented else [])
                           for n in numbers], at=now, list_name="sample")
    store.transition_campaign("uk", "running", at=now)
    return store


def _checks(store: CampaignStore, data: Path) -> dict[str, tuple[Verdict, str]]:
    return {c.name: (c.verdict, c.message)
            for c in diagnose_campaign(store, "uk", data, (), at=NOON)}


def _lead_rows(store: CampaignStore) -> list[tuple]:
    with store.read_session() as session:
        return list(session.execute(sa.select(Lead.status, Lead.block_reason,
                                              Lead.claimed_by, Lead.next_attempt_at)))


def test_tps_listed_leads_are_not_callable_now(tmp_path: Path) -> None:
    numbers = demo_numbers(40, 1, [UK_ZONE])
    store = _uk_campaign(tmp_path, numbers)
    seed_demo_registry(tmp_path, NOON.timestamp(), numbers)
    before = _lead_rows(store)
    checks = _checks(store, tmp_path)
    verdict, message = checks["leads"]
    assert verdict is Verdict.FAIL
    assert "callable now" not in message and "none of the 40 due passes" in message
    assert "uk.tps 40" in message
    assert checks["TPS"][0] is Verdict.OK
    assert _lead_rows(store) == before  # read-only
    assert not (tmp_path / "audit").exists() or not any((tmp_path / "audit").iterdir())
    # ... and selection agrees.
    assert store.claim_leads("uk", 100, owner="p", now=NOON,
                             check=selection_check(store, tmp_path)) == []


def test_no_tps_list_fails_the_tps_check_and_every_lead(tmp_path: Path) -> None:
    store = _uk_campaign(tmp_path, demo_numbers(5, 1, [UK_ZONE]))
    checks = _checks(store, tmp_path)
    assert checks["TPS"][0] is Verdict.FAIL and "uk.tps_freshness" in checks["TPS"][1]
    assert checks["leads"][0] is Verdict.FAIL and "uk.tps_freshness 5" in checks["leads"][1]
    assert "registry" not in checks  # no US national registry is asked of a UK campaign


@pytest.mark.parametrize("consented_count", [0, 3, 10])
def test_doctor_counts_what_selection_claims(tmp_path: Path, consented_count: int) -> None:
    numbers = demo_numbers(10, 2, [UK_ZONE])
    store = _uk_campaign(tmp_path, numbers, set(numbers[:consented_count]))
    seed_demo_registry(tmp_path, NOON.timestamp(), numbers)  # all listed: consent decides
    verdict, message = _checks(store, tmp_path)["leads"]
    claimed = store.claim_leads("uk", 100, owner="p", now=NOON,
                                check=selection_check(store, tmp_path))
    assert len(claimed) == consented_count
    if consented_count == 0:
        assert verdict is Verdict.FAIL
    else:
        assert message.startswith(f"{consented_count} callable now of 10")
        assert verdict is (Verdict.OK if consented_count == 10 else Verdict.WARN)
        assert ("uk.tps" in message) is (consented_count < 10)


def test_unreadable_rule_tables_fail_the_leads_check_naming_the_file(tmp_path: Path) -> None:
    """A malformed officer table stops selection (every lead refused with the reason); doctor
    says so instead of counting the leads callable."""
    store = CampaignStore.open(f"sqlite:///{tmp_path}/dialer.db")
    noon = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # Monday 12:00 in New York
    store.create_campaign("us", demo_settings(), at=noon, agents=[("a1", "user/1001")])
    store.add_leads("us", [LeadInput(f"+1201555010{i}", timezone="America/New_York")
                           for i in range(3)], at=noon, list_name="sample")
    store.transition_campaign("us", "running", at=noon)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "state_rules.csv").write_text("state,applies_to\nNJ,sometimes\n")
    checks = {c.name: (c.verdict, c.message)
              for c in diagnose_campaign(store, "us", tmp_path, (), at=noon)}
    verdict, message = checks["leads"]
    assert verdict is Verdict.FAIL and "none of the 3 due passes" in message
    assert "compliance 3" in message and "cannot read rule table" in message
