"""``dialer run``'s own terminal: the live dashboard on a terminal, a status line otherwise.

On a terminal the dashboard redraws twice a second and the runner's log lines print above
it; piped or redirected, one status line goes to stderr every ``every`` seconds (and at
once whenever the reason for not dialing changes), so a log file shows what the runner was
doing and why. Both read ``runner_snapshot``; nothing here touches the runner's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TextIO

from dialer.runner.dashboard import render, status_line
from dialer.runner.monitor import runner_snapshot

if TYPE_CHECKING:
    from dialer.runner.runner import Runner


class RunConsole:
    def __init__(self, runner: Runner, *, interactive: bool, every: float = 10.0,
                 stream: TextIO | None = None, detail: bool = False) -> None:
        self.runner = runner
        self.interactive = interactive
        self.every = every
        self.stream = stream or sys.stderr
        self.detail = detail
        self.lines_written = 0

    @contextlib.asynccontextmanager
    async def showing(self) -> AsyncIterator[RunConsole]:
        """Show the status while the body runs (the runner's ``run()``)."""
        task = asyncio.create_task(self._dashboard() if self.interactive else self._lines())
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            if not self.interactive:
                self._write(final=True)  # the state at the end, once

    def _write(self, final: bool = False) -> None:
        snapshot = runner_snapshot(self.runner)
        if final:
            # Stopped: what held when the stop began (the exit status reports the same).
            held = self.runner.status.final()
            snapshot["status"] = {"activity": "stopped",
                                  "reasons": list(held.reasons) if held.blocked else [],
                                  "blockers": [b.value for b in held.blockers]}
        print(status_line(snapshot), file=self.stream, flush=True)
        self.lines_written += 1

    async def _lines(self) -> None:
        elapsed = 0.0
        said: Any = None
        while True:
            await asyncio.sleep(0.5)
            elapsed += 0.5
            reasons = self.runner.status.current.reasons
            if elapsed >= self.every or (reasons != said and self.runner.ready.is_set()):
                self._write()
                elapsed, said = 0.0, reasons

    async def _dashboard(self) -> None:
        from rich.console import Console
        from rich.live import Live
        from rich.logging import RichHandler

        console = Console(file=self.stream)
        handler = RichHandler(console=console, show_path=False, markup=False)
        root = logging.getLogger()
        from dialer.logs import JsonLines

        plain = [h for h in root.handlers if isinstance(h, logging.StreamHandler)
                 and not isinstance(h, RichHandler)
                 and not isinstance(h.formatter, JsonLines)]
        for h in plain:
            root.removeHandler(h)
            for kept in h.filters:  # phone numbers stay masked on the dashboard too
                handler.addFilter(kept)
        root.addHandler(handler)
        try:
            with Live(console=console, refresh_per_second=4, transient=False) as live:
                while True:
                    live.update(render(runner_snapshot(self.runner), detail=self.detail,
                                       width=console.width))
                    await asyncio.sleep(0.5)
        finally:
            root.removeHandler(handler)
            for h in plain:
                root.addHandler(h)
