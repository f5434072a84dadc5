"""In-memory registry and attempt-history fakes for the rules engine tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from dnc.interfaces import PastAttempt, RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, Profile

T0 = datetime(2026, 11, 2, tzinfo=UTC)
SELLER = "Acme Solar"
NATIONAL = RegistryVersion("national", RegistryKind.NATIONAL, "national@2026-11-01#1",
                           datetime(2026, 11, 1, tzinfo=UTC), 3)
INTERNAL = RegistryVersion("internal", RegistryKind.INTERNAL, "internal@7",
                           datetime(2026, 11, 1, tzinfo=UTC), 1)
STATE_LISTS = tuple(
    RegistryVersion(f"state:{state}", RegistryKind.STATE, f"state:{state}@loaded",
                    datetime(2000, 1, 1, tzinfo=UTC))
    for state in ("CO", "FL", "IN", "LA", "MA", "MO", "MS", "OK", "PA", "TN", "TX", "WY"))
"""Every state that keeps its own do-not-call list (dnc/data/state_dnc_lists.csv), loaded
and empty: a state whose list was never loaded refuses (state.registry), which the tests
about other rules are not about (tests/dnc/rules/test_rules_state_lists.py are)."""


class FakeRegistries:
    """A DncLookup over explicit listings: {version: set of numbers}."""

    def __init__(self, listings: dict[RegistryVersion, Iterable[str]] | None = None,
                 versions: Iterable[RegistryVersion] | None = None) -> None:
        self.listings = {v: set(numbers) for v, numbers in (listings or {}).items()}
        self._versions = list(versions) if versions is not None else [NATIONAL, INTERNAL,
                                                                        *STATE_LISTS]
        for version in self.listings:
            if version not in self._versions:
                self._versions.append(version)

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return [RegistryHit(v, "listed") for v, numbers in self.listings.items()
                if number_e164 in numbers]

    def versions(self) -> list[RegistryVersion]:
        return list(self._versions)


class FakeHistory:
    """An AttemptHistory over a list, returned oldest first as the protocol promises."""

    def __init__(self, attempts: Iterable[PastAttempt] = ()) -> None:
        self.items = sorted(attempts, key=lambda attempt: attempt.at)

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.items if a.number_e164 == number_e164 and a.at >= since]

    def attempts_for_contact(self, contact_id: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.items if a.contact_id == contact_id and a.at >= since]


def engine(listings=None, attempts=(), versions=None, tables=None) -> ComplianceEngine:
    return ComplianceEngine(FakeRegistries(listings, versions), FakeHistory(attempts), tables)


def campaign(*profiles: Profile, **options) -> CampaignRules:
    """A campaign for rule tests. Unless a test says otherwise, an unknown line type counts
    as a landline here (the product's default is wireless: tests/dnc/rules/
    test_rules_line_type.py), so each test sees the rules it is about."""
    options.setdefault("treat_unknown_line_type_as_wireless", False)
    options.setdefault("seller", SELLER)
    return CampaignRules(name="spring", profiles=profiles or (Profile.US_FEDERAL,), **options)


def pewc(number: str, given: datetime = datetime(2026, 1, 5, tzinfo=UTC), seller: str = SELLER,
         **kw):
    """Prior express written consent naming the seller and the number (64.1200(f)(9))."""
    from dnc.rules.model import ConsentKind, ConsentRecord
    return ConsentRecord(ConsentKind.PRIOR_EXPRESS_WRITTEN, given, seller=seller, number=number,
                         source="web form #1", **kw)


def outcome(decision, rule_id):
    matches = [o for o in decision.outcomes if o.rule_id == rule_id]
    assert matches, f"rule {rule_id} not evaluated: {[o.rule_id for o in decision.outcomes]}"
    return matches[0]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def fresh_versions(at: datetime) -> list[RegistryVersion]:
    """A national registry loaded the day before ``at`` (so freshness never interferes)."""
    national = RegistryVersion("national", RegistryKind.NATIONAL, "national@fresh",
                               at - timedelta(days=1))
    return [national, INTERNAL, *STATE_LISTS]
