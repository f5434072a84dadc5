"""A ``dialer run`` told to stop ends, within a bound its operator can read (docs/operations.md,
"How long a stop takes").

The runner's own stop is bounded step by step: calls get ``stop_grace`` (a caller leaving a
voicemail, until that voicemail's ``max_seconds``), hang-ups get ``HANG_UP_WAIT`` to be
confirmed, background tasks ``TASK_END_WAIT`` to end when cancelled (cancelled again once if
they ignore it), and the closing database work ``CLOSE_WAIT``. ``EndWatch`` is the last
resort for whatever still hangs (a task that ignores cancellation, a call blocking the
event loop): a daemon thread that, once the bound passes, writes every thread's stack to
stderr and ends the process with ``EXIT_NOT_ENDED``. A hung dialer is one an operator
cannot trust to stop; an exit status and a stack say what went wrong.
"""

from __future__ import annotations

import faulthandler
import os
import sys
import threading
import time
from collections.abc import Callable

HANG_UP_WAIT = 5.0
"""Seconds the switch is given to confirm the hang-ups the stop asked for."""
TASK_END_WAIT = 5.0
"""Seconds the runner's background tasks are given to end once cancelled (twice)."""
CLOSE_WAIT = 30.0
"""Seconds the closing database work (the last journal writes, claims released, the audit
anchor) may take; past it the run ends with an error naming what was not done."""
END_BOUND = 60.0
"""Seconds from the moment the last call was settled (or given up) to the runner's return:
``2 * TASK_END_WAIT + CLOSE_WAIT`` and the switches' settling, with room for a loaded host."""
EXIT_NOT_ENDED = 5
"""``dialer run`` exit status when it could not end cleanly within its bound."""


def exit_now(what: str) -> None:
    """The process's last resort: say why, write every thread's stack, exit at once."""
    sys.stderr.write(
        f"error: dialer run did not end within its bound ({what}); every "
        f"thread's stack follows; exiting with status {EXIT_NOT_ENDED}\n"
    )
    sys.stderr.flush()
    faulthandler.dump_traceback(all_threads=True)
    os._exit(EXIT_NOT_ENDED)


class EndWatch:
    """An alarm on a daemon thread: ``arm(deadline)`` (monotonic seconds) sets or moves
    it, ``disarm()`` ends it; past the deadline ``on_expiry`` is called once with what
    the run was doing."""

    def __init__(
        self,
        on_expiry: Callable[[str], None] = exit_now,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_expiry = on_expiry
        self.clock = clock
        self.deadline: float | None = None
        self.what = ""
        self.fired = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._done = False

    def arm(self, deadline: float, what: str) -> None:
        with self._changed:
            if self._done:
                return
            self.deadline, self.what = deadline, what
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._watch, name="dialer-end-watch", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def tighten(self, deadline: float, what: str) -> None:
        """``arm``, unless the alarm is already set earlier (the run's end never moves
        the bound of its stop later)."""
        if self.deadline is None or deadline < self.deadline:
            self.arm(deadline, what)

    def disarm(self) -> None:
        with self._changed:
            self._done = True
            self._changed.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _watch(self) -> None:
        with self._changed:
            while not self._done:
                assert self.deadline is not None
                left = self.deadline - self.clock()
                if left <= 0:
                    self.fired, self._done = True, True
                    what = self.what
                    break
                self._changed.wait(left)
            else:
                return
        self.on_expiry(what)
