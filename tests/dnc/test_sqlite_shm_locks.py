"""Watching a WAL database must not drop the SQLite connections' locks on its ``-shm`` file.

Closing any descriptor of a file drops every POSIX lock the process holds on it. The watcher
(dnc/sqlite_change.py) opened the ``-shm``, mapped it and closed its descriptor: SQLite's
shared "dead-man switch" lock was gone, the next process to open the database took itself
for the first, truncated the ``-shm`` under the live connections and rebuilt the WAL index
(two runners sharing a data directory: one killed by SIGBUS)."""

from __future__ import annotations

import fcntl
import os
import struct
import subprocess
import sys
from pathlib import Path

from dnc.internal import InternalDnc

_DMS = 128
"""The byte of the ``-shm`` file SQLite's unix VFS locks shared while a connection has it
open (UNIX_SHM_DMS: (22 + SQLITE_SHM_NLOCK) * 4)."""

_PROBE = f"""
import fcntl, os, struct, sys
handle = os.open(sys.argv[1], os.O_RDWR)
asked = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, {_DMS}, 1, 0)
found = fcntl.fcntl(handle, fcntl.F_GETLK, asked)
print(struct.unpack("hhqqi4x", found)[0] == fcntl.F_UNLCK)
"""


def _nobody_holds_the_dms_lock(shm: Path) -> bool:
    """Asked from another process (F_GETLK reports other processes' locks only)."""
    answer = subprocess.run([sys.executable, "-c", _PROBE, str(shm)], capture_output=True,
                            text=True, check=True)
    return answer.stdout.strip() == "True"


def test_an_open_internal_list_keeps_sqlite_s_lock_on_its_shared_memory(tmp_path):
    path = tmp_path / "internal.db"
    internal = InternalDnc(path)
    try:
        assert internal._watch.uses_shared_memory  # the fast path under test
        internal.is_listed("+12015550123")
        assert not _nobody_holds_the_dms_lock(Path(f"{path}-shm"))
        second = InternalDnc(path)  # a second watcher of the same file in this process
        second.close()
        assert not _nobody_holds_the_dms_lock(Path(f"{path}-shm"))
    finally:
        internal.close()


def test_the_flock_layout_matches_this_platform():
    """The probe's ``struct flock`` layout (Linux, 64-bit): a lock taken here is seen."""
    assert struct.calcsize("hhqqi4x") == 32
    assert fcntl.F_UNLCK != fcntl.F_WRLCK and os.SEEK_SET == 0
