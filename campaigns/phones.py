"""Phone number normalisation to E.164: a vectorised NANP fast path and phonenumbers.

``phonenumbers.parse`` costs 20–50 µs a number; a million-row import cannot afford it per
row. Most lead files are North American, so 10/11-digit NANP numbers are cleaned with
numpy/pandas string operations and validated against phonenumbers' *own* metadata: a
national number is valid when it fully matches a number-type pattern of one of the NANP
regions — the same test ``phonenumbers.is_valid_number`` applies. Time zones and states
come from phonenumbers' time zone and geocoding tables keyed by area code, built once.
Everything else falls back to ``phonenumbers.parse`` with the campaign's default region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import geocoder, timezone
from phonenumbers.phonemetadata import PhoneMetadata

_TYPE_FIELDS = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
                "personal_number", "voip", "pager", "uan", "voicemail")

US_STATES = {
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
    "Virginia": "VA", "Washington": "WA", "West Virginia": "WV", "Wisconsin": "WI",
    "Wyoming": "WY", "Washington D.C.": "DC", "Washington DC": "DC",
    "District of Columbia": "DC", "Puerto Rico": "PR", "Guam": "GU",
    "US Virgin Islands": "VI", "American Samoa": "AS", "Northern Mariana Islands": "MP",
    "Alberta": "AB", "British Columbia": "BC", "Manitoba": "MB", "New Brunswick": "NB",
    "Newfoundland and Labrador": "NL", "Nova Scotia": "NS", "Ontario": "ON",
    "Prince Edward Island": "PE", "Quebec": "QC", "Saskatchewan": "SK",
    "Northwest Territories": "NT", "Nunavut": "NU", "Yukon": "YT",
}


@dataclass(frozen=True, slots=True)
class AreaCode:
    timezone: str | None    # one IANA zone, or several joined with ","
    state: str | None       # USPS/Canada Post abbreviation


@lru_cache(maxsize=1)
def nanp_pattern() -> re.Pattern[str]:
    """Union of every NANP region's valid national-number patterns (phonenumbers metadata)."""
    parts: list[str] = []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE[1]:
        metadata = PhoneMetadata.metadata_for_region(region)
        for name in _TYPE_FIELDS:
            desc = getattr(metadata, name, None)
            if desc is not None and desc.national_number_pattern:
                parts.append(desc.national_number_pattern)
    return re.compile("(?:" + "|".join(f"(?:{p})" for p in dict.fromkeys(parts)) + ")")


@lru_cache(maxsize=1)
def area_codes() -> dict[str, AreaCode]:
    """Area code (NPA) → time zone and state/province, from phonenumbers' own tables."""
    from phonenumbers.geodata import GEOCODE_DATA
    from phonenumbers.tzdata import TIMEZONE_DATA

    table: dict[str, AreaCode] = {}
    for npa in range(200, 1000):
        key = f"1{npa}"
        zones = TIMEZONE_DATA.get(key)
        place = (GEOCODE_DATA.get(key) or {}).get("en")
        if zones is None and place is None:
            continue
        state = US_STATES.get(place) if place else None
        table[str(npa)] = AreaCode(",".join(zones) if zones else None, state)
    return table


def lookup_area(number_e164: str) -> AreaCode:
    """Zone and state for an E.164 number (NANP by area code; elsewhere zone only)."""
    if number_e164.startswith("+1") and len(number_e164) == 12:
        found = area_codes().get(number_e164[2:5])
        if found is not None:
            return found
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return AreaCode(None, None)
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    region = geocoder.description_for_number(parsed, "en")
    return AreaCode(",".join(zones) or None, US_STATES.get(region))


def normalise_one(raw: str, default_region: str) -> tuple[str | None, str]:
    """(E.164 or None, reason) for one number via phonenumbers."""
    text = (raw or "").strip()
    if not text:
        return None, "empty phone number"
    try:
        parsed = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        return None, f"not a phone number ({error._msg})"
    if not phonenumbers.is_valid_number(parsed):
        return None, "invalid phone number"
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), ""


_SEPARATORS = np.frombuffer(b" ()-.+\x00", dtype=np.uint8)
_WIDTH = 24
_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _nanp_fast(text: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(national numbers as int64, rows the fast path decides, rows too short to be valid).

    A row qualifies when it holds only digits and separators (space ( ) - . and one +),
    and 10 digits, or 11 starting with 1. Work is done on a bytes matrix, not per row.
    """
    values = text.to_numpy(dtype=object)
    try:
        raw = np.array(values, dtype=f"S{_WIDTH}")
    except UnicodeEncodeError:  # non-ASCII somewhere: decide those rows slowly
        ascii_mask = np.fromiter((v.isascii() for v in values), bool, len(values))
        raw = np.array([v if a else "" for v, a in zip(values, ascii_mask, strict=True)],
                       dtype=f"S{_WIDTH}")
    matrix = raw.view(np.uint8).reshape(len(raw), _WIDTH)
    is_digit = (matrix >= 48) & (matrix <= 57)
    allowed = is_digit | np.isin(matrix, _SEPARATORS)
    count = is_digit.sum(axis=1)
    position = np.cumsum(is_digit, axis=1) - 1
    exponent = np.clip(count[:, None] - 1 - position, 0, 18)
    number = np.where(is_digit, (matrix.astype(np.int64) - 48) * _POW10[exponent], 0).sum(1)
    lengths = np.char.str_len(raw)
    plus = (matrix == 43).sum(axis=1)
    fits = (lengths < _WIDTH) & allowed.all(axis=1) & (plus <= 1)
    eleven = (count == 11) & (number // 10**10 == 1)
    # With a "+" only "+1" and ten digits is NANP ("+2015550123" is Egypt, +20).
    decided = fits & np.where(plus == 1, eleven, (count == 10) | eleven)
    national = np.where(eleven, number - 10**10, number)
    # Without "+" and under ten digits a NANP number lacks its area code: invalid for sure.
    too_short = fits & (plus == 0) & (count < 10)
    return national, decided, too_short


def normalise_series(raw: pd.Series, default_region: str) -> tuple[pd.Series, pd.Series]:
    """Vectorised normalisation: (E.164 strings or None, rejection reasons or "")."""
    text = raw.fillna("").astype(str)
    result = np.full(len(text), None, dtype=object)
    reasons = np.full(len(text), "", dtype=object)
    slow = np.ones(len(text), dtype=bool)
    if len(text) and phonenumbers.country_code_for_region(default_region) == 1:
        national, decided, too_short = _nanp_fast(text)
        short = np.flatnonzero(too_short & (text.str.len().to_numpy() > 0))
        reasons[short] = "invalid phone number (too few digits)"
        slow[short] = False
        index = np.flatnonzero(decided)
        digits = national[index].astype("U10")
        pattern = nanp_pattern()
        valid = np.fromiter((pattern.fullmatch(d) is not None for d in digits.tolist()),
                            bool, len(digits))
        result[index[valid]] = np.char.add("+1", digits[valid]).astype(object)
        reasons[index[~valid]] = "invalid phone number"
        slow[index] = False
    for i in np.flatnonzero(slow):
        number, reason = normalise_one(text.iat[i], default_region)
        result[i], reasons[i] = number, reason
    return pd.Series(result, index=raw.index, dtype=object), pd.Series(
        reasons, index=raw.index, dtype=object)
