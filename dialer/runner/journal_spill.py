"""Journal writes the store never took, kept on local disk until it does.

A run that ends while the campaign store cannot be written (its outage outlasted
``--store-outage-limit``, or the store went down during the stop) still holds the outcomes
of the calls it made, in order: the calls' ends, the agents' history, the dispositions, and
the queue store's writes (inbound call records, queue callbacks, voicemails: dbworker.py's
``held``). They are written to ``<data>/journal-spill/<campaign>.<owner>.<stamp>.pickle``
(fsynced, then renamed into place: a crash leaves no file or the whole one, never half of
one; a file of its own per spill, so a spill never rewrites a file another process may be
replaying), and the next ``dialer run`` of the campaign writes them, in order and skipping
what it finds written (``journal_batch(..., again=True)``), before it recovers and dials. A
start that cannot write them does not dial (fail closed: without them the leads' attempt
counts and the compliance history would miss calls that were made).

Any owner replays them (2026-12-07; before, only the same ``--instance``): a process that
never comes back (its host gone, or restarted under a new id) would otherwise leave its
calls' outcomes on disk for ever. Each file names its campaign and owner inside, and is
written with the owner it was kept for (a lead's release only where that owner holds it).
Replays are serialised by a lock on ``journal-spill/.lock`` (``fcntl.flock``, per open
file: two runners of one process exclude each other too; released by the kernel when a
process dies, so a crash leaves no stale claim): two starting processes
never both replay one file; the second finds it gone. A file is removed only after its
writes are committed; a crash in between replays it again at the next start, which skips
what it finds written, so each write lands exactly once.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import pickle
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from campaigns.journal_batch import JournalOp
from dialer.runner.errors import RunnerError

log = logging.getLogger("dialer.runner")
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")
FORMAT = 2
"""The file's layout version: 2 names its campaign and owner inside; 1 (2026-12-07's first
layout, ops alone) is read for its own owner's file name only."""
LOCK_WAIT = 30.0
"""Seconds a start waits for another process's replay (the lock) before it refuses."""


class SpillError(RunnerError):
    """The spill file of a run's unwritten journal cannot be read or written."""


@dataclass(frozen=True, slots=True)
class Spilled:
    """One spill file as read: whose writes, in order."""

    path: Path
    campaign: str
    owner: str
    ops: list[object]
    written_at: float


def spill_dir(data: Path) -> Path:
    return data / "journal-spill"


def spill_path(data: Path, campaign: str, owner: str) -> Path:
    """The first layout's one file per campaign and owner (still read at a start)."""
    return spill_dir(data) / f"{_SAFE.sub('_', campaign)}.{_SAFE.sub('_', owner)}.pickle"


def kept_ops(ops: Sequence[object]) -> tuple[list[object], int]:
    """The writes of ``ops`` a spill file can keep (the journal's operations and the queue
    store's, which pickle), and how many others were not."""
    kept = [op for op in ops if isinstance(op, JournalOp) or getattr(op, "spillable", False)]
    return kept, len(ops) - len(kept)


def journal_ops(ops: Sequence[object]) -> tuple[list[object], int]:
    """Kept for callers of the first layout: ``kept_ops``."""
    return kept_ops(ops)


def spill(data: Path, campaign: str, owner: str, ops: Sequence[object]) -> Path:
    """Write ``ops`` to a new spill file of their own, atomically; returns its path."""
    directory = spill_dir(data)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.time_ns()
    path = directory / (f"{_SAFE.sub('_', campaign)}.{_SAFE.sub('_', owner)}."
                        f"{stamp}-{os.getpid()}.pickle")
    partial = path.with_suffix(".partial")
    body = {"format": FORMAT, "campaign": campaign, "owner": owner,
            "written_at": stamp / 1e9, "ops": list(ops)}
    with open(partial, "wb") as file:
        pickle.dump(body, file, protocol=pickle.HIGHEST_PROTOCOL)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    _fsync_dir(directory)
    return path


def _fsync_dir(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def read(path: Path, *, owner_of_old: str | None = None) -> Spilled | None:
    """One spill file (None: gone, another process replayed it meanwhile). A first-layout
    file is read only with ``owner_of_old`` (its own owner's name: the file says none)."""
    try:
        with open(path, "rb") as file:
            # Our own file, written by ``spill`` in the data directory (not a foreign input).
            body = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as error:
        raise SpillError(
            f"{path}: the journal writes kept by a run that ended with the store down "
            f"cannot be read ({error}); move the file aside to start without them"
        ) from error
    if isinstance(body, dict) and body.get("format") == 1:
        # The first layout names no owner: only its own owner's start can write it.
        return Spilled(path, "", owner_of_old or "", list(body["ops"]), 0.0)
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise SpillError(
            f"{path}: not a journal spill file of this version (format "
            f"{FORMAT}); move it aside to start without it"
        )
    return Spilled(path, str(body["campaign"]), str(body["owner"]), list(body["ops"]),
                   float(body["written_at"]))


def load(path: Path) -> list[object]:
    """The operations a spill file keeps (empty: no file)."""
    found = read(path, owner_of_old="")
    return [] if found is None else found.ops


def campaign_spills(data: Path, campaign: str, owner: str) -> list[Spilled]:
    """Every spill file of ``campaign``, whoever kept it, oldest first (the first layout's
    file of ``owner`` first of all). Read under ``replay_lock``."""
    directory = spill_dir(data)
    if not directory.is_dir():
        return []
    prefix = f"{_SAFE.sub('_', campaign)}."
    found: list[Spilled] = []
    old = spill_path(data, campaign, owner)
    for path in sorted(directory.glob("*.pickle")):
        if not path.name.startswith(prefix):
            continue
        spilled = read(path, owner_of_old=owner if path == old else None)
        if spilled is None or (spilled.campaign and spilled.campaign != campaign):
            continue  # gone meanwhile, or a campaign whose name shares the prefix
        if not spilled.owner:
            log.warning("%s: journal writes kept by the first layout for another owner (the "
                        "file does not say which): a start of that --instance writes them",
                        path)
            continue
        found.append(spilled)
    found.sort(key=lambda s: s.written_at)
    return found


@contextlib.contextmanager
def replay_lock(data: Path, wait: float = LOCK_WAIT) -> Iterator[None]:
    """Held while a process replays spill files: one at a time (advisory; the kernel drops
    it with the process). Refuses after ``wait``
    seconds, and where the file system has no locks (fail closed: two processes could
    write one file's writes at once). Linux carries ``flock`` over NFS as a POSIX lock."""
    directory = spill_dir(data)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / ".lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SpillError(
                        f"{path}: another dialer process has been replaying the journal "
                        f"writes kept in {directory} for over {wait:g} s: not dialing; "
                        "start again when it is done") from None
                time.sleep(0.05)
            except OSError as error:
                raise SpillError(f"{path}: cannot lock ({error}): the journal writes kept "
                                 f"in {directory} are not replayed, and nothing is dialed "
                                 "without them") from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def written(path: Path) -> None:
    """The kept operations are in the store: the file goes."""
    path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        _fsync_dir(path.parent)
