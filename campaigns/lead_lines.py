"""Where each row of a CSV lead file is in the file, and which line is its header.

pandas skips blank lines and reads a quoted field across lines, so a data row's position is
not its line: counted as header + position, the rejects file and every warning named the
wrong line of a file with blank lines or multi-line fields (the row after two blank lines
was "line 3" on line 5), and ``--start-line`` resumed at the wrong row. Blank lines before
the header also hid the header from the delimiter detection (a semicolon file was read with
commas).
"""

from __future__ import annotations

import csv
import io

import numpy as np


def header_line(text: str) -> tuple[int, str]:
    """The header's line number (1-based) and text: the first line that is not blank,
    as pandas reads it."""
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            return number, line
    return 1, ""


def header_fields(line: str, delimiter: str) -> list[str]:
    """The header's column names as written (pandas renames a repeated one ``x.1``)."""
    return [field.strip() for field in next(csv.reader([line], delimiter=delimiter), [])]


def record_lines(data: bytes, encoding: str, delimiter: str, rows: int) -> np.ndarray | None:
    """The file line each of the ``rows`` data rows starts on, or None when they are the
    lines after the header one by one (no blank line, no field across lines: the usual
    file, told apart by counting line breaks, without a second parse)."""
    breaks = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if breaks == rows + 1 and not data.startswith((b"\n", b"\r")):
        return None
    reader = csv.reader(io.StringIO(data.decode(encoding, errors="replace"), newline=""),
                        delimiter=delimiter)
    starts: list[int] = []
    ended = 0
    for record in reader:
        start, ended = ended + 1, reader.line_num
        if not record or (len(record) == 1 and not record[0].strip() and start == ended):
            continue  # a blank line, which pandas skips too
        starts.append(start)
    if len(starts) != rows + 1:
        return None  # read another way than pandas did: keep header + position
    return np.asarray(starts[1:], dtype=np.int64)
