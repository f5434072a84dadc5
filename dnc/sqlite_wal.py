"""Opening the compliance stores' SQLite files safely when several processes start at once.

Two runners sharing one data directory open ``internal.db`` and ``facts.db`` in the same
instant. Switching a file to WAL needs a lock SQLite does not wait for with its busy handler
(the switch fails at once with "database is locked" while another connection is doing the
same), so the switch is retried here until the connection's timeout. A file already in WAL
mode needs no switch at all, which is the usual case after the first start.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path


def connect_wal(path: Path, timeout: float = 30.0) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode with synchronous=FULL, retried while locked."""
    db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                         check_same_thread=False)
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            mode = db.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) and "busy" not in str(error):
                db.close()
                raise
            if time.monotonic() >= deadline:
                db.close()
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)
    db.execute("PRAGMA synchronous=FULL")
    return db
