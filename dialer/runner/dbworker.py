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

A store outage (a PostgreSQL restart or failover, a locked SQLite file, a full disk) does
not end the run (2026-12-07; before, a write-only batch that failed raised from the writer
task and the process ended with every call up). A batch that fails is kept: its writes
(outcomes, agent history, dispositions, releases; never a dial's journal, which is held by
the dial sender and decided again) go to ``held``, in order, in front of everything queued
after them, and the writer tries them again after a backoff (``RETRY_FIRST`` doubling to
``RETRY_LONGEST`` seconds). Batches already on their way to the thread when one fails are
not tried (the thread refuses them untouched) and are kept behind it, so the order of the
journal is the order of the calls. While the store cannot be written, a dial's commit is
refused at once (``StoreOutage``: nothing is dialed that is not journaled first), and
``outage`` says since when and why (the runner pauses dialing, raises one alert, shows it
in the status and the metrics). A retried batch is applied with ``again`` (a transaction
whose commit failed may have landed: the journal skips what it finds written, so nothing
is written twice). The first batch written ends the outage.

Closing: ``close()`` refuses new work (``DbWorkerClosed``, a clear error, never a write
queued where no thread will ever commit it), commits what was queued, then stops the
thread. The thread is a daemon: a call the database never answers (a lock held elsewhere,
a server gone silent) cannot keep the process alive once the runner has given up on it
(its transaction is simply never committed: nothing is half-written).
"""

from __future__ import annotations

import asyncio
import contextlib
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

from sqlalchemy.exc import SQLAlchemyError

from campaigns.journal_batch import BatchResult, BeginOp, CallbackDialOp, JournalOp
from dialer.runner.errors import RunnerError
from dialer.words import counted

T = TypeVar("T")
log = logging.getLogger("dialer.runner.db")
Apply = Callable[..., BatchResult]
"""``apply(ops)``, or ``apply(ops, again=True)`` for a batch that begins with writes a failed
batch held (``JournalStep``, ``CampaignStore.journal_batch``)."""

RETRY_FIRST = 1.0
"""Seconds before the writes of a failed batch are tried again: a blip (a lock, a
failover's first seconds) costs a second."""
RETRY_LONGEST = 30.0
"""The retries' bound: a store down for long is asked twice a minute."""


class DbWorkerClosed(RunnerError):
    """Database work asked of the runner's worker after it closed (the run has ended)."""


class StoreOutage(RunnerError):
    """A commit refused without trying, because the store cannot be written (an earlier
    batch failed and its writes are held): its dials are not sent."""


class _NotTried(Exception):
    """The thread's refusal of a batch sent before the loop learnt that an earlier one
    failed: nothing of it was applied (it is held whole, behind the failed one)."""


STORE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, StoreOutage)
"""What a store that is down raises (the driver's errors, the disk's, a commit refused
during an outage): a background task's step that meets one is tried again at its next
turn (``StoreTrouble``), the run goes on."""


class StoreTrouble:
    """A background task's store errors, logged once while they last (WARNING), and once
    when they end: a store down for ten minutes is not 300 lines per task."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing: str | None = None

    def failed(self, error: BaseException) -> None:
        if self.failing is None:
            self.failing = (str(error).splitlines() or [""])[0][:300] or type(error).__name__
            log.warning("%s: the store did not answer (%s): tried again at the next turn",
                        self.what, self.failing)

    def ok(self) -> None:
        if self.failing is not None:
            log.info("%s: the store answers again", self.what)
            self.failing = None


def _is_dial(op: object) -> bool:
    """A dial's journal: never held (the dial is not sent; the engine decides it again)."""
    return isinstance(op, BeginOp | CallbackDialOp)


def _applied_apart(op: object) -> bool:
    """A write the journal step applied on its own before the journal's transaction (a
    queue store write, ``QueueStoreOp``, marked ``applied`` once written), so a batch that
    failed afterwards is not to write it again. One not applied (it failed, or a write
    before it did) is held like the journal's (2026-12-07: before, a failed queue store
    write was logged and dropped)."""
    return bool(getattr(op, "applied", False))


class Outage:
    """The store's outage as the writer meets it: the first failure's words (kept while it
    lasts: one alert, one ERROR line), since when (monotonic), how many tries failed."""

    def __init__(self, failure: str, since: float, first: float, longest: float) -> None:
        self.failure = failure
        self.since = since
        self.tries = 1
        self.first = first
        self.longest = longest
        self.next_try = since + first

    def failed(self, now: float) -> None:
        self.tries += 1
        self.next_try = now + self.backoff()

    def backoff(self) -> float:
        """Seconds to the next try: ``first`` doubling to ``longest``."""
        return min(self.first * 2.0 ** min(self.tries - 1, 16), self.longest)

    def seconds(self, now: float) -> float:
        return max(0.0, now - self.since)


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
    def __init__(self, apply: Apply, *, retry_first: float = RETRY_FIRST,
                 retry_longest: float = RETRY_LONGEST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.apply = apply
        self.retry_first = retry_first
        self.retry_longest = retry_longest
        self.clock = clock
        """Monotonic seconds (the outage's backoff and length; the lag's)."""
        self.held: list[JournalOp] = []
        """Writes of failed batches, in journal order, in front of everything queued after
        them: tried again by the writer, with the next commit, or kept at the end
        (``Runner``'s spill file) when the store never comes back."""
        self.outage: Outage | None = None
        """Set while the store cannot be written (the first failure to the first batch
        written again)."""
        self.on_outage: Callable[[Outage | None], None] | None = None
        """Told when an outage begins and when it ends (the runner pauses dialing)."""
        self._broken = False
        """Thread side: a batch failed and no retry has been tried since."""
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
        """Journal writes queued, held or in flight, not yet committed (the metrics'
        backlog)."""
        return (len(self.held) + len(self._pending)
                + sum(count for _, count in self._unfinished))

    def lag(self, now: float | None = None) -> float:
        """Seconds the oldest write not yet committed has waited (0 when none waits)."""
        now = self.clock() if now is None else now
        times = [t for t, _ in self._unfinished if t is not None]
        if self.outage is not None and self.held:
            times.append(self.outage.since)
        if self._pending_since is not None:
            times.append(self._pending_since)
        return max(0.0, now - min(times)) if times else 0.0

    def _queued(self, ops: Sequence[JournalOp]) -> None:
        if ops and self._pending_since is None:
            self._pending_since = self.clock()

    def _open(self, what: str) -> None:
        if self.closed:
            raise DbWorkerClosed(f"the runner's database worker is closed (the run has "
                                 f"ended): {what} refused")

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` on the database thread after everything queued so far."""
        self._open(getattr(fn, "__name__", "a database call"))
        if self.outage is None:
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

    def _commit_future(self, ops: Sequence[JournalOp], *, try_now: bool = False
                       ) -> asyncio.Future[BatchResult]:
        waiter: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        outage = self.outage
        if outage is not None and not try_now:
            # Fail closed: a dial is sent only once its journal is written, and the store
            # is not written now. Its other writes wait with the held ones, in order.
            dials = [op for op in ops if _is_dial(op)]
            self._queued([op for op in ops if not _is_dial(op)])
            self._pending.extend(op for op in ops if not _is_dial(op))
            waiter.set_exception(StoreOutage(
                f"the store cannot be written (since {outage.seconds(self.clock()):.0f} s: "
                f"{outage.failure}): {counted(len(dials), 'dial')} not journaled"))
            return waiter
        self._queued(ops)
        self._pending.extend(ops)
        self._waiters.append(waiter)
        self._submit()
        return waiter

    async def commit(self, ops: Sequence[JournalOp]) -> BatchResult:
        """Commit ``ops`` (with everything queued before them) and return their result."""
        return await self.submit(ops)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (during an outage: one more
        try now, which raises if the store still cannot be written)."""
        self._open("a flush")
        await self._try_all()

    async def _try_all(self) -> None:
        # During an outage, behind every batch still on its way (those fail untouched and
        # are held first), so the try carries every write in order.
        while self.outage is not None and self._unfinished and self._inflight is not None:
            await asyncio.wait([self._inflight])
            await asyncio.sleep(0)
        await self._commit_future([], try_now=True)

    def _submit(self, probe: bool = False) -> asyncio.Future[BatchResult] | None:
        """Send what is held and queued (with the commits waiting) to the thread as one
        batch; ``probe``: even an empty one (during an outage with nothing held, the
        journal's probe write says whether the store is written again)."""
        held, self.held = self.held, []
        ops, self._pending = held + self._pending, []
        waiters, self._waiters = self._waiters, []
        if not ops and not waiters and not probe:
            return None
        self._unfinished.append((self._pending_since, len(ops)))
        self._pending_since = None
        loop = asyncio.get_running_loop()
        resume = self.outage is not None
        future = loop.run_in_executor(self._executor, self._apply, ops, resume,
                                      bool(held) or (resume and not ops))
        future.add_done_callback(functools.partial(self._done, waiters, ops))
        self._inflight = future
        return future

    def _apply(self, ops: list[JournalOp], resume: bool, again: bool) -> BatchResult:
        """Database thread: one batch, or its refusal untouched when an earlier batch
        failed and this one was sent before the loop knew (it is held behind that one)."""
        if self._broken and not resume:
            raise _NotTried()
        self._broken = False
        try:
            return self.apply(ops, again=True) if again else self.apply(ops)
        except BaseException:
            self._broken = True
            raise

    def _done(self, waiters: list[asyncio.Future[BatchResult]], ops: list[JournalOp],
              future: asyncio.Future[BatchResult]) -> None:
        if self._unfinished:
            self._unfinished.popleft()
        count = len(ops)
        error = (asyncio.CancelledError() if future.cancelled() else future.exception())
        if isinstance(error, asyncio.CancelledError):
            if not waiters:
                self._failure = error  # nobody waits for it: the writer task raises it
                self._wake.set()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
            return
        if error is not None:
            self._failed(ops, error)
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(
                        StoreOutage(f"the store cannot be written: {self.outage.failure}")
                        if isinstance(error, _NotTried) and self.outage is not None
                        else error)
            return
        if self.outage is not None:
            self._recovered()
        result = future.result()
        self.batches += 1
        self.ops_written += count
        if result.problems:
            self.problems += len(result.problems)
            log.warning("journal batch: %s", "; ".join(result.problems[:5]))
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(result)

    def _failed(self, ops: list[JournalOp], error: BaseException) -> None:
        """A batch not written: its writes held in order (behind those held already: the
        thread is FIFO, so batches fail in the order they were sent), its dials not; the
        outage begins (one ERROR line, the runner told) or goes on (its backoff doubles)."""
        untouched = isinstance(error, _NotTried)
        self.held.extend(op for op in ops if not _is_dial(op)
                         and (untouched or not _applied_apart(op)))
        if untouched:
            return
        now = self.clock()
        if self.outage is None:
            # The database's first line (a driver's text goes on with the statement).
            words = (str(error).splitlines() or [""])[0][:300] or type(error).__name__
            self.outage = Outage(f"{type(error).__name__}: {words}", now, self.retry_first,
                                 self.retry_longest)
            log.error("the store cannot be written (%s): dialing held, %d writes kept in "
                      "order and tried again from %g s, doubling to %g s; calls in progress "
                      "go on", self.outage.failure, len(self.held), self.retry_first,
                      self.retry_longest)
            if self.on_outage is not None:
                self.on_outage(self.outage)
        else:
            self.outage.failed(now)
            log.debug("the store still cannot be written (%s): %d writes held", error,
                      len(self.held))
        self._wake.set()

    def _recovered(self) -> None:
        outage = self.outage
        assert outage is not None
        self.outage = None
        log.warning("the store is written again after %.0f s (%s): the writes held are "
                    "written, dialing may resume", outage.seconds(self.clock()), outage.failure)
        if self.on_outage is not None:
            self.on_outage(None)

    async def run(self) -> None:
        """The writer task: submits what ``write`` queued (during an outage, what is held
        and queued, at the backoff's pace)."""
        while True:
            outage = self.outage
            if outage is None:
                await self._wake.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, outage.next_try - self.clock())):
                        await self._wake.wait()
            self._wake.clear()
            if self._failure is not None:
                raise self._failure
            inflight = self._inflight
            if inflight is not None and not inflight.done():
                await asyncio.wait([inflight])  # writes meanwhile gather into one batch
            outage = self.outage
            if outage is not None and self.clock() < outage.next_try:
                continue  # not yet: the next try is the backoff's
            if outage is not None and self._unfinished:
                await asyncio.sleep(0)  # a batch on its way fails first, then the try
                continue
            # During an outage with nothing held (the failed batch was dials only), an
            # empty batch: the journal's probe write is the try.
            self._submit(probe=outage is not None)

    async def close(self) -> None:
        """Commit what is left, then stop the thread (nothing queued is ever dropped);
        from here on new work is refused. The thread has nothing left to run once the
        flush is committed (it is FIFO), so the shutdown does not wait on the database."""
        self.closed = True
        try:
            await self._try_all()
        finally:
            self._executor.shutdown(wait=True)

    def abandon(self) -> None:
        """Give up on the thread (the database stopped answering at the end of the run):
        new work is refused, and its stuck call is left to the daemon thread, which never
        commits it and cannot keep the process alive."""
        self.closed = True
        self._executor.shutdown(wait=False)
        if self._failure is not None:
            raise self._failure
