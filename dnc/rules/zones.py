"""Where the called party is: the time zones and US states whose rules apply to a lead.

Explicit lead data beats inference (time zone, then US state, then postal code); otherwise
the numbering plan (``phonenumbers``) gives the zones. The US states whose laws apply are
the lead's explicit state (or its postal code's state) plus the area code's state, because
Florida (Fla. Stat. 501.059(8)(d)) and Oklahoma (15 O.S. 775C.6) presume that a call to an
in-state area code is a call to a resident: taking both is the conservative reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder, number_type
from phonenumbers import timezone as number_zones

from dnc.errors import ComplianceError
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables

US_STATE_NAMES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "District of Columbia": "DC",
    "Washington D.C.": "DC", "Washington, D.C.": "DC", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI",
    "Wyoming": "WY", "Puerto Rico": "PR", "Guam": "GU", "Northern Mariana Islands": "MP",
    "American Samoa": "AS", "U.S. Virgin Islands": "VI",
}
US_REGIONS = frozenset({"US", "PR", "GU", "MP", "AS", "VI"})


@dataclass(frozen=True, slots=True)
class Placement:
    """The zones a call must respect, where they came from, and the US states that apply."""

    zones: tuple[str, ...]
    source: str
    states: tuple[str, ...]
    region: str | None           # ISO region of the number ("US", "GB", ...)
    wireless_by_plan: bool       # the numbering plan says MOBILE
    line_type_ambiguous: bool    # FIXED_LINE_OR_MOBILE (all of the NANP)

    @property
    def known(self) -> bool:
        return bool(self.zones)

    def zone_infos(self) -> tuple[ZoneInfo, ...]:
        return tuple(_zone(name) for name in self.zones)


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse_e164(number_e164: str) -> phonenumbers.PhoneNumber:
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException as error:
        raise ComplianceError(f"{number_e164!r} is not an E.164 number: {error}") from error
    if not number_e164.startswith("+"):
        raise ComplianceError(f"{number_e164!r} is not E.164 (expected a leading '+')")
    return parsed


_NANP = re.compile(r"\+1[2-9]\d{2}[2-9]\d{6}")


def _plan_facts(number_e164: str) -> tuple[tuple[str, ...], str | None, str | None, int]:
    """Zones, region, area-code state and line type from the numbering plan.

    In the NANP all of these are fixed by the area code and exchange (NPA-NXX), so a
    well-formed +1 number is looked up once per exchange; others once per number.
    """
    if _NANP.fullmatch(number_e164):
        return _prefix_facts(number_e164[:8])
    return _number_facts(number_e164)


@lru_cache(maxsize=32768)
def _prefix_facts(prefix: str) -> tuple[tuple[str, ...], str | None, str | None, int]:
    return _number_facts(prefix + "5010")  # any subscriber number of the exchange


@lru_cache(maxsize=4096)
def _number_facts(number_e164: str) -> tuple[tuple[str, ...], str | None, str | None, int]:
    parsed = parse_e164(number_e164)
    zones = tuple(z for z in number_zones.time_zones_for_number(parsed) if z != "Etc/Unknown")
    region = phonenumbers.region_code_for_number(parsed)
    area_state = None
    if region in US_REGIONS:
        description = geocoder.description_for_number(parsed, "en")
        area_state = US_STATE_NAMES.get(description)
        if area_state is None and ", " in description:
            tail = description.rsplit(", ", 1)[1]
            area_state = tail if len(tail) == 2 else US_STATE_NAMES.get(tail)
        if area_state is None and region != "US":
            area_state = region
    return zones, region, area_state, number_type(parsed)


def place(lead: LeadFacts, tables: RuleTables) -> Placement:
    """Resolve a lead's zones and applicable states (explicit facts first)."""
    plan_zones, region, area_state, line_type = _plan_facts(lead.number_e164)
    explicit_state = lead.state.upper() if lead.state else None
    if explicit_state is not None and explicit_state not in tables.state_zones:
        raise ComplianceError(f"lead {lead.lead_id or lead.number_e164}: unknown US state "
                              f"{lead.state!r}")
    postal_state = None
    if lead.postal_code:
        digits = "".join(ch for ch in lead.postal_code if ch.isdigit())
        postal_state = tables.zip3_states.get(digits[:3]) if len(digits) >= 5 else None
    if lead.time_zone:
        try:
            _zone(lead.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ComplianceError(f"lead {lead.lead_id or lead.number_e164}: unknown time "
                                  f"zone {lead.time_zone!r}") from error
        zones, source = (lead.time_zone,), "lead time zone"
    elif explicit_state is not None:
        zones, source = tables.state_zones[explicit_state], f"lead state {explicit_state}"
    elif postal_state is not None:
        zones = tables.state_zones[postal_state]
        source = f"postal code {lead.postal_code} -> {postal_state}"
    else:
        zones, source = plan_zones, "numbering plan (phonenumbers)"
    states = tuple(dict.fromkeys(
        s for s in (explicit_state or postal_state, area_state) if s is not None))
    return Placement(
        zones=zones, source=source if zones else "unknown", states=states, region=region,
        wireless_by_plan=line_type == PhoneNumberType.MOBILE,
        line_type_ambiguous=line_type == PhoneNumberType.FIXED_LINE_OR_MOBILE)
