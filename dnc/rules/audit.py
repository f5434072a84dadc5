"""Append-only, tamper-evident audit trail of every dial decision (SHA-256 hash chain).

One JSON object per line. Each entry carries ``seq`` (0, 1, 2, ...), ``prev`` (the hash of
the entry before it; 64 zeros for the first) and ``hash`` = SHA-256 of ``prev`` + newline +
the entry's canonical JSON without ``hash`` (sorted keys, no spaces). Changing, removing,
inserting or reordering any line breaks the chain at that line; ``verify`` names it.
Truncating the tail leaves a valid shorter chain, so ``anchor`` copies the head (seq, hash)
into ``anchors.jsonl``, to be kept elsewhere too; ``verify`` checks every anchor is present.

Writes are batched (the hopper's ``check_many`` is one write) under an exclusive ``flock``,
so several dialer processes can share one log. Durability policy: ``fsync_every=1`` fsyncs
every batch (a decision is on disk before the dial); a larger value fsyncs every N batches
(faster, loses at most N-1 batches on power loss, never corrupts the chain); 0 leaves it to
the operating system.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dnc.errors import ComplianceError
from dnc.rules.model import Decision

GENESIS = "0" * 64
LOG_NAME = "decisions.jsonl"
ANCHOR_NAME = "anchors.jsonl"


def _canonical(body: dict[str, object]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev: str, body: dict[str, object]) -> str:
    return hashlib.sha256(f"{prev}\n{_canonical(body)}".encode()).hexdigest()


def decision_body(decision: Decision) -> dict[str, object]:
    """What the log keeps of a decision: failing rules in full, permissions relied on."""
    return {
        "at": decision.at.isoformat(),
        "number": decision.number_e164,
        "campaign": decision.campaign,
        "lead_id": decision.lead_id,
        "allowed": decision.allowed,
        "earliest_allowed": decision.earliest_allowed.isoformat()
        if decision.earliest_allowed else None,
        "unreachable": decision.unreachable,
        "failed": [{"rule": o.rule_id, "reason": o.reason, "citation": o.citation}
                   for o in decision.reasons],
        "permissions": [{"rule": o.rule_id, "permission": o.permission}
                        for o in decision.outcomes if o.permission],
        "rules": [o.rule_id for o in decision.outcomes],
        "versions": list(decision.registry_versions),
        "zones": list(decision.zones),
        "states": list(decision.states),
        "line_type": decision.line_type,
        "line_type_source": decision.line_type_source,
        "unknown_line_policy": decision.unknown_line_policy,
    }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    entries: int
    head_hash: str
    ok: bool
    first_bad_line: int | None = None
    problem: str = ""
    anchors_checked: int = 0

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "entries": self.entries, "head_hash": self.head_hash,
                "first_bad_line": self.first_bad_line, "problem": self.problem,
                "anchors_checked": self.anchors_checked}


class AuditLog:
    """The decision log in ``directory`` (``<data>/audit`` by convention)."""

    def __init__(self, directory: Path, fsync_every: int = 1) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOG_NAME
        self.anchor_path = self.directory / ANCHOR_NAME
        self.fsync_every = fsync_every
        self._batches = 0
        self._known_size = -1
        self._seq = 0
        self._head = GENESIS

    def record(self, decisions: Sequence[Decision]) -> list[str]:
        """Append decisions as one batch (the ``DecisionSink`` the engine writes to); returns
        their audit ids ("audit:<seq>") for a gate verdict's ``decision_id``."""
        return self.append_bodies([decision_body(d) for d in decisions])

    def append_bodies(self, bodies: Sequence[dict[str, object]]) -> list[str]:
        if not bodies:
            return []
        ids: list[str] = []
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path, "ab") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                size = handle.seek(0, os.SEEK_END)
                if size != self._known_size:
                    self._seq, self._head = _tail_state(self.path, size)
                # The chain's head moves only once the batch is written: a write that fails
                # (a full disk) leaves the file as it was, and the next batch must chain to
                # the last entry on disk, not to entries that never reached it.
                seq, head = self._seq, self._head
                chunks = []
                for body in bodies:
                    entry = {"seq": seq, "prev": head, **body}
                    canonical = _canonical(entry)
                    head = hashlib.sha256(f"{head}\n{canonical}".encode()).hexdigest()
                    # The line is the canonical text plus the hash; verify re-canonicalises.
                    chunks.append(f'{canonical[:-1]},"hash":"{head}"}}')
                    ids.append(f"audit:{seq}")
                    seq += 1
                data = ("\n".join(chunks) + "\n").encode()
                try:
                    handle.write(data)
                    handle.flush()
                    self._batches += 1
                    if self.fsync_every and self._batches % self.fsync_every == 0:
                        os.fsync(handle.fileno())
                except BaseException:
                    self._known_size = -1  # a part may have reached the file: read its tail
                    raise
                self._seq, self._head = seq, head
                self._known_size = size + len(data)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return ids

    def anchor(self, copy_to: Path | None = None) -> dict[str, object] | None:
        """Record the current head in ``anchors.jsonl`` (and append it to ``copy_to``, a
        file kept elsewhere); None when nothing was appended since the last anchor.

        Only the entries after the last anchor are verified (its byte offset is kept in the
        anchor), so the runner can anchor every few minutes and at every stop however long
        the log grows; a log with no usable anchor is verified whole."""
        start = self._last_anchor()
        report, offset = self._verify_from(start)
        if not report.ok:
            raise ComplianceError(f"refusing to anchor a broken log: line "
                                  f"{report.first_bad_line}: {report.problem}")
        if report.entries == 0 or (start is not None and start["seq"] == report.entries - 1):
            return None
        anchor = {"seq": report.entries - 1, "hash": report.head_hash, "offset": offset}
        self.directory.mkdir(parents=True, exist_ok=True)
        targets = [self.anchor_path] + ([Path(copy_to)] if copy_to is not None else [])
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(anchor, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return anchor

    def _last_anchor(self) -> dict[str, int | str] | None:
        last = None
        for _, raw in _lines(self.anchor_path):
            last = raw
        if last is None:
            return None
        try:
            anchor = json.loads(last)
            return {"seq": int(anchor["seq"]), "hash": str(anchor["hash"]),
                    "offset": int(anchor["offset"])}
        except (ValueError, KeyError, TypeError):
            return None

    def _verify_from(self, anchor: dict[str, int | str] | None) -> tuple[VerifyReport, int]:
        """Walk the chain from an anchor's entry (or the start); returns the report and the
        byte offset of the head entry's line."""
        if not self.path.exists():
            return VerifyReport(0, GENESIS, True), 0
        with open(self.path, "rb") as handle:
            offset = 0
            count, prev = 0, GENESIS
            if anchor is not None:
                handle.seek(int(anchor["offset"]))
                line = handle.readline()
                try:
                    entry = json.loads(line)
                    ok = entry.get("seq") == anchor["seq"] and entry.get("hash") == anchor["hash"]
                except ValueError:
                    ok = False
                if not ok:
                    return self.verify(), 0  # the anchor does not match: report it in full
                offset = int(anchor["offset"])
                count, prev = int(anchor["seq"]) + 1, str(anchor["hash"])
                position = handle.tell()
            else:
                position = 0
            head_offset = offset
            for raw in handle:
                if not raw.strip():
                    position += len(raw)
                    continue
                text = raw.decode("utf-8").rstrip("\n")
                problem = _check_entry(text, count, prev)
                if problem:
                    return VerifyReport(count, prev, False, None, problem), head_offset
                prev = json.loads(text)["hash"]
                head_offset = position
                position += len(raw)
                count += 1
        return VerifyReport(count, prev, True), head_offset

    def verify(self) -> VerifyReport:
        """Walk the chain; the first altered, missing or reordered entry is reported."""
        hashes: dict[int, str] = {}
        prev, count = GENESIS, 0
        for line_number, raw in _lines(self.path):
            problem = _check_entry(raw, count, prev)
            if problem:
                return VerifyReport(count, prev, False, line_number, problem)
            prev = json.loads(raw)["hash"]
            hashes[count] = prev
            count += 1
        checked = 0
        for line_number, raw in _lines(self.anchor_path):
            try:
                anchor = json.loads(raw)
                seq, expected = int(anchor["seq"]), str(anchor["hash"])
            except (ValueError, KeyError, TypeError):
                return VerifyReport(count, prev, False, None,
                                    f"{ANCHOR_NAME} line {line_number} is not an anchor")
            if hashes.get(seq) != expected:
                gone = "missing (log truncated)" if seq >= count else "has a different hash"
                return VerifyReport(count, prev, False, seq + 1 if seq < count else count + 1,
                                    f"anchored entry seq {seq} {gone}", checked)
            checked += 1
        return VerifyReport(count, prev, True, anchors_checked=checked)

    def entries(self, number: str | None = None, campaign: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                ) -> Iterator[dict[str, object]]:
        """Logged entries matching every given filter, in log order."""
        for _, raw in _lines(self.path):
            entry = json.loads(raw)
            if number is not None and entry.get("number") != number:
                continue
            if campaign is not None and entry.get("campaign") != campaign:
                continue
            at = datetime.fromisoformat(str(entry["at"]))
            if (since is not None and at < since) or (until is not None and at >= until):
                continue
            yield entry


EXPORT_COLUMNS = ("seq", "at", "number", "campaign", "lead_id", "allowed", "earliest_allowed",
                  "unreachable", "failed", "permissions", "versions", "zones", "states", "hash")


def export_csv(entries: Iterator[dict[str, object]], out: io.TextIOBase) -> int:
    """Flat CSV for a compliance officer: one decision per row, reasons joined with " | "."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    rows = 0
    for entry in entries:
        failed = " | ".join(f"{f['rule']}: {f['reason']} [{f['citation']}]"
                            for f in entry.get("failed", []))
        permissions = " | ".join(f"{p['rule']}: {p['permission']}"
                                 for p in entry.get("permissions", []))
        writer.writerow([entry.get("seq"), entry.get("at"), entry.get("number"),
                         entry.get("campaign"), entry.get("lead_id") or "", entry.get("allowed"),
                         entry.get("earliest_allowed") or "", entry.get("unreachable"), failed,
                         permissions, " ".join(entry.get("versions", [])),
                         " ".join(entry.get("zones", [])), " ".join(entry.get("states", [])),
                         entry.get("hash")])
        rows += 1
    return rows


def _without_hash(entry: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in entry.items() if key != "hash"}


def _check_entry(raw: str, expected_seq: int, prev: str) -> str:
    try:
        entry = json.loads(raw)
    except ValueError:
        return "not valid JSON"
    if not isinstance(entry, dict):
        return "not a JSON object"
    if entry.get("seq") != expected_seq:
        return f"sequence {entry.get('seq')!r}, expected {expected_seq} (entry removed or moved)"
    if entry.get("prev") != prev:
        return "previous-hash link broken (an entry before it was removed or reordered)"
    if entry_hash(prev, _without_hash(entry)) != entry.get("hash"):
        return "content does not match its hash (entry altered)"
    return ""


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield number, line.rstrip("\n")


def _tail_state(path: Path, size: int) -> tuple[int, str]:
    """Next sequence number and head hash, read from the last line only."""
    if size == 0:
        return 0, GENESIS
    with open(path, "rb") as handle:
        block = min(size, 1 << 16)
        while True:
            handle.seek(size - block)
            tail = handle.read(block).rstrip(b"\n")
            cut = tail.rfind(b"\n")
            if cut >= 0 or block == size:
                last = tail[cut + 1:]
                break
            block = min(size, block * 4)
    try:
        entry = json.loads(last)
        return int(entry["seq"]) + 1, str(entry["hash"])
    except (ValueError, KeyError, TypeError) as error:
        raise ComplianceError(f"{path}: last line is not an audit entry; run "
                              "`dialer compliance audit verify`") from error
