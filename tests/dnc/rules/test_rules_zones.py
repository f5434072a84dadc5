"""Where the called party is: explicit facts beat inference."""

from __future__ import annotations

from rules_kit import campaign, engine

from dnc.rules.model import LeadFacts, Profile
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

TABLES = RuleTables()
NJ = "+12015550123"


def test_explicit_time_zone_beats_state_and_postal_code():
    placed = place(LeadFacts(NJ, time_zone="America/Denver", state="FL", postal_code="90210"),
                   TABLES)
    assert placed.zones == ("America/Denver",) and placed.source == "lead time zone"
    assert placed.states == ("FL", "NJ")


def test_state_beats_postal_code_and_postal_code_beats_number():
    assert place(LeadFacts(NJ, state="TX", postal_code="90210"), TABLES).zones == \
        ("America/Chicago", "America/Denver")
    by_zip = place(LeadFacts(NJ, postal_code="90210-1234"), TABLES)
    assert by_zip.zones == ("America/Los_Angeles",) and by_zip.states == ("CA", "NJ")
    assert place(LeadFacts(NJ), TABLES).zones == ("America/New_York",)


def test_number_with_several_zones_lists_them_all():
    assert set(place(LeadFacts("+19075550123"), TABLES).zones) == \
        {"America/Anchorage", "America/Adak"}


def test_unknown_zone_is_unreachable_not_allowed():
    from datetime import UTC, datetime
    decision = engine().check(LeadFacts("+447700900123"), campaign(),
                              datetime(2026, 11, 18, 17, tzinfo=UTC))
    assert not decision.allowed and decision.unreachable and decision.earliest_allowed is None


def test_zones_without_common_window_make_the_lead_unreachable(tmp_path):
    source = TABLES.data_dir
    for name in ("holidays.csv", "zip3_states.csv", "state_rules.csv"):
        (tmp_path / name).write_text((source / name).read_text())
    zones = (source / "state_zones.csv").read_text().replace(
        "RI,America/New_York", "RI,America/New_York Asia/Kolkata")
    (tmp_path / "state_zones.csv").write_text(zones)
    from datetime import UTC, datetime
    decision = engine(tables=RuleTables(tmp_path)).check(
        LeadFacts(NJ, state="RI"), campaign(Profile.US_FEDERAL, Profile.US_STATE),
        datetime(2026, 11, 18, 17, tzinfo=UTC))
    assert not decision.allowed and decision.unreachable and decision.earliest_allowed is None
    assert any("unreachable" in o.reason for o in decision.reasons)
