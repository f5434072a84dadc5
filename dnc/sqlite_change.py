"""Has a SQLite file in WAL mode changed since the last look? In a fraction of a microsecond.

The compliance stores keep in-memory indexes of their tables (the internal do-not-call list,
consent revocations) so a dial does not pay a query, and must still see a change another
process committed at the very next look-up. ``PRAGMA data_version`` answers that, but it is a
statement (a read transaction: ~1.5 µs quiet, as much as the query it would save).

SQLite already publishes the answer in shared memory: the WAL-index header at the start of
the ``-shm`` file (https://sqlite.org/walformat.html, "The WAL-Index Header"). Every commit,
by any connection of any process, rewrites it and increments its ``iChange`` counter; a
reader starts its snapshot from that header, so a commit is visible to new readers exactly
when the header shows it. The header is stored twice (the writer updates the second copy,
then the first); two equal copies read here are a consistent header, two different ones a
writer in the middle of an update (reported as "changing": the caller queries).

The mapping is safe while this process keeps its own connection open: the ``-shm`` file is
truncated or removed only by the first connection to open, or the last to close, the
database. "First" is decided by POSIX advisory locks on the ``-shm`` file, and closing *any*
descriptor of a file drops all of the process's locks on it: a watcher that opened the
``-shm``, mapped it and closed its descriptor (as this module did until 2026-12-07) dropped
the lock SQLite's own connection held, so the next process to open the database took itself
for the first, truncated the ``-shm`` to 3 bytes under the live connections of this one and
rebuilt the WAL index (seen as a runner killed by SIGBUS while another runner shared its
data directory). So a descriptor opened here is kept open: one per ``-shm`` file (by device
and inode) while the file exists, with its mapping (``_SHARED``). When the header cannot be
used (no ``-shm`` file, an unknown WAL-index version, a file not in WAL mode) the watcher
falls back to ``PRAGMA data_version``: slower, same answer for other connections' commits.
Either way the caller must also note its own writes
(``data_version`` does not count them).
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import struct
from pathlib import Path

_HEADER = 48            # one copy of the WalIndexHdr
_MAPPED = 2 * _HEADER   # both copies
HEADER_PAIR = _MAPPED
"""Bytes of a shared-memory token (``ChangeWatch.mapped``)."""
_WAL_INDEX_VERSION = 3007000


class ChangeWatch:
    """A token that differs whenever the database may have changed (``None``: a writer is
    updating the header right now; treat as changed and do not keep the token)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._map: mmap.mmap | None = None
        self._last: bytes | None = None
        # A read makes sure this connection has mapped (and so initialised) the -shm file.
        db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
        mode = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()
        if mode == "wal":
            self._map = _map_header(Path(f"{path}-shm"))

    @property
    def uses_shared_memory(self) -> bool:
        """True when the WAL-index header is read directly (the fast path)."""
        return self._map is not None

    @property
    def mapped(self) -> mmap.mmap | None:
        """The mapped header (both copies), for a caller's own fast check: a token of the
        shared-memory path is these ``2 * 48`` bytes, so ``mapped[:96] == token`` tells
        that nothing changed (one read, one comparison) without calling ``token``."""
        return self._map

    def token(self) -> object:
        header = self._map
        if header is not None:
            both = header[:_MAPPED]
            if both == self._last:
                return self._last  # the consistent pair of the last call, unchanged
            # Both copies in one read: equal copies are a consistent header (the token is
            # the pair, so equal tokens mean equal first copies, as before).
            if both[:_HEADER] != both[_HEADER:]:
                return None
            self._last = both
            return both
        return self._db.execute("PRAGMA data_version").fetchone()[0]

    def close(self) -> None:
        # The mapping and its descriptor stay open (``_SHARED``): closing the descriptor
        # would drop the SQLite connections' locks on the ``-shm`` file (module text).
        self._map = None


_SHARED: dict[tuple[int, int], tuple[int, mmap.mmap]] = {}
"""``-shm`` file (device, inode) -> its descriptor and mapped header, kept open while the file
exists: closing a descriptor drops every lock the process holds on the file, SQLite's
included (module text). One whose file was removed (SQLite removes it only when the last
connection of every process closes, which the kept locks rule out while one of ours is
open) is closed when the next file is mapped (``_forget_removed``)."""


def _forget_removed() -> None:
    for key, (handle, mapped) in list(_SHARED.items()):
        try:
            removed = os.fstat(handle).st_nlink == 0
        except OSError:
            removed = True
        if removed:
            del _SHARED[key]
            mapped.close()
            os.close(handle)


def _map_header(shm: Path) -> mmap.mmap | None:
    try:
        stat = os.stat(shm)
        kept = _SHARED.get((stat.st_dev, stat.st_ino))
        if kept is None:
            if stat.st_size < _MAPPED:
                return None
            _forget_removed()
            # Kept open while the file exists (module text), even when the mapping fails:
            # closing it would drop the locks of this process's connections.
            handle = os.open(shm, os.O_RDONLY)
            opened = os.fstat(handle)
            kept = _SHARED.get((opened.st_dev, opened.st_ino))
            if kept is None:
                kept = (handle, mmap.mmap(handle, _MAPPED, access=mmap.ACCESS_READ))
                _SHARED[(opened.st_dev, opened.st_ino)] = kept
        mapped = kept[1]
    except (OSError, ValueError):
        return None
    version, = struct.unpack_from("=I", mapped, 0)
    initialised = mapped[12]
    if version != _WAL_INDEX_VERSION or initialised != 1:
        return None
    return mapped
