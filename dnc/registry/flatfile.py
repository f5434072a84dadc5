"""Vectorised parsing of the FTC full-list flat file: ``201,2345678`` per line.

The FTC full list (one file per area code or one file for the whole registry) has one
``areacode,number`` record per line. Parsing runs on the raw bytes with numpy: a fixed-width
fast path (12 bytes per line) and a general path for CRLF, blank and malformed lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, NamedTuple

import numpy as np

from dnc.registry.keys import NANP_BASE

CHUNK_BYTES = 48 * 1024 * 1024
MAX_EXAMPLES = 20
_DIGIT_COLUMNS = (0, 1, 2, 4, 5, 6, 7, 8, 9, 10)
_NEWLINE, _CR, _COMMA, _ZERO = 10, 13, 44, 48


class RejectedRecord(NamedTuple):
    """One malformed record: where it is, what it says, and why it was refused."""

    source: str
    line: int
    text: str
    reason: str


@dataclass
class ParseReport:
    """What a parse saw: counts and the first malformed records (file:line, text, why)."""

    lines: int = 0
    blank: int = 0
    malformed: int = 0
    examples: list[RejectedRecord] = field(default_factory=list)

    def note(self, source: str, line: int, text: str, reason: str) -> None:
        self.malformed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(RejectedRecord(source, line, text, reason))


def flat_record_problem(text: str) -> str:
    """Why a line is not an FTC ``areacode,number`` record (NANP: both start with 2-9)."""
    area, comma, number = text.partition(",")
    if not comma:
        return "no comma between the area code and the number"
    if area != area.strip() or number != number.strip():
        return "spaces around a field"
    if not (len(area) == 3 and area.isdigit()):
        return f"area code {area!r} is not 3 digits"
    if not (len(number) == 7 and number.isdigit()):
        return f"number {number!r} is not 7 digits"
    if area[0] in "01":
        return f"area code starts with {area[0]}"
    if number[0] in "01":
        return f"exchange starts with {number[0]}"
    return "not an areacode,number record"


def _keys_from_digits(digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(keys, valid) from an (n, 10) uint8 array of digit values (not yet checked)."""
    valid = (digits <= 9).all(axis=1)
    # NANP: area code and exchange start with 2-9.
    valid &= (digits[:, 0] >= 2) & (digits[:, 3] >= 2)
    value = digits[:, 0].astype(np.int64)
    for column in range(1, 10):
        value *= 10
        value += digits[:, column]
    return value - NANP_BASE, valid


def parse_block(block: bytes, source: str, first_line: int,
                report: ParseReport) -> np.ndarray:
    """Keys of the complete lines in ``block`` (which ends with a newline)."""
    raw = np.frombuffer(block, dtype=np.uint8)
    if len(raw) % 12 == 0 and len(raw):
        rows = raw.reshape(-1, 12)
        # Fixed width only when every 12 bytes hold exactly one line: two short lines can
        # also fill 12 bytes, and must be reported as the two records they are.
        if ((rows[:, 3] == _COMMA).all() and (rows[:, 11] == _NEWLINE).all()
                and np.count_nonzero(raw == _NEWLINE) == len(rows)):
            keys, valid = _keys_from_digits(rows[:, _DIGIT_COLUMNS] - np.uint8(_ZERO))
            report.lines += len(rows)
            if valid.all():
                return keys
            _note_invalid(block, np.flatnonzero(~valid) * 12, np.full((~valid).sum(), 11),
                          np.flatnonzero(~valid), source, first_line, report)
            return keys[valid]
    return _parse_general(raw, block, source, first_line, report)


def _parse_general(raw: np.ndarray, block: bytes, source: str, first_line: int,
                   report: ParseReport) -> np.ndarray:
    ends = np.flatnonzero(raw == _NEWLINE)
    starts = np.empty_like(ends)
    starts[:1] = 0
    starts[1:] = ends[:-1] + 1
    stops = ends.copy()
    has_cr = (stops > starts) & (raw[np.maximum(stops - 1, 0)] == _CR)
    stops[has_cr] -= 1
    lengths = stops - starts
    report.lines += len(ends)
    blank = lengths == 0
    report.blank += int(blank.sum())
    shaped = lengths == 11
    candidate = np.flatnonzero(shaped)
    cstarts = starts[candidate]
    shaped_ok = raw[cstarts + 3] == _COMMA
    digits = raw[cstarts[:, None] + np.array(_DIGIT_COLUMNS)] - np.uint8(_ZERO)
    keys, valid = _keys_from_digits(digits)
    valid &= shaped_ok
    bad = np.ones(len(ends), dtype=bool)
    bad[candidate[valid]] = False
    bad &= ~blank
    bad_lines = np.flatnonzero(bad)
    if len(bad_lines):
        _note_invalid(block, starts[bad_lines], lengths[bad_lines], bad_lines, source,
                      first_line, report)
    return keys[valid]


def _note_invalid(block: bytes, starts: np.ndarray, lengths: np.ndarray,
                  line_indexes: np.ndarray, source: str, first_line: int,
                  report: ParseReport) -> None:
    shown = max(0, MAX_EXAMPLES - len(report.examples))
    for start, length, index in zip(starts[:shown], lengths[:shown], line_indexes[:shown],
                                    strict=False):
        record = block[int(start):int(start) + int(length)].decode("latin-1")
        report.note(source, first_line + int(index), record[:60], flat_record_problem(record))
    report.malformed += max(0, len(line_indexes) - shown)


def iter_blocks(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[bytes, int]]:
    """Blocks of whole lines (each ending with a newline) and the bytes read for progress."""
    carry = b""
    while True:
        chunk = stream.read(chunk_bytes)
        if not chunk:
            break
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        carry = data[cut:]
        if cut:
            yield data[:cut], len(chunk)
        else:
            yield b"", len(chunk)
    if carry:
        yield carry + b"\n", 0


def count_lines(block: bytes) -> int:
    return block.count(b"\n")
