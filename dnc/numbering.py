"""Where the North American numbering plan places a number: the one answer the product uses.

The lead import (a lead's inferred state), local presence (the callee's and each caller
ID's state), the compliance rules (the states whose laws apply) and the recording-consent
decision all ask this module, so they cannot disagree. Before, four places answered four
ways: the import's table read phonenumbers' geocoding data only at the four-digit key
``1NPA`` and only whole state names, so 49 of 441 area codes had no state there (312 is
described "Chicago, IL"; 203 has no four-digit entry at all, only longer prefixes), and
Chicago leads were stored with no state, local presence never found an Illinois caller ID.

Everything is built once from phonenumbers' own tables, at every prefix length:

* an **exchange's state** is the state of its longest described prefix (``1NPANXX``,
  ``1NPANX``, ... ``1NPA``), as ``phonenumbers.geocoder`` finds it;
* an **area code's state** is the state the plan describes the whole area code in (its
  four-digit entry, when that names a state: 201 is "New Jersey", though one exchange is
  described "New York, NY"); otherwise the one state every described prefix names (312,
  203); none when they disagree or a description names no state (867: "Northwest
  Territories/Nunavut/Yukon", Bahamas' islands); a US territory's area codes (PR, VI, GU,
  MP, AS) are the territory's whatever their cities.

A place is read as a state when it is a state's, territory's or Canadian province's name,
or "City, ST" with a two-letter code. A number may be in its exchange's state and in its
area code's state (Florida, Oklahoma, Connecticut, South Carolina and Virginia presume a
call to an in-state area code is a call to a resident): ``number_states`` gives both.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder
from phonenumbers.phonemetadata import PhoneMetadata

US_STATE_NAMES = {
    "Alabama": "AL", "Alaska": "AK", "Arizona": "AZ", "Arkansas": "AR", "California": "CA",
    "Colorado": "CO", "Connecticut": "CT", "Delaware": "DE", "Florida": "FL", "Georgia": "GA",
    "Hawaii": "HI", "Idaho": "ID", "Illinois": "IL", "Indiana": "IN", "Iowa": "IA",
    "Kansas": "KS", "Kentucky": "KY", "Louisiana": "LA", "Maine": "ME", "Maryland": "MD",
    "Massachusetts": "MA", "Michigan": "MI", "Minnesota": "MN", "Mississippi": "MS",
    "Missouri": "MO", "Montana": "MT", "Nebraska": "NE", "Nevada": "NV",
    "New Hampshire": "NH", "New Jersey": "NJ", "New Mexico": "NM", "New York": "NY",
    "North Carolina": "NC", "North Dakota": "ND", "Ohio": "OH", "Oklahoma": "OK",
    "Oregon": "OR", "Pennsylvania": "PA", "Rhode Island": "RI", "South Carolina": "SC",
    "South Dakota": "SD", "Tennessee": "TN", "Texas": "TX", "Utah": "UT", "Vermont": "VT",
    "Virginia": "VA", "Washington": "WA", "Washington State": "WA", "West Virginia": "WV",
    "Wisconsin": "WI", "Wyoming": "WY",
    "District of Columbia": "DC", "Washington D.C.": "DC", "Washington, D.C.": "DC",
    "Washington DC": "DC",
    "Puerto Rico": "PR", "Guam": "GU", "Northern Mariana Islands": "MP",
    "American Samoa": "AS", "U.S. Virgin Islands": "VI", "US Virgin Islands": "VI",
}
PROVINCE_NAMES = {
    "Alberta": "AB", "British Columbia": "BC", "British Colombia": "BC", "Manitoba": "MB",
    "New Brunswick": "NB", "Newfoundland and Labrador": "NL", "Nova Scotia": "NS",
    "Ontario": "ON", "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}
STATE_CODES = {**US_STATE_NAMES, **PROVINCE_NAMES}
"""Place names phonenumbers' English geocoding data uses -> USPS / Canada Post codes
("British Colombia" is the data's own spelling for one 250 prefix)."""

US_CODES = frozenset(US_STATE_NAMES.values())
"""US states, DC and the territories: the places whose laws the US profiles apply."""

TERRITORIES = ("PR", "VI", "GU", "MP", "AS")
"""US territories with area codes of their own (the plan's regions of the same name)."""

_NANP = re.compile(r"\+1[2-9]\d{2}[2-9]\d{6}")
_CODE = re.compile(r"[A-Z]{2}")


def described_state(description: str) -> str | None:
    """The state, territory or province a geocoding description names, None when it names
    none ("Tamuning", "Nova Scotia/Prince Edward Island", "United States")."""
    if description in STATE_CODES:
        return STATE_CODES[description]
    if ", " in description:
        tail = description.rsplit(", ", 1)[1]
        return tail if _CODE.fullmatch(tail) else STATE_CODES.get(tail)
    return None


@lru_cache(maxsize=1)
def _territory_area_codes() -> dict[str, str]:
    found: dict[str, str] = {}
    for region in TERRITORIES:
        pattern = PhoneMetadata.metadata_for_region(region).leading_digits
        for npa in range(200, 1000):
            if pattern and re.fullmatch(pattern, str(npa)):
                found[str(npa)] = region
    return found


@lru_cache(maxsize=1)
def area_code_states() -> dict[str, str]:
    """Area code (NPA) -> its state (module docstring), for the area codes that have one;
    built once from every described prefix of phonenumbers' geocoding data."""
    from phonenumbers.geodata import GEOCODE_DATA

    named: dict[str, set[str | None]] = {}
    whole: dict[str, str | None] = {}
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1") or len(prefix) < 4 or "en" not in names:
            continue
        state = described_state(names["en"])
        named.setdefault(prefix[1:4], set()).add(state)
        if len(prefix) == 4:
            whole[prefix[1:4]] = state
    table = {npa: state for npa, states in named.items()
             if len(states) == 1 and (state := next(iter(states))) is not None}
    table.update({npa: state for npa, state in whole.items() if state is not None})
    table.update(_territory_area_codes())
    return table


def area_code_state(npa: str) -> str | None:
    return area_code_states().get(npa)


@lru_cache(maxsize=65536)
def _exchange_state(prefix: str) -> str | None:
    """The state of the longest described prefix of ``+1NPANXX``."""
    from phonenumbers.geodata import GEOCODE_DATA

    digits = prefix[1:]
    for length in range(len(digits), 3, -1):
        names = GEOCODE_DATA.get(digits[:length])
        if names is not None and "en" in names:
            return described_state(names["en"])
    return None


@lru_cache(maxsize=65536)
def number_states(number_e164: str) -> tuple[str, ...]:
    """Every state, territory or province the plan places a number in: its exchange's
    state, then its area code's (one of them, both, or none; deduplicated). Outside the
    NANP: the state its geocoding description names, if any (none for most countries)."""
    if _NANP.fullmatch(number_e164):
        found = (_exchange_state(number_e164[:8]), area_code_state(number_e164[2:5]))
        return tuple(dict.fromkeys(s for s in found if s is not None))
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return ()
    if parsed.country_code != 1:
        return ()
    state = described_state(geocoder.description_for_number(parsed, "en"))
    return (state,) if state is not None else ()


def number_state(number_e164: str) -> str | None:
    """The one state that places a number most closely (its exchange's, else its area
    code's), for a choice that takes one: a lead's inferred state, local presence."""
    states = number_states(number_e164)
    return states[0] if states else None

