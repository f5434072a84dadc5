"""Phone number normalisation to E.164: a vectorised NANP fast path and phonenumbers.

``phonenumbers.parse`` costs 20–50 µs a number; a million-row import cannot afford it per
row. Most lead files are North American, so 10/11-digit NANP numbers are cleaned with
numpy/pandas string operations and validated against phonenumbers' *own* metadata: a
national number is valid when it fully matches a number-type pattern of one of the NANP
regions — the same test ``phonenumbers.is_valid_number`` applies. Time zones come from
phonenumbers' time zone table keyed by area code, built once; states from
``dnc.numbering``, the one answer the compliance rules and local presence read too.
Everything else falls back to ``phonenumbers.parse`` with the campaign's default region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import phonenumbers
from phonenumbers import timezone
from phonenumbers.phonemetadata import PhoneMetadata

from dnc.numbering import area_code_state, number_state

_TYPE_FIELDS = ("fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost",
                "personal_number", "voip", "pager", "uan", "voicemail")

@dataclass(frozen=True, slots=True)
class AreaCode:
    timezone: str | None    # one IANA zone, or several joined with ","
    state: str | None       # USPS/Canada Post abbreviation (dnc.numbering)


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
    """Area code (NPA) → time zone and state/province, from phonenumbers' own tables; the
    state is the one ``dnc.numbering`` gives the area code (the compliance rules' answer)."""
    from phonenumbers.tzdata import TIMEZONE_DATA

    table: dict[str, AreaCode] = {}
    for npa in range(200, 1000):
        zones = TIMEZONE_DATA.get(f"1{npa}")
        state = area_code_state(str(npa))
        if zones is None and state is None:
            continue
        table[str(npa)] = AreaCode(",".join(zones) if zones else None, state)
    return table


def lookup_area(number_e164: str) -> AreaCode:
    """Zone (by area code; elsewhere by number) and the state the numbering plan places
    the number in (its exchange's, else its area code's: ``dnc.numbering.number_state``)."""
    state = number_state(number_e164)
    if number_e164.startswith("+1") and len(number_e164) == 12:
        found = area_codes().get(number_e164[2:5])
        if found is not None:
            return AreaCode(found.timezone, state)
    try:
        parsed = phonenumbers.parse(number_e164, None)
    except phonenumbers.NumberParseException:
        return AreaCode(None, None)
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != "Etc/Unknown"]
    return AreaCode(",".join(zones) or None, state)


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
        return None, "invalid phone number" + _foreign_prefix(text, default_region)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164), ""


def _foreign_prefix(text: str, default_region: str) -> str:
    """Why a number written with another country's international prefix is refused: "00"
    is dialed abroad from most of the world, not from ``default_region`` (the US dials
    011), so ``001 312 555 0124`` is no number here. Never read as meant (a guess that
    could reach someone else): the words say what to write."""
    digits = re.sub(r"\D", "", text)
    if text.lstrip().startswith("+") or not digits.startswith("00"):
        return ""
    metadata = PhoneMetadata.metadata_for_region(default_region)
    prefix = metadata.international_prefix if metadata is not None else None
    if prefix is not None and re.match(prefix, digits):
        return ""
    try:
        meant = phonenumbers.parse("+" + digits[2:], None)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(meant):
        return ""
    written = phonenumbers.format_number(meant, phonenumbers.PhoneNumberFormat.E164)
    return (f" (00 is not the international prefix dialed from {default_region}; if "
            f"{written} is meant, write it so)")


_SEPARATORS = np.frombuffer(b" ()-.+\x00", dtype=np.uint8)
_WIDTH = 24
_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _nanp_fast(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(national numbers as int64, rows the fast path decides, short national numbers the
    fast path also decides, text lengths) for an object array of str.

    A row qualifies when it holds only digits and separators (space ( ) - . and one +),
    and 10 digits, or 11 starting with 1. Work is done on a bytes matrix, not per row.
    """
    try:
        raw = np.array(values, dtype=f"S{_WIDTH}")
    except UnicodeEncodeError:  # non-ASCII somewhere: decide those rows slowly
        raw = np.array([v if v.isascii() else "" for v in values.tolist()], dtype=f"S{_WIDTH}")
    matrix = raw.view(np.uint8).reshape(len(raw), _WIDTH)
    is_digit = (matrix >= 48) & (matrix <= 57)
    allowed = is_digit | np.isin(matrix, _SEPARATORS)
    position = np.cumsum(is_digit, axis=1, dtype=np.int8)
    count = position[:, -1].astype(np.int64)
    exponent = np.clip(count[:, None].astype(np.int8) - position, 0, 18)
    number = np.where(is_digit, (matrix.astype(np.int64) - 48) * _POW10[exponent], 0).sum(1)
    lengths = np.char.str_len(raw)
    plus = (matrix == 43).sum(axis=1)
    fits = (lengths < _WIDTH) & allowed.all(axis=1) & (plus <= 1)
    eleven = (count == 11) & (number // 10**10 == 1)
    # With a "+" only "+1" and ten digits is NANP ("+2015550123" is Egypt, +20).
    decided = fits & np.where(plus == 1, eleven, (count == 10) | eleven)
    national = np.where(eleven, number - 10**10, number)
    # Short numbers without "+" and not starting with 0/1 (no trunk or international
    # prefix to strip) are national numbers as written: a few are valid (Canada's 310-xxxx).
    first_digit = number // _POW10[np.clip(count - 1, 0, 18)]
    short = fits & (plus == 0) & (count > 0) & (count < 10) & (first_digit >= 2)
    return national, decided, short, lengths


def _as_text(raw: pd.Series) -> np.ndarray:
    values = raw.to_numpy(dtype=object)
    if all(type(v) is str for v in values.tolist()):
        return values
    return np.array(["" if v is None or v != v else str(v) for v in values.tolist()],
                    dtype=object)


def normalise_series(raw: pd.Series, default_region: str) -> tuple[pd.Series, pd.Series]:
    """Vectorised normalisation: (E.164 strings or None, rejection reasons or "")."""
    text = _as_text(raw)
    result = np.full(len(text), None, dtype=object)
    reasons = np.full(len(text), "", dtype=object)
    slow = np.ones(len(text), dtype=bool)
    if len(text) and phonenumbers.country_code_for_region(default_region) == 1:
        national, decided, short, _lengths = _nanp_fast(text)
        index = np.flatnonzero(decided | short)
        digits = national[index].astype(str)
        match = nanp_pattern().fullmatch
        valid = np.fromiter((match(d) is not None for d in digits.tolist()), bool, len(digits))
        result[index[valid]] = np.char.add("+1", digits[valid]).astype(object)
        reasons[index[~valid]] = np.where(short[index[~valid]],
                                          "invalid phone number (too few digits)",
                                          "invalid phone number")
        slow[index] = False
    for i in np.flatnonzero(slow).tolist():
        result[i], reasons[i] = normalise_one(text[i], default_region)
    for i in np.flatnonzero(reasons != "").tolist():
        reasons[i] = spreadsheet_number(text[i]) or reasons[i]
    return pd.Series(result, index=raw.index, dtype=object), pd.Series(
        reasons, index=raw.index, dtype=object)


def without_trunk_zero(texts: Sequence[str | None], numbers: Sequence[str | None],
                       default_region: str) -> list[int]:
    """Rows whose number was written nationally without its trunk prefix ``0``: in the
    UK (and every plan whose national prefix is 0) a national number is written with it
    (``020 7946 0000``), and a spreadsheet that stores the column as a number drops it
    (``2079460000``). phonenumbers reads the digits as the national number all the same,
    so the row was imported without a word, where a UK user expects to be told that their
    file lost its zeros. Only accepted numbers, written without ``+`` or ``00``, whose
    first digit is not the 0 (a plan whose national prefix is not 0, as the US's 1, is
    never named: writing it without is normal)."""
    metadata = PhoneMetadata.metadata_for_region(default_region)
    if metadata is None or metadata.national_prefix != "0":
        return []
    found = []
    for i, (text, number) in enumerate(zip(texts, numbers, strict=True)):
        if not number or not text:
            continue
        written = text.strip()
        digits = re.sub(r"\D", "", written)
        if written.startswith("+") or not digits or digits[0] == "0":
            continue
        found.append(i)
    return found


_DECIMAL = re.compile(r"\s*\+?\d{7,15}\.0+\s*")
_SCIENTIFIC = re.compile(r"\s*\d(?:[.,]\d+)?[eE]\+?\d{1,2}\s*")
_THOUSANDS = re.compile(r"\s*\d{1,3}(?:,\d{3}){2,4}(?:\.0+)?\s*")


def spreadsheet_number(text: str) -> str | None:
    """Why a number a spreadsheet rewrote is refused, with the repair: saved as a decimal
    (``2015550131.0``) or in scientific notation (``2.01555E+09``, its last digits lost).
    Both were refused as "invalid phone number" or "not a phone number (The string
    supplied did not seem to be a phone number.)", naming neither the cause nor the fix,
    and a whole column saved that way was rejected row by row (first-hour twelfth pass)."""
    if _DECIMAL.fullmatch(text):
        return ("saved by a spreadsheet as a decimal number (e.g. 2015550123.0): format "
                "the phone column as text and save the file again")
    if _THOUSANDS.fullmatch(text):
        return ("saved by a spreadsheet as a number with thousands separators (e.g. "
                "2,015,550,123): format the phone column as text and save the file again")
    if _SCIENTIFIC.fullmatch(text):
        return ("written by a spreadsheet in scientific notation (e.g. 2.01555E+09), which "
                "loses the last digits: format the phone column as text and save the file "
                "again")
    return None


_WRITTEN_BY_REGION = (("US", "a US or Canadian number"), ("GB", "a UK number"))
"""The numbering plans a number written without its country code is tried in, for the
hint only (the jurisdictions the dialer ships rules for): never stored as guessed."""


def e164_hint(text: str) -> str:
    """What to write for a number a setting wants in E.164 and got otherwise, as the tail
    of the refusal: ``8005550199`` gave "is not an E.164 number like +18005550100", and a
    user who never met the word could not tell the country code was missing nor which.
    The number is refused all the same (a country guessed could reach someone else)."""
    compact = re.sub(r"[\s().\-/]", "", text or "")
    if compact.startswith("+") and compact[1:].isdigit() and compact != text:
        return f": write {compact} (no spaces or punctuation)"
    digits = re.sub(r"\D", "", text or "")
    for prefix in ("011", "00"):  # the international prefix written in front
        if not compact.startswith("+") and digits.startswith(prefix):
            meant = _valid_e164("+" + digits[len(prefix):], None)
            if meant:
                return (f": {prefix} is the international prefix, written as +: "
                        f"write {meant} if that is the number")
    if compact.startswith("+") or not digits:
        return ": + then the country code and the number, digits only (e.g. +12015550123)"
    meant = [(written, where) for region, where in _WRITTEN_BY_REGION
             if (region != "GB" or digits.startswith("0"))  # a UK national number: 0...
             and (written := _valid_e164(digits, region))]
    if not meant:
        return (": E.164 is + and the country code, then the number, digits only (e.g. "
                "+12015550123 for a US number)")
    said = " or ".join(f"{written} if it is {where}" for written, where in meant)
    return f": E.164 is + and the country code, then the number; write {said}"


def _valid_e164(text: str, region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
