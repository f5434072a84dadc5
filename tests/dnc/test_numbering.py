"""One answer to "where is this number" (dnc/numbering.py), read by the lead import, local
presence, the compliance rules and the recording decision alike.

Before, the import and local presence read phonenumbers' geocoding data at the four-digit
key ``1NPA`` only and only whole state names: 49 of 441 area codes had no state there
(Chicago's 312 is "Chicago, IL", New York's 212 "New York, NY", Connecticut's 203 has no
four-digit entry at all), while the rules read "City, ST" per exchange. The compliance
direction is checked over the whole plan: for every area code and exchange, the states the
rules apply (and the zones they check) may only grow, never shrink, whether a lead's state
is left to the rules or inferred at import and stored as the lead's own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import geocoder, parse, region_code_for_number
from phonenumbers.geodata import GEOCODE_DATA

from dnc.numbering import (
    STATE_CODES,
    area_code_state,
    area_code_states,
    described_state,
    number_state,
    number_states,
)
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import US_REGIONS, place

TABLES = RuleTables()


@pytest.mark.parametrize("npa, state", [
    ("312", "IL"), ("773", "IL"), ("203", "CT"), ("212", "NY"), ("718", "NY"),
    ("213", "CA"), ("713", "TX"), ("201", "NJ"), ("907", "AK"), ("340", "VI"),
    ("671", "GU"), ("787", "PR"), ("416", "ON"), ("905", "ON"),
])
def test_every_answer_names_the_area_codes_state(npa: str, state: str) -> None:
    """The import's inference, local presence and the rules give one state per number."""
    from campaigns.phones import area_codes, lookup_area
    from dialer.runner.carriers import state_of

    number = f"+1{npa}5550123"
    assert area_code_state(npa) == state
    assert area_codes()[npa].state == state
    assert lookup_area(number).state == state == number_state(number) == state_of(number)
    if state not in ("ON",):
        assert state in place(LeadFacts(number), TABLES).states


def test_disagreeing_or_placeless_area_codes_have_no_state() -> None:
    """867 is described "Northwest Territories/Nunavut/Yukon" and by cities of three
    territories; 242 (Bahamas) by islands: no single state is claimed for them."""
    assert area_code_state("867") is None and area_code_state("902") is None
    assert area_code_state("242") is None and area_code_state("800") is None
    assert number_state("+12425550123") is None


def test_an_exchange_described_in_another_state_keeps_its_area_codes_state_too() -> None:
    """201 is New Jersey's; its exchange 631 is described "New York, NY": both count for
    the rules, the exchange's placing the number most closely."""
    assert number_states("+12016315555") == ("NY", "NJ")
    assert number_state("+12016315555") == "NY"
    assert set(place(LeadFacts("+12016315555"), TABLES).states) == {"NY", "NJ"}


def test_descriptions_are_read_as_states() -> None:
    assert described_state("Chicago, IL") == "IL" and described_state("Illinois") == "IL"
    assert described_state("Washington State") == "WA"
    assert described_state("Toronto, ON") == "ON" and described_state("Tamuning") is None
    assert described_state("Nova Scotia/Prince Edward Island") is None


def test_local_presence_picks_a_chicago_caller_id_for_a_chicago_callee() -> None:
    """773 and 312 are both Chicago: a 773 callee is shown the campaign's 312 number (by
    state), which the four-digit table could not do (it knew neither's state)."""
    from campaigns.settings import CampaignSettings
    from dialer.runner.carriers import caller_id_pool

    settings = CampaignSettings(
        caller_ids=("+12015550100", "+13125550100", "+18605550100"),
        caller_id_policy="local_presence")
    pool = caller_id_pool(settings, {}, 0.0)
    assert pool.choose("+17735550123", 10.0).reason == "state IL"
    assert pool.choose("+17735550123", 10.0).number == "+13125550100"
    assert pool.choose("+12035550123", 10.0).number == "+18605550100"  # CT: 203 and 860


# --- the compliance direction: never fewer states, never fewer zones ---------------------

_OLD_STATE_NAMES = {name: code for name, code in STATE_CODES.items()
                    if code not in ("AB", "BC", "MB", "NB", "NL", "NS", "ON", "PE", "QC",
                                    "SK", "NT", "NU", "YT")}


def _old_rules_state(number: str) -> str | None:
    """The area-code state of the rules before dnc/numbering.py (dnc/rules/zones.py
    ``_number_facts`` at d4f1fb5), with a superset of its names."""
    parsed = parse(number, None)
    region = region_code_for_number(parsed)
    if region not in US_REGIONS:
        return None
    description = geocoder.description_for_number(parsed, "en")
    state = _OLD_STATE_NAMES.get(description)
    if state is None and ", " in description:
        tail = description.rsplit(", ", 1)[1]
        state = tail if len(tail) == 2 else _OLD_STATE_NAMES.get(tail)
    if state is None and region != "US":
        state = region
    return state


def _old_inferred_state(number: str) -> str | None:
    """The state the import inferred and stored before: the four-digit key, whole names."""
    place_name = (GEOCODE_DATA.get(number[1:5]) or {}).get("en")
    return STATE_CODES.get(place_name) if place_name else None


def _never_fewer(number: str) -> None:
    parsed = parse(number, None)
    if region_code_for_number(parsed) not in US_REGIONS:
        return
    left_to_rules = place(LeadFacts(number), TABLES)
    old_area = _old_rules_state(number)
    assert {old_area} - {None} <= set(left_to_rules.states), number
    old_inferred = _old_inferred_state(number)
    if old_inferred not in TABLES.state_zones:
        old_inferred = None
    new_inferred = number_state(number)
    old = place(LeadFacts(number, state=old_inferred), TABLES)
    new = place(LeadFacts(number, state=new_inferred), TABLES)
    assert {old_inferred, old_area} - {None} <= set(new.states), number
    assert set(old.zones) <= set(new.zones), number


def _sample_exchanges() -> list[str]:
    """One exchange of every place each area code's prefixes describe (the states and the
    zones added for them depend on the area code and the description alone; the plan's
    own zones are the same before and after), and two undescribed exchanges (555, 958) of
    every area code."""
    first: dict[tuple[str, str], str] = {}
    for prefix, names in sorted(GEOCODE_DATA.items()):
        if prefix.startswith("1") and len(prefix) == 7 and prefix[4] not in "01":
            first.setdefault((prefix[:4], names.get("en", "")), f"+{prefix}0123")
    numbers = set(first.values())
    for npa in range(200, 1000):
        numbers.update({f"+1{npa}5550123", f"+1{npa}9580123"})
    return sorted(numbers)


def test_no_number_of_the_plan_loses_a_state_or_a_zone() -> None:
    for number in _sample_exchanges():
        _never_fewer(number)


@settings(max_examples=300, deadline=None)
@given(npa=st.integers(200, 999), nxx=st.integers(200, 999), line=st.integers(0, 9999))
def test_any_number_never_loses_a_state_or_a_zone(npa: int, nxx: int, line: int) -> None:
    _never_fewer(f"+1{npa}{nxx}{line:04d}")


def test_the_table_is_built_once_from_every_prefix_length() -> None:
    """Area codes described only below the four-digit key (203, 718, 713) have a state."""
    table = area_code_states()
    assert "1203" not in GEOCODE_DATA and table["203"] == "CT"
    assert len([npa for npa in table if npa in ("203", "718", "713", "312", "212")]) == 5
