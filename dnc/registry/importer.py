"""Imports: FTC full list, FTC change lists, and numbers files (state lists, CSV/TSV).

Each import parses everything first, refuses the whole input when too much of it is
malformed (default more than 1 %), and only then publishes a new version atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np

from dnc.registry.changelist import merge_change_files, read_change_file
from dnc.registry.errors import FileCutOff, ImportRefused, OlderThanApplied, refuse_cut_off
from dnc.registry.flatfile import ParseReport, RejectedRecord, iter_blocks, parse_block
from dnc.registry.keys import plan_of
from dnc.registry.numberfile import parse_number_file
from dnc.registry.sources import members, open_member
from dnc.registry.store import ListScope, RegistryDir, check_scope
from dnc.registry.summary import ImportSummary
from dnc.registry.versions import VersionMeta, read_meta, sorted_member
from dnc.whole_files import FileState, changed_while_read, file_states, still_being_written

Progress = Callable[[int], None]
DEFAULT_MAX_REJECT_FRACTION = 0.01
COMPACT_FRACTION = 0.05
COMPACT_MINIMUM = 1_000_000


def _no_progress(_: int) -> None:
    return None


def total_bytes(paths: list[Path]) -> int:
    return sum(member.size for member in members(paths))


def _refuse_if_garbage(report: ParseReport, max_reject_fraction: float, what: str) -> None:
    records = report.lines - report.blank
    if report.malformed and report.malformed > max_reject_fraction * max(records, 1):
        first = report.examples[0] if report.examples else RejectedRecord("?", 0, "", "")
        raise ImportRefused(
            f"{report.malformed} of {records} records malformed (more than "
            f"{max_reject_fraction:.1%}): {what} refused, stored registry unchanged; "
            f"first bad line: {first.text!r} ({first.reason})", path=first.source,
            line=first.line)


def _refuse_if_changed(before: dict[Path, FileState]) -> None:
    """A file whose size or modification time moved while it was read is a download or
    copy still under way: what was read so far would be published as the whole list."""
    if (changed := changed_while_read(before)) is not None:
        path, change = changed
        raise FileCutOff(still_being_written(path, change).replace(
            "nothing stored", "stored registry unchanged"), path=str(path))


def _report_lines(summary: ImportSummary, report: ParseReport) -> None:
    summary.rejected = report.malformed
    summary.rejected_lines = [{"file": r.source, "line": r.line, "text": r.text,
                               "reason": r.reason} for r in report.examples]


def read_full_list(paths: list[Path], progress: Progress = _no_progress
                   ) -> tuple[np.ndarray, ParseReport]:
    """Sorted keys with repeats (the caller counts duplicates) and the parse report."""
    report = ParseReport()
    parts: list[np.ndarray] = []
    for member in members(paths):
        line = 1
        with open_member(member) as stream:
            for block, consumed in iter_blocks(stream):
                if block:
                    bad_before = report.malformed
                    parts.append(parse_block(block, member.label, line, report))
                    if not consumed and report.malformed > bad_before:
                        refuse_cut_off(member.label, line, block.rstrip(b"\r\n"))
                    line += block.count(b"\n")
                progress(consumed)
    keys = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    # The FTC files come sorted by area code and number: a stable (Timsort) sort of
    # sorted runs is near linear.
    if len(keys) > 1 and not (keys[1:] >= keys[:-1]).all():
        keys.sort(kind="stable")
    return keys, report


def unique_sorted(keys: np.ndarray) -> np.ndarray:
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys if keep.all() else keys[keep]


def import_full_list(registries_root: Path, registry: str, paths: list[Path], as_of: datetime,
                     now: datetime, max_reject_fraction: float = DEFAULT_MAX_REJECT_FRACTION,
                     progress: Progress = _no_progress, allow_shrink: bool = False,
                     allow_older: bool = False, scope: ListScope | None = None
                     ) -> ImportSummary:
    """Replace the registry by the FTC full list in ``paths`` (flat text, maybe zipped).
    ``allow_shrink``/``allow_older``: publish a list under half the stored numbers, or
    dated before the stored version (both refused otherwise). ``scope``: the campaigns a
    list of one's own binds (none: every campaign)."""
    target = RegistryDir(registries_root, registry)
    check_scope(target.name, scope or ListScope())
    summary = ImportSummary(target.name, files=[str(p) for p in paths])
    before = file_states(paths)
    keys, report = read_full_list(paths, progress)
    _refuse_if_changed(before)
    _report_lines(summary, report)
    _refuse_if_garbage(report, max_reject_fraction, "full list")
    if not len(keys):
        raise ImportRefused("no telephone number in the full list: refused, stored registry "
                            "unchanged", path=str(paths[0]) if paths else None)
    unique = unique_sorted(keys)
    summary.read = report.lines - report.blank
    summary.duplicates = len(keys) - len(unique)
    del keys
    with target.writer_lock():
        if not allow_older:
            _refuse_older_full(target, as_of, paths)
        if not allow_shrink:
            _refuse_shrink(target, len(unique), paths)
        if (same := _same_as_stored(target, unique, as_of, scope)) is not None:
            return _unchanged(summary, same)
        meta = target.publish_base(unique, as_of, now, summary.files, scope)
    summary.version, summary.count, summary.added = meta.version, meta.count, meta.count
    summary.sellers = list(meta.sellers)
    return summary


def import_numbers(registries_root: Path, registry: str, paths: list[Path], as_of: datetime,
                   now: datetime, region: str = "US", column: str | None = None,
                   max_reject_fraction: float = DEFAULT_MAX_REJECT_FRACTION,
                   progress: Progress = _no_progress, allow_shrink: bool = False,
                   allow_older: bool = False, scope: ListScope | None = None) -> ImportSummary:
    """Replace a registry by the numbers of CSV/TSV/text files (any common notation); a
    TPS/CTPS registry holds UK numbers (national numbers read with region GB). ``scope``:
    the campaigns a list of one's own binds (none: every campaign)."""
    target = RegistryDir(registries_root, registry)
    check_scope(target.name, scope or ListScope())
    plan = plan_of(target.name)
    if plan == "gb" and region == "US":
        region = "GB"
    summary = ImportSummary(target.name, files=[str(p) for p in paths])
    before = file_states(paths)
    report = ParseReport()
    parts = []
    for member in members(paths):
        with open_member(member) as stream:
            parts.append(parse_number_file(stream, member.label, region, column, report, plan))
        progress(member.size)
    _refuse_if_changed(before)
    keys = np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
    _report_lines(summary, report)
    _refuse_if_garbage(report, max_reject_fraction, "numbers file")
    if not len(keys):
        # A 0-byte file (a failed download, a copy still being made) or one of blank
        # lines was published as an empty version: every number of the list unlisted.
        raise ImportRefused(
            f"no telephone number in the file: refused, stored registry unchanged (an empty "
            f"list would take every number off {target.name})",
            path=str(paths[0]) if paths else None)
    unique = unique_sorted(keys)
    summary.read = report.lines - report.blank
    summary.duplicates = len(keys) - len(unique)
    with target.writer_lock():
        if not allow_older:
            _refuse_older_full(target, as_of, paths)
        if not allow_shrink:
            _refuse_shrink(target, len(unique), paths)
        if (same := _same_as_stored(target, unique, as_of, scope)) is not None:
            return _unchanged(summary, same)
        meta = target.publish_base(unique, as_of, now, summary.files, scope)
    summary.version, summary.count, summary.added = meta.version, meta.count, meta.count
    summary.sellers = list(meta.sellers)
    return summary


def import_change_list(registries_root: Path, registry: str, paths: list[Path],
                       as_of: datetime | None, now: datetime,
                       max_reject_fraction: float = DEFAULT_MAX_REJECT_FRACTION,
                       progress: Progress = _no_progress,
                       compact_minimum: int = COMPACT_MINIMUM,
                       scope: ListScope | None = None) -> ImportSummary:
    """Apply FTC change lists (additions and deletions) on top of the current version.
    ``scope``: the new version's, as given (none: every campaign), like a full list's."""
    target = RegistryDir(registries_root, registry)
    check_scope(target.name, scope or ListScope())
    summary = ImportSummary(target.name, files=[str(p) for p in paths])
    before = file_states(paths)
    report = ParseReport()
    files = []
    for member in members(paths):
        with open_member(member) as stream:
            files.append(read_change_file(stream, member.label, report))
        progress(member.size)
    _refuse_if_changed(before)
    _report_lines(summary, report)
    _refuse_if_garbage(report, max_reject_fraction, "change list")
    summary.read = report.lines - report.blank
    changes = merge_change_files(files)
    dated = [change_file.latest for change_file in files if change_file.latest is not None]
    as_of = as_of or (max(dated) if dated else None)
    if as_of is None:
        raise ImportRefused("the change list carries no date: give --as-of",
                            path=str(paths[0]) if paths else None)
    with target.writer_lock():
        current = target.open_current()
        if current is None:
            raise ImportRefused(f"registry {target.name} has no full list yet: import the full "
                                "list before its change lists")
        for change_file in files:
            _refuse_older_changes(current.meta, change_file.latest or as_of,
                                  change_file.label)
        keys_changed = np.fromiter(changes.keys(), dtype=np.int64, count=len(changes))
        is_add = np.fromiter(changes.values(), dtype=bool, count=len(changes))
        wanted_add = np.sort(keys_changed[is_add])
        wanted_del = np.sort(keys_changed[~is_add])
        listed_add = current.contains_many(wanted_add)
        listed_del = current.contains_many(wanted_del)
        summary.added = int((~listed_add).sum())
        summary.duplicates = int(listed_add.sum())
        summary.deletions_applied = int(listed_del.sum())
        base_keys_add = current.base.contains_many(wanted_add)
        base_keys_del = current.base.contains_many(wanted_del)
        added = np.union1d(current.added[~sorted_member(wanted_del, current.added)],
                           wanted_add[~base_keys_add])
        deleted = np.union1d(current.deleted[~sorted_member(wanted_add, current.deleted)],
                             wanted_del[base_keys_del])
        if (not summary.added and not summary.deletions_applied
                and _same_day(current.meta, as_of)
                and tuple(current.meta.sellers) == (scope or ListScope()).sellers):
            return _unchanged(summary, current.meta)
        base_meta = (current.meta if not current.meta.base
                     else _base_meta(target, current.meta.base))
        overlay = len(added) + len(deleted)
        if overlay > max(compact_minimum, COMPACT_FRACTION * base_meta.count):
            keys = current.all_keys()
            keys = keys[~sorted_member(wanted_del, keys)]
            keys = np.union1d(keys, wanted_add)
            meta = target.publish_base(keys, as_of, now, summary.files, scope)
            summary.compacted = True
        else:
            meta = target.publish_delta(current.meta.base or current.directory.name, base_meta,
                                        added, deleted, as_of, now, summary.files, scope)
    summary.version, summary.count = meta.version, meta.count
    summary.sellers = list(meta.sellers)
    return summary


def _same_day(meta: VersionMeta, as_of: datetime) -> bool:
    return datetime.fromisoformat(meta.as_of).date() == as_of.date()


def _same_as_stored(target: RegistryDir, keys: np.ndarray, as_of: datetime,
                    scope: ListScope | None = None) -> VersionMeta | None:
    """The stored version when it lists exactly ``keys`` (sorted, unique) as of the same
    day, scoped to the same sellers: the same list imported twice. Its numbers are compared
    only when the counts, days and scopes already agree, so a list that changed costs no
    extra pass (and a new scope, or one taken away, is a new version)."""
    current = target.open_current()
    if current is None or current.meta.count != len(keys) \
            or not _same_day(current.meta, as_of) \
            or tuple(current.meta.sellers) != (scope or ListScope()).sellers:
        return None
    return current.meta if np.array_equal(current.all_keys(), keys) else None


def _unchanged(summary: ImportSummary, stored: VersionMeta) -> ImportSummary:
    """Nothing to publish: a second, identical version would read in the audit (decisions
    record the version id) as a new list imported that day. The stored version stays
    current, and the summary says so."""
    summary.version, summary.count, summary.added = stored.version, stored.count, 0
    summary.unchanged = True
    summary.sellers = list(stored.sellers)
    return summary


def _base_meta(target: RegistryDir, base: str) -> VersionMeta:
    return VersionMeta(**read_meta(target.path / base))


def _refuse_older_changes(current: VersionMeta, as_of: datetime, label: str) -> None:
    """A change list older than the stored version, applied after it, undoes the later
    changes of the same numbers: a number deleted on the 1st and added again (asked not to
    be called) on the 5th is deleted again by the 1st's list imported second, and the
    registry's as-of date goes back. Change lists go in oldest first; each file of a
    command is checked (named with a newer one, the older one slipped through)."""
    stored = datetime.fromisoformat(current.as_of)
    if as_of.date() >= stored.date():
        return
    raise ImportRefused(
        f"this change list is as of {as_of.date().isoformat()}, older than the stored "
        f"{current.version} (as of {stored.date().isoformat()}): applied after it, it would "
        "undo the later changes of the same numbers (a number added again since would be "
        "deleted, and called); refused, stored registry unchanged. Import change lists oldest "
        "first; if the stored date is wrong, import the full list again with --as-of the "
        "date it is current as of (and --allow-older), then its change lists", path=label)


def _refuse_older_full(target: RegistryDir, as_of: datetime, paths: list[Path]) -> None:
    """A full list dated before the stored version takes the registry back in time: the
    numbers the change lists since added (people who asked not to be called) are not on it,
    and published they are dialed. Refused unless the user says the stored date is the
    wrong one (``--allow-older``: a full list imported with the default ``--as-of today``
    days after its data, mended by importing it again with its real date)."""
    name = target.current_name()
    if name is None:
        return
    stored = _base_meta(target, name)
    stored_day = datetime.fromisoformat(stored.as_of).date()
    if as_of.date() >= stored_day:
        return
    raise OlderThanApplied(
        f"this full list is as of {as_of.date().isoformat()}, older than the newest date "
        f"already applied, {stored_day.isoformat()} ({stored.version}): published, the "
        "registry would go back in time and lose the numbers listed since (they would be "
        "dialed); refused, stored registry unchanged. Import the newest full list; if the "
        "stored date is wrong, import this one with --allow-older", path=_first(paths))


def _first(paths: list[Path]) -> str | None:
    return str(paths[0]) if paths else None


SHRINK_FLOOR = 0.5
"""A full list under this share of the stored version's numbers is refused unless told."""
SHRINK_CHECKED_FROM = 100
"""Stored versions smaller than this are replaced whatever the count (hand-made lists)."""


def _refuse_shrink(target: RegistryDir, count: int, paths: list[Path]) -> None:
    """A download cut short at a line end reads as a complete, smaller list: published,
    every number after the cut would be unlisted and called. A registry loses a few per
    cent a month, never half: fewer than half the stored numbers is refused unless the
    user says the list really shrank (``--allow-shrink``)."""
    name = target.current_name()
    if name is None:
        return
    stored = _base_meta(target, name)
    if stored.count < SHRINK_CHECKED_FROM or count >= SHRINK_FLOOR * stored.count:
        return
    raise FileCutOff(
        f"{count:,} numbers, fewer than half of the stored {stored.version} "
        f"({stored.count:,}): a download or copy cut short? refused, stored registry "
        "unchanged; if the list really shrank, import it with --allow-shrink",
        path=str(paths[0]) if paths else None)
