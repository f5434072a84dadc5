"""What an import did, for the CLI summary and ``--json``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ImportSummary:
    registry: str
    version: str = ""
    files: list[str] = field(default_factory=list)
    read: int = 0             # non-blank records read
    added: int = 0            # numbers newly listed by this version
    duplicates: int = 0       # records repeating a number already seen
    rejected: int = 0         # malformed or invalid records
    rejected_lines: list[dict] = field(default_factory=list)   # file, line, text
    deletions_applied: int = 0
    count: int = 0            # numbers listed by the new version
    compacted: bool = False
    unchanged: bool = False   # the stored version already lists exactly these numbers,
    # as of the same day: nothing published, ``version`` is the stored one
    sellers: list[str] = field(default_factory=list)  # dnc import --seller (empty: every campaign)

    def to_json(self) -> dict:
        return asdict(self)
