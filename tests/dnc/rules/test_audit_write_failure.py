"""A batch the audit log could not write (a full disk) leaves the chain as it was on disk.

The log kept its sequence number and head hash in memory and moved them while it built the
batch, before the write. When the write failed with nothing written, the file's size was
the size it knew, so the next batch trusted those moved values: its first entry chained to
entries that never reached the disk and ``verify`` found the log broken at that line. The
dial-time gate keeps a failed batch and writes it again with the next one (a dial is never
sent without its decision on disk), so this is the path every retry after a full disk takes.
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from dnc.rules import audit as audit_module
from dnc.rules.audit import AuditLog

AT = "2026-12-07T18:05:00+00:00"


class _FullDisk:
    """The audit file as a full disk serves it: opened, locked and sought as ever; every
    write fails with ENOSPC and nothing reaches the file."""

    def __init__(self, handle) -> None:  # type: ignore[no-untyped-def]
        self._handle = handle

    def __enter__(self) -> _FullDisk:
        self._handle.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.__exit__(*exc)

    def __getattr__(self, name: str) -> object:
        return getattr(self._handle, name)

    def fileno(self) -> int:
        return self._handle.fileno()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_batch_that_could_not_be_written_does_not_break_the_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog(tmp_path)
    log.append_bodies([{"decision_id": "dial:r:1", "allowed": True, "at": AT}])
    real_open = open
    monkeypatch.setattr(
        audit_module,
        "open",
        lambda *args, **kwargs: _FullDisk(real_open(*args, **kwargs)),
        raising=False,
    )
    with pytest.raises(OSError):
        log.append_bodies([{"decision_id": "dial:r:2", "allowed": True, "at": AT}])
    monkeypatch.undo()
    # The disk has room again: the kept decision is written, then the next one.
    assert log.append_bodies([{"decision_id": "dial:r:2", "allowed": True, "at": AT}]) == [
        "audit:1"
    ]
    assert log.append_bodies([{"decision_id": "dial:r:3", "allowed": True, "at": AT}]) == [
        "audit:2"
    ]
    report = log.verify()
    assert report.ok, report.problem
    assert [e["decision_id"] for e in log.entries()] == ["dial:r:1", "dial:r:2", "dial:r:3"]
