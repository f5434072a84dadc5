"""Who must consent to a call recording: the cited table ``dnc/data/recording_consent.csv``.

The table lists the jurisdictions that need every party's consent (or, for the UK, a notice)
with the statute; a US state it does not list is one-party (18 U.S.C. 2511(2)(d)). The dialer
decides per call whether to play the recording notice first or not record (docs/carriers.md).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dnc.errors import ComplianceError

TABLE = Path(__file__).with_name("data") / "recording_consent.csv"


@dataclass(frozen=True, slots=True)
class ConsentRule:
    jurisdiction: str
    rule: str
    """``all_party`` or ``notice``."""
    citation: str


def load_consent_rules(path: Path = TABLE) -> dict[str, ConsentRule]:
    """The table, keyed by jurisdiction (``CA``, ``UK``); a bad row is refused with its line."""
    rules: dict[str, ConsentRule] = {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if not line.startswith("#")]
    for number, row in enumerate(csv.DictReader(lines), start=2):
        code = (row.get("jurisdiction") or "").strip().upper()
        rule = (row.get("rule") or "").strip()
        citation = (row.get("citation") or "").strip()
        if not code or rule not in ("all_party", "notice") or not citation:
            raise ComplianceError(f"{path}: data row {number}: jurisdiction, rule "
                                  "(all_party or notice) and citation are required")
        rules[code] = ConsentRule(code, rule, citation)
    return rules


@lru_cache(maxsize=1)
def all_party_states() -> frozenset[str]:
    """The jurisdictions whose callees get the notice (or no recording)."""
    return frozenset(load_consent_rules())


def postal_state(postal_code: str | None) -> str | None:
    """The US state (or territory) a lead's ZIP code names, None when it names none here
    (no postal code, another country's, an APO/FPO address). The recording decision reads
    it beside the lead's state and the area code's (``DialTarget.attributes["zip_state"]``):
    an address is a place the called party may be, as the calling-hours rules read it
    (dnc/rules/zones.py); before, a lead with a California ZIP and a New Jersey number, no
    state given, was recorded without the notice California requires (Cal. Penal Code
    632.7)."""
    from dnc.rules.zones import _ZIP, ZIP5_STATES

    match = _ZIP.fullmatch((postal_code or "").strip())
    if match is None:
        return None
    zip5 = match.group(1)
    return ZIP5_STATES.get(zip5) or _zip3_states().get(zip5[:3])


@lru_cache(maxsize=1)
def _zip3_states() -> dict[str, str]:
    from dnc.rules.tables import tables_for_data

    return tables_for_data(TABLE.parent).zip3_states


def number_states(number_e164: str) -> str:
    """The states (or territories, provinces) the numbering plan places a number in,
    comma-separated, "" when it names none: the one answer of ``dnc.numbering`` (its
    exchange's state and its area code's), which the compliance rules read too. Before
    2026-12-07 the campaign link's own area-code table knew only the area codes described
    by a whole state's name: Chicago's 312 and Connecticut's 203 had no state there, so an
    Illinois or Connecticut number of a lead whose record names a one-party state was
    recorded without the notice both states require."""
    from dnc.numbering import number_states as states

    return ",".join(states(number_e164))
