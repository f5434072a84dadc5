"""Journal writes the store never took, kept on local disk until it does.

A run that ends while the campaign store cannot be written (its outage outlasted
``--store-outage-limit``, or the store went down during the stop) still holds the outcomes
of the calls it made, in order: the calls' ends, the agents' history, the dispositions
(dbworker.py's ``held``). They are written to ``<data>/journal-spill/<campaign>.<owner>.pickle``
(fsynced, then renamed into place: a crash leaves the old file or the new one, never half
of one), and the next ``dialer run`` of the campaign by the same process owner writes them,
in order and skipping what it finds written (``journal_batch(..., again=True)``), before it
recovers and dials. A start that cannot write them does not dial (fail closed: without them
the leads' attempt counts and the compliance history would miss calls that were made).

Only the journal's own operations (``campaigns.journal_batch``) are kept; a queue store write
(a closure over the live queue store) is not, and the end of the run says how many.
"""

from __future__ import annotations

import logging
import os
import pickle
import re
from collections.abc import Sequence
from pathlib import Path

from campaigns.journal_batch import JournalOp
from dialer.runner.errors import RunnerError

log = logging.getLogger("dialer.runner")
_SAFE = re.compile(r"[^A-Za-z0-9._@-]")
FORMAT = 1
"""The file's layout version (a later layout refuses an older file by name, never guesses)."""


class SpillError(RunnerError):
    """The spill file of a run's unwritten journal cannot be read or written."""


def spill_path(data: Path, campaign: str, owner: str) -> Path:
    return data / "journal-spill" / f"{_SAFE.sub('_', campaign)}.{_SAFE.sub('_', owner)}.pickle"


def journal_ops(ops: Sequence[object]) -> tuple[list[JournalOp], int]:
    """The journal's operations of ``ops`` (kept), and how many others were not."""
    kept = [op for op in ops if isinstance(op, JournalOp)]
    return kept, len(ops) - len(kept)


def spill(path: Path, ops: Sequence[JournalOp]) -> None:
    """Write ``ops`` after whatever the file holds already (a previous run's, never
    written), atomically."""
    ops = [*load(path), *ops]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as file:
        pickle.dump({"format": FORMAT, "ops": ops}, file, protocol=pickle.HIGHEST_PROTOCOL)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def load(path: Path) -> list[JournalOp]:
    """The operations a previous run kept (empty: no file)."""
    try:
        with open(path, "rb") as file:
            # Our own file, written by ``spill`` in the data directory (not a foreign input).
            body = pickle.load(file)
    except FileNotFoundError:
        return []
    except Exception as error:
        raise SpillError(
            f"{path}: the journal writes kept by the last run cannot be read "
            f"({error}); move the file aside to start without them"
        ) from error
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise SpillError(
            f"{path}: not a journal spill file of this version (format "
            f"{FORMAT}); move it aside to start without it"
        )
    return list(body["ops"])


def written(path: Path) -> None:
    """The kept operations are in the store: the file goes."""
    path.unlink(missing_ok=True)
