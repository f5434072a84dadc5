"""The compliance columns of a lead import: line type, person (contact), the seller a consent
names, numbers outside the campaign's profiles, and time zones that contradict the state.

Kept apart from ``campaigns.leads`` (which moves rows); this module decides what the rows
mean for the rules:

- ``line_type``: wireless / landline / voip / unknown (carrier look-up words are accepted:
  mobile, cell, cellular -> wireless; fixed, wireline -> landline); anything else rejects the
  row, naming the field.
- ``contact_id``: the person. A mapped ``contact_id`` column, or a grouping rule
  (``contact_by=COLUMN``: leads with the same value in that column are one person, e.g. an
  e-mail or a customer number); empty: the lead is its own person.
- a consent column records prior express written consent for the row's own number, naming
  the seller of the ``consent_seller`` column or the one the importer states; a consent that
  names no seller is kept but does not count as written consent (47 CFR 64.1200(f)(9)).
- a number outside every profile of the campaign is rejected with the same reason the rules
  give (``dnc.rules.profiles.out_of_profile_reason``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from dnc.rules.model import LeadFacts
from dnc.rules.profiles import out_of_profile_reason
from dnc.rules.tables import RuleTables
from dnc.rules.zones import US_REGIONS, region_of, zone_conflict

LINE_TYPE_WORDS = {
    "wireless": "wireless", "mobile": "wireless", "cell": "wireless", "cellular": "wireless",
    "landline": "landline", "fixed": "landline", "fixed_line": "landline",
    "wireline": "landline", "voip": "voip", "unknown": None,
}
LINE_TYPE_CHOICES = "wireless, landline, voip or unknown"


def line_type_value(text: str | None) -> tuple[str | None, bool]:
    """(the stored value, valid) for one cell."""
    if text is None or not text.strip():
        return None, True
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    if key not in LINE_TYPE_WORDS:
        return None, False
    return LINE_TYPE_WORDS[key], True


def out_of_profile(phones: Sequence[str], ok: np.ndarray, jurisdiction: str) -> dict[int, str]:
    """Row index -> reason, for valid numbers outside every profile of the campaign."""
    from campaigns.compliance import profiles_for

    profiles = profiles_for(jurisdiction)
    found: dict[int, str] = {}
    for index in np.flatnonzero(ok).tolist():
        reason = out_of_profile_reason(region_of(phones[index]), profiles)
        if reason is not None:
            found[index] = reason
    return found


def contact_ids(values: Sequence[str | None] | None, rule: str | None) -> list[str | None]:
    """The person of each row: the value itself (a ``contact_id`` column) or
    ``COLUMN:value`` (a grouping rule), normalised so case and spaces do not split a person."""
    if values is None:
        return []
    out: list[str | None] = []
    for value in values:
        if value is None or not str(value).strip():
            out.append(None)
            continue
        text = " ".join(str(value).split())
        out.append(f"{rule}:{text.casefold()}" if rule else text)
    return out


def zone_warnings(path: str, phones: Sequence[str], states: Sequence[str | None],
                  zones: Sequence[str | None], explicit_zone: Sequence[bool],
                  lines: Sequence[int], limit: int = 5) -> list[str]:
    """Lines whose explicit time zone is not a zone of their state (both are used), as
    ``FILE:LINE: ...`` like every other import message (they named the line alone)."""
    tables = RuleTables()
    found: list[str] = []
    count = 0
    for phone, state, zone, given, line in zip(phones, states, zones, explicit_zone, lines,
                                               strict=True):
        if not given or not zone or not state:
            continue
        conflict = zone_conflict(LeadFacts(phone, time_zone=zone, state=state), tables)
        if conflict is None:
            continue
        count += 1
        if len(found) < limit:
            found.append(f"{path}:{line}: {conflict} (field timezone)")
    if count > limit:
        found.append(f"{path}: ... and {count - limit} more lines whose time zone is not "
                     "a zone of their state")
    return found


_US_ZIP = re.compile(r"\d{5}(?:[- ]?\d{4})?")
_LOST_ZEROS = re.compile(r"(\d{3,4})((?:[- ]?\d{4})?)")


def postal_warnings(path: str, column: str, phones: Sequence[str],
                    states: Sequence[str | None], postal_codes: Sequence[str | None],
                    lines: Sequence[int], remove: str, limit: int = 5) -> list[str]:
    """Imported US leads whose postal code is not a ZIP code, line by line, then the repair
    (``remove``: the command that takes this import's leads out again).

    The dial-time rules refuse such a lead (``dnc.rules.zones``: a stated address is a
    place the called party may be, and its state's hours cannot be applied without it), so
    it sits suppressed; the import stored it without a word. The usual cause is a
    spreadsheet that read the ZIP as a number and dropped its leading zero (Rhode Island's
    02903 became 2903): say so, with the padded code, and how to keep it.
    """
    lost: list[str] = []
    other: list[str] = []
    for phone, state, code, line in zip(phones, states, postal_codes, lines, strict=True):
        text = (code or "").strip()
        if not text or _US_ZIP.fullmatch(text):
            continue
        if region_of(phone) not in US_REGIONS and not state:
            continue  # another country's postal code on a non-US number is not read
        short = _LOST_ZEROS.fullmatch(text)
        if short is not None:
            padded = short.group(1).zfill(5) + short.group(2)
            lost.append(f"{path}:{line}: {column} {text!r} is a US ZIP code that lost its "
                        f"leading zero ({padded!r}?): the dial-time rules suppress this lead "
                        "until its ZIP code has 5 digits (field postal_code)")
        else:
            other.append(f"{path}:{line}: {column} {text!r} is not a US ZIP code (5 digits "
                         "or ZIP+4): the dial-time rules suppress this lead until it is "
                         "repaired (field postal_code)")
    found = lost[:limit]
    if len(lost) > limit:
        found.append(f"{path}: ... and {len(lost) - limit} more lines whose {column} lost "
                     "its leading zero")
    found += other[:limit]
    if len(other) > limit:
        found.append(f"{path}: ... and {len(other) - limit} more lines whose {column} is not "
                     "a US ZIP code")
    if lost or other:
        pad = (f"zero-pad the {column} column to 5 digits and keep it as text (quote it in "
               "the CSV, or format the spreadsheet column as Text, so the zero stays), "
               if lost else f"correct the {column} column, ")
        found.append(f"{path}: to repair: {pad}then {remove} and import the file again")
    return found
