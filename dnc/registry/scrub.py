"""Scrub a lead file: rows whose number any registry lists go to the rejects file with why."""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dnc.registry.errors import ImportFormatError
from dnc.registry.keys import e164_of_key
from dnc.registry.lookup import DncStore
from dnc.registry.numberfile import guess_column, normalise
from dnc.registry.sources import check_text_file

REASON_COLUMN = "dnc_reason"
BATCH_ROWS = 200_000


@dataclass
class ScrubSummary:
    read: int = 0
    kept: int = 0
    rejected_listed: int = 0
    rejected_invalid: int = 0
    rejected_outside: int = 0
    column: str = ""
    """The column of the number dialed (invalid or outside the profiles: rejected)."""
    versions: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    """Every phone column read: ``column``, then the lead's other numbers (``alt_phones``),
    a row rejected when any of them is listed."""
    mangled: int = 0
    """Numbers a spreadsheet rewrote (``4.15555E+09``, ``4155550123.0``), rejected as
    invalid with the cause (``cause_of``)."""
    first_mangled: str = ""
    """The first of them, ``FILE:LINE: COLUMN: 'TEXT': CAUSE`` ("" when none)."""
    first_mangled_line: int = 0

    def to_json(self) -> dict:
        return asdict(self)


PhoneColumns = Callable[[list[str]], Sequence[str]]
"""header -> the phone columns a lead import reads (the dialed number first, then the
lead's other numbers); empty when it finds none."""
CauseOf = Callable[[str], str | None]
"""text of a number that is not one -> why, when a spreadsheet rewrote it (the lead
importer's ``spreadsheet_number``, passed in by the CLI: ``dnc`` imports nothing of ours)."""


def scrub(store: DncStore, source: Path, kept_path: Path, rejects_path: Path,
          column: str | Sequence[str] | None = None, region: str = "US",
          jurisdiction: str = "us", phone_columns: PhoneColumns | None = None,
          before_writing: Callable[[], None] | None = None,
          cause_of: CauseOf | None = None) -> ScrubSummary:
    """Split ``source`` into rows no registry lists and rejected rows with the reason: the
    registry versions that list the number, "invalid number", or (for a valid number outside
    every profile of ``jurisdiction``) the reason the rules give at dial time.

    ``column``: the phone column, or several (the dialed number first, then the lead's
    other numbers); None: ``phone_columns(header)`` (the CLI passes the lead importer's
    choice, so that the scrub reads every number ``leads import`` keeps), else the column
    guessed from the header. A row is rejected when any of its numbers is listed, the
    reason naming the other column and number; an other number that is blank or invalid
    is not one the lead keeps (the importer drops it) and rejects nothing. Before, a lead
    file's second number (``alt_phone``) was never scrubbed.

    ``before_writing``: called once the file reads and both outputs can be opened, before a
    row is written; what it raises leaves neither output (the CLI's refusal of a scrub
    against no registry, after the file's own faults).

    ``cause_of``: why a number that is not one was rewritten by a spreadsheet; such a row's
    reason says so, and the summary counts them and names the first with its line ("invalid
    number" named neither the cause nor the repair)."""
    from dnc.rules.profiles import profiles_for

    profiles = profiles_for(jurisdiction)
    summary = ScrubSummary(versions=tuple(v.version for v in store.versions()))
    labels = {v.registry: v.version for v in store.versions()}
    check_text_file(source)
    try:
        return _scrub_file(store, source, kept_path, rejects_path, column, region,
                           profiles, summary, labels, phone_columns, before_writing,
                           _Mangled(str(source), cause_of))
    except UnicodeDecodeError:
        # Neither output is written (_whole_files); was "--jurisdiction: 'utf-8' codec ...".
        raise _not_utf8(source) from None


def _scrub_file(store: DncStore, source: Path, kept_path: Path, rejects_path: Path,
                column: str | Sequence[str] | None, region: str, profiles: tuple,
                summary: ScrubSummary, labels: dict,
                phone_columns: PhoneColumns | None = None,
                before_writing: Callable[[], None] | None = None,
                mangled: _Mangled | None = None) -> ScrubSummary:
    with open(source, newline="", encoding="utf-8-sig") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",\t;|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if header is None:
            raise ImportFormatError("empty file", path=str(source))
        indexes = _column_indexes(header, column, phone_columns, region, source)
        index, others = indexes[0], indexes[1:]
        summary.column = header[index]
        summary.columns = tuple(header[i] for i in indexes)
        with _whole_files(Path(kept_path), Path(rejects_path)) as (kept_file, rejects_file):
            if before_writing is not None:
                before_writing()
            kept = csv.writer(kept_file, dialect)
            rejects = csv.writer(rejects_file, dialect)
            kept.writerow(header)
            rejects.writerow([*header, REASON_COLUMN])
            batch: list[list[str]] = []
            lines: list[int] = []
            for row in reader:
                batch.append(row)
                lines.append(reader.line_num)
                if len(batch) >= BATCH_ROWS:
                    _scrub_batch(store, batch, index, region, labels, kept, rejects, summary,
                                 profiles, others, header, mangled, lines)
                    batch, lines = [], []
            _scrub_batch(store, batch, index, region, labels, kept, rejects, summary,
                         profiles, others, header, mangled, lines)
    return summary


@dataclass(frozen=True, slots=True)
class _Mangled:
    """Names the numbers a spreadsheet rewrote, with the file's name and line."""

    path: str
    cause_of: CauseOf | None

    def cause(self, text: str) -> str | None:
        return self.cause_of(text) if self.cause_of is not None and text.strip() else None

    def count(self, summary: ScrubSummary, line: int, column: str, text: str,
              cause: str) -> None:
        summary.mangled += 1
        if not summary.first_mangled or line < summary.first_mangled_line:
            summary.first_mangled = f"{self.path}:{line}: {column}: {text!r}: {cause}"
            summary.first_mangled_line = line


def _column_indexes(header: list[str], column: str | Sequence[str] | None,
                    phone_columns: PhoneColumns | None, region: str, source: Path
                    ) -> list[int]:
    """The phone columns' positions, the dialed number's first (without repeats)."""
    lowered = [name.strip().lower() for name in header]
    if column is None:
        named = list(phone_columns(header)) if phone_columns is not None else []
        if not named:
            return [guess_column(header, [], region)]   # by header name, else the first
        wanted = named
    else:
        wanted = [column] if isinstance(column, str) else list(column)
    indexes: list[int] = []
    for name in wanted:
        if name.strip().lower() not in lowered:
            import difflib

            close = difflib.get_close_matches(name.strip().lower(), lowered, 1)
            meant = f"; did you mean {header[lowered.index(close[0])]!r}?" if close else ""
            raise ImportFormatError(f"no column {name!r} (columns: {', '.join(header)})"
                                    f"{meant}", path=str(source), line=1, field=name)
        if (index := lowered.index(name.strip().lower())) not in indexes:
            indexes.append(index)
    return indexes


def _not_utf8(source: Path) -> ImportFormatError:
    """The first byte of ``source`` that is not UTF-8, named with its line (read whole:
    only when the scrub has already failed on it)."""
    data = source.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return ImportFormatError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}): save "
            "it as CSV UTF-8, or convert it (iconv -f latin1 -t utf-8 FILE > FILE.utf8)",
            path=str(source), line=data.count(b"\n", 0, error.start) + 1)
    return ImportFormatError("not UTF-8 text: save it as CSV UTF-8", path=str(source))


@contextlib.contextmanager
def _whole_files(*paths: Path) -> Iterator[tuple]:
    """Write each path under a temporary name beside it and rename them all only when the
    scrub finished. An interrupted scrub (Ctrl-C, a full disk, a rejects path in a missing
    directory) then leaves no half "callable" file that reads as the whole list, and an
    earlier complete output stays as it was."""
    partial = [p.with_name(f".{p.name}.partial") for p in paths]
    handles: list = []
    try:
        for path in partial:
            handles.append(open(path, "w", newline=""))  # noqa: SIM115 (closed below)
        yield tuple(handles)
        for handle in handles:
            handle.close()
        for temporary, path in zip(partial, paths, strict=True):
            os.replace(temporary, path)
    except BaseException as error:
        for handle in handles:
            handle.close()
        for temporary in partial:
            temporary.unlink(missing_ok=True)
        if isinstance(error, FileNotFoundError) and error.filename in {str(p) for p in partial}:
            path = paths[partial.index(Path(error.filename))]
            raise FileNotFoundError(error.errno, error.strerror, str(path)) from None
        raise


def _outside(text: str, region: str, profiles: tuple) -> str | None:
    """The out-of-profile reason for a valid number no profile covers, else None."""
    import phonenumbers

    from dnc.rules.profiles import out_of_profile_reason
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return out_of_profile_reason(phonenumbers.region_code_for_number(parsed), profiles)


def _scrub_batch(store: DncStore, rows: list[list[str]], index: int, region: str,
                 labels: dict[str, str], kept, rejects, summary: ScrubSummary,
                 profiles: tuple = (), others: Sequence[int] = (),
                 header: Sequence[str] = (), mangled: _Mangled | None = None,
                 lines: Sequence[int] = ()) -> None:
    if not rows:
        return
    from dnc.rules.profiles import out_of_profile_reason
    from dnc.rules.zones import region_of

    keys = [normalise(row[index], region) if len(row) > index else None for row in rows]
    numbers = [e164_of_key(k) if k is not None else "" for k in keys]
    outside: dict[int, str] = {}
    for i, key in enumerate(keys):
        reason = out_of_profile_reason(region_of(numbers[i]), profiles) if key is not None \
            else (_outside(rows[i][index], region, profiles) if len(rows[i]) > index else None)
        if reason is not None:
            outside[i] = reason
    valid = [i for i, k in enumerate(keys) if k is not None and i not in outside]
    listed = store.listed_many([numbers[i] for i in valid])
    reasons: dict[int, list[str]] = {}
    for registry, mask in listed.items():
        for position in np.flatnonzero(mask):
            reasons.setdefault(valid[position], []).append(labels.get(registry, registry))
    for other in others:
        for i, why in _other_listed(store, rows, other, region, labels).items():
            if i not in outside and keys[i] is not None:
                reasons.setdefault(i, []).append(f"{header[other]} {why}")
        if mangled is not None and mangled.cause_of is not None:
            # A lead's other number a spreadsheet rewrote is no number the lead keeps:
            # nothing to scrub, but the file is to be saved again, so it is named.
            for i, row in enumerate(rows):
                if len(row) > other and (cause := mangled.cause(row[other])) is not None:
                    mangled.count(summary, lines[i], header[other], row[other], cause)
    for i, row in enumerate(rows):
        summary.read += 1
        if i in outside:
            summary.rejected_outside += 1
            rejects.writerow([*row, outside[i]])
        elif keys[i] is None:
            summary.rejected_invalid += 1
            cause = mangled.cause(row[index]) if mangled is not None and \
                len(row) > index else None
            if cause is not None and mangled is not None:
                mangled.count(summary, lines[i], header[index], row[index], cause)
            rejects.writerow([*row, f"invalid number: {cause}" if cause else
                              "invalid number"])
        elif i in reasons:
            summary.rejected_listed += 1
            rejects.writerow([*row, "; ".join(reasons[i])])
        else:
            summary.kept += 1
            kept.writerow(row)


def _other_listed(store: DncStore, rows: list[list[str]], other: int, region: str,
                  labels: dict[str, str]) -> dict[int, str]:
    """Row position -> "NUMBER listed in VERSIONS" for the rows whose number in column
    ``other`` (a lead's other number) a registry lists."""
    keys = [normalise(row[other], region) if len(row) > other and row[other].strip()
            else None for row in rows]
    valid = [i for i, key in enumerate(keys) if key is not None]
    if not valid:
        return {}
    numbers = [e164_of_key(keys[i]) for i in valid]
    found: dict[int, list[str]] = {}
    for registry, mask in store.listed_many(numbers).items():
        for position in np.flatnonzero(mask):
            found.setdefault(valid[position], []).append(labels.get(registry, registry))
    return {i: f"{e164_of_key(keys[i])} listed in {', '.join(versions)}"
            for i, versions in found.items()}
