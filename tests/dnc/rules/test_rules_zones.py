"""Where the called party may be: the union of every signal, none replacing another."""

from __future__ import annotations

from rules_kit import campaign, engine

from dnc.rules.model import LeadFacts, Profile
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

TABLES = RuleTables()
NJ = "+12015550123"


def test_every_signal_adds_its_zones():
    """12 CFR 1006.6(b)(1)(i) comment 6(b)(1)(i)-1: with conflicting location data the call
    must be convenient in all the locations; the same union serves the TCPA and states."""
    placed = place(LeadFacts(NJ, time_zone="America/Denver", state="FL", postal_code="90210"),
                   TABLES)
    assert placed.zones == ("America/Denver", "America/New_York", "America/Chicago",
                            "America/Los_Angeles")
    assert placed.source == ("lead time zone + lead state FL + postal code 90210 -> CA + "
                             "numbering plan")
    assert placed.states == ("FL", "CA", "NJ")


def test_state_postal_code_and_number_all_count():
    assert place(LeadFacts(NJ, state="TX", postal_code="90210"), TABLES).zones == \
        ("America/Chicago", "America/Denver", "America/Los_Angeles", "America/New_York")
    by_zip = place(LeadFacts(NJ, postal_code="90210-1234"), TABLES)
    assert by_zip.zones == ("America/Los_Angeles", "America/New_York")
    assert by_zip.states == ("CA", "NJ")
    assert place(LeadFacts(NJ), TABLES).zones == ("America/New_York",)


def test_a_comma_separated_time_zone_lists_candidates():
    placed = place(LeadFacts(NJ, time_zone="America/Chicago, America/Denver"), TABLES)
    assert placed.zones == ("America/Chicago", "America/Denver", "America/New_York")


def test_explicit_zone_contradicting_the_state_is_reported():
    from dnc.rules.zones import zone_conflict
    assert zone_conflict(LeadFacts(NJ, time_zone="America/New_York", state="CA"), TABLES) \
        == ("time zone America/New_York is not a zone of state CA (America/Los_Angeles): "
            "both are used")
    assert zone_conflict(LeadFacts(NJ, time_zone="America/Chicago", state="FL"), TABLES) \
        is None


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


def test_every_geographic_us_area_code_names_its_state():
    """phonenumbers calls Washington's area codes "Washington State": without the mapping,
    206-555-0123 had no state and Washington's rows never applied by area code."""
    import phonenumbers

    from dnc.rules.zones import US_REGIONS, _number_facts
    missing = []
    for npa in range(200, 1000):
        try:
            parsed = phonenumbers.parse(f"+1{npa}5550100")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.region_code_for_number(parsed) not in US_REGIONS:
            continue
        _, _, states, _, _ = _number_facts(f"+1{npa}5550100")
        geographic = bool(phonenumbers.geocoder.description_for_number(parsed, "en"))
        if geographic and not states:
            missing.append(npa)
    assert missing == []
    assert place(LeadFacts("+12065550123"), TABLES).states == ("WA",)
