"""All database work of the runner, on one thread, batched.

``write(statements)`` queues statements that may land a moment later (attempt outcomes,
agent history); ``commit(statements)`` waits until they are committed (the journal before an
originate). Both go through one FIFO, so an outcome is never written before its journal.
``call(fn)`` runs a read or a claim on the same thread. The event loop never touches the disk.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from dialer.runner.store import RunnerStore

T = TypeVar("T")
Statement = tuple[str, tuple[Any, ...]]


class DbWorker:
    def __init__(self, store: RunnerStore) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="dialer-db")
        self._pending: list[Statement] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._wake = asyncio.Event()
        self.batches = 0

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        await self.flush()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def write(self, statements: list[Statement]) -> None:
        self._pending.extend(statements)
        self._wake.set()

    async def commit(self, statements: list[Statement]) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.extend(statements)
        self._waiters.append(waiter)
        self._wake.set()
        await waiter

    async def flush(self) -> None:
        if self._pending:
            await self.commit([])

    async def run(self) -> None:
        """The writer task: commits whatever accumulated, one transaction per round."""
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._write_once(loop)

    async def _write_once(self, loop: asyncio.AbstractEventLoop) -> None:
        statements, self._pending = self._pending, []
        waiters, self._waiters = self._waiters, []
        if not statements and not waiters:
            return
        try:
            await loop.run_in_executor(self._executor, self.store.apply, statements)
        except Exception as error:
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_exception(error)
            if not waiters:
                raise
            return
        self.batches += 1
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def close(self) -> None:
        await self._write_once(asyncio.get_running_loop())
        self._executor.shutdown(wait=True)
