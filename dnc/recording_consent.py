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
