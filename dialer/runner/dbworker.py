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

Closing: ``close()`` refuses new work (``DbWorkerClosed``, a clear error, never a write
queued where no thread will ever commit it), commits what was queued, then stops the
thread. The thread is a daemon: a call the database never answers (a lock held elsewhere,
a server gone silent) cannot keep the process alive once the runner has given up on it
(its transaction is simply never committed: nothing is half-written).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import queue
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from campaigns.journal_batch import BatchResult, JournalOp
from dialer.runner.errors import RunnerError

T = TypeVar("T")
log = logging.getLogger("dialer.runner.db")
Apply = Callable[[Sequence[JournalOp]], BatchResult]


class DbWorkerClosed(RunnerError):
    """Database work asked of the runner's worker after it closed (the run has ended)."""


_Job = tuple[Future, Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None


def _work(jobs: queue.SimpleQueue[_Job]) -> None:
    while (job := jobs.get()) is not None:
        future, fn, args, kwargs = job
        if not future.set_running_or_notify_cancel():
            continue
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:  # delivered to the caller, as an executor does
            future.set_exception(error)
        else:
            future.set_result(result)


class DbThread(Executor):
    """One daemon thread that runs its jobs in order (ThreadPoolExecutor's threads are
    joined at interpreter exit, so one stuck database call kept ``dialer run`` alive)."""

    def __init__(self, name: str = "dialer-db") -> None:
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._shut = False
        self._lock = threading.Lock()
        weakref.finalize(self, self._jobs.put, None)  # an executor dropped: its thread ends

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._shut:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._thread is None:
                self._thread = threading.Thread(target=_work, args=(self._jobs,),
                                                name=self._name, daemon=True)
                self._thread.start()
            future: Future[T] = Future()
            self._jobs.put((future, fn, args, kwargs))
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shut = True
            self._jobs.put(None)
            thread = self._thread
        if wait and thread is not None:
            thread.join()


class DbWorker:
    def __init__(self, apply: Apply) -> None:
        self.apply = apply
        self._executor = DbThread("dialer-db")
        self.closed = False
        """Set by ``close()``: new work is refused (``DbWorkerClosed``)."""
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

    def _open(self, what: str) -> None:
        if self.closed:
            raise DbWorkerClosed(f"the runner's database worker is closed (the run has "
                                 f"ended): {what} refused")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the database thread after everything queued so far."""
        self._open(getattr(fn, "__name__", "a database call"))
        self._submit()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def write(self, ops: Sequence[JournalOp]) -> None:
        if ops:
            self._open(f"{len(ops)} journal writes")
            self._queued(ops)
            self._pending.extend(ops)
            self._wake.set()

    def submit(self, ops: Sequence[JournalOp]) -> asyncio.Future[BatchResult]:
        """Start committing ``ops`` (with everything queued before them) now; the future
        gives the batch's result once committed."""
        self._open(f"{len(ops)} journal writes" if ops else "a flush")
        return self._commit_future(ops)

    def _commit_future(self, ops: Sequence[JournalOp]) -> asyncio.Future[BatchResult]:
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
        """Commit what is left, then stop the thread (nothing queued is ever dropped);
        from here on new work is refused. The thread has nothing left to run once the
        flush is committed (it is FIFO), so the shutdown does not wait on the database."""
        self.closed = True
        await self._commit_future([])
        self._executor.shutdown(wait=True)

    def abandon(self) -> None:
        """Give up on the thread (the database stopped answering at the end of the run):
        new work is refused, and its stuck call is left to the daemon thread, which never
        commits it and cannot keep the process alive."""
        self.closed = True
        self._executor.shutdown(wait=False)
        if self._failure is not None:
            raise self._failure
