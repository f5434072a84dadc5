"""All database work of the runner, on one thread, batched.

``write(ops)`` queues journal operations that may land a moment later (attempt progress and
outcomes, agent history, dispositions); ``commit(ops)`` waits until they are committed and
returns the batch's result (the journal of a dial, before its originate). ``call(fn)`` runs a
read or a claim on the same thread. The event loop never touches the database.

Order: every submission takes *all* queued operations with it into the one database thread,
whose queue is FIFO, so an outcome is never written before its journal and a read sees every
write queued before it. The writer task only decides *when* to submit what ``write``
queued (at once when idle; while a batch is in flight, writes gather into the next one).
Results are delivered by the batch's completion, not by the writer task, so a commit or a
read made while the runner shuts down (writer cancelled) still completes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from campaigns.journal_batch import BatchResult, JournalOp

T = TypeVar("T")
log = logging.getLogger("dialer.runner.db")
Apply = Callable[[Sequence[JournalOp]], BatchResult]


class DbWorker:
    def __init__(self, apply: Apply) -> None:
        self.apply = apply
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="dialer-db")
        self._pending: list[JournalOp] = []
        self._waiters: list[asyncio.Future[BatchResult]] = []
        self._wake = asyncio.Event()
        self._inflight: asyncio.Future[BatchResult] | None = None
        self._failure: BaseException | None = None
        self.batches = 0
        self.ops_written = 0
        self.problems = 0
        self._pending_since: float | None = None
        self._unfinished: deque[tuple[float | None, int]] = deque()
        """Batches sent to the thread, oldest first: (when their oldest write was queued,
        how many writes). The thread is FIFO, so they finish in this order."""

    @property
    def pending_operations(self) -> int:
        """Journal writes queued or in flight, not yet committed (the metrics' backlog)."""
        return len(self._pending) + sum(count for _, count in self._unfinished)

    def lag(self, now: float | None = None) -> float:
        """Seconds the oldest write not yet committed has waited (0 when none waits)."""
        now = time.monotonic() if now is None else now
        times = [t for t, _ in self._unfinished if t is not None]
        if self._pending_since is not None:
            times.append(self._pending_since)
        return max(0.0, now - min(times)) if times else 0.0

    def _queued(self, ops: Sequence[JournalOp]) -> None:
        if ops and self._pending_since is None:
            self._pending_since = time.monotonic()

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the database thread after everything queued so far."""
        self._submit()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def write(self, ops: Sequence[JournalOp]) -> None:
        if ops:
            self._queued(ops)
            self._pending.extend(ops)
            self._wake.set()

    def submit(self, ops: Sequence[JournalOp]) -> asyncio.Future[BatchResult]:
        """Start committing ``ops`` (with everything queued before them) now; the future
        gives the batch's result once committed."""
        waiter: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._queued(ops)
        self._pending.extend(ops)
        self._waiters.append(waiter)
        self._submit()
        return waiter

    async def commit(self, ops: Sequence[JournalOp]) -> BatchResult:
        """Commit ``ops`` (with everything queued before them) and return their result."""
        return await self.submit(ops)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self.commit([])

    def _submit(self) -> asyncio.Future[BatchResult] | None:
        ops, self._pending = self._pending, []
        waiters, self._waiters = self._waiters, []
        if not ops and not waiters:
            return None
        self._unfinished.append((self._pending_since, len(ops)))
        self._pending_since = None
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self.apply, ops)
        future.add_done_callback(functools.partial(self._done, waiters, len(ops)))
        self._inflight = future
        return future

    def _done(self, waiters: list[asyncio.Future[BatchResult]], count: int,
              future: asyncio.Future[BatchResult]) -> None:
        if self._unfinished:
            self._unfinished.popleft()
        error = (asyncio.CancelledError() if future.cancelled() else future.exception())
        if error is not None:
            if not waiters:
                self._failure = error  # nobody waits for it: the writer task raises it
                self._wake.set()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
            return
        result = future.result()
        self.batches += 1
        self.ops_written += count
        if result.problems:
            self.problems += len(result.problems)
            log.warning("journal batch: %s", "; ".join(result.problems[:5]))
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)

    async def run(self) -> None:
        """The writer task: submits what ``write`` queued; raises a lost write's error."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._failure is not None:
                raise self._failure
            inflight = self._inflight
            if inflight is not None and not inflight.done():
                await asyncio.wait([inflight])  # writes meanwhile gather into one batch
            self._submit()

    async def close(self) -> None:
        """Commit what is left, then stop the thread (nothing queued is ever dropped)."""
        await self.flush()
        self._executor.shutdown(wait=True)
        if self._failure is not None:
            raise self._failure
