"""The journal writer's backlog and lag (the metrics' ``dialer_journal_pending_operations``
and ``dialer_journal_lag_seconds``): writes queued or in flight count until committed, and
the lag is the age of the oldest of them."""

from __future__ import annotations

import asyncio
import threading
import time

from campaigns.journal_batch import BatchResult
from dialer.runner.dbworker import DbWorker


def test_pending_and_lag_until_committed() -> None:
    gate = threading.Event()

    def apply(ops):
        gate.wait(5)
        return BatchResult({}, {})

    async def scenario() -> None:
        db = DbWorker(apply)
        writer = asyncio.create_task(db.run())
        assert (db.pending_operations, db.lag()) == (0, 0.0)
        db.write(["a", "b"])  # type: ignore[list-item]
        committed = db.submit(["c"])  # type: ignore[list-item]
        db.write(["d"])  # type: ignore[list-item]  (waits behind the batch in flight)
        assert db.pending_operations == 4
        assert db.lag(time.monotonic() + 5.0) >= 5.0
        gate.set()
        await committed
        await db.flush()
        assert (db.pending_operations, db.lag()) == (0, 0.0)
        writer.cancel()
        await db.close()

    asyncio.run(scenario())
