"""The compliance gate's last verdict on each queue callback, kept in the store with it.

The engine keeps, per callback, the last gate verdict it acted on (``CallbackVerdicts``);
that is what the console shows when a supervisor asks why a caller has not been called back.
Memory does not survive a restart: a callback the gate held read "not yet asked" until its
next check. So the runner writes each verdict the engine acts on to the callback's row
(``queue_callback.last_verdict``, migration 0014), in order with the journal, and when it
claims a callback it did not hold before (a restart, a claim taken over from a process that
stopped), it reads the stored one back. The console shows it, marked as decided before the
restart, until the engine's next check replaces it. The engine's own verdict always wins:
nothing here decides or holds a callback (the gate checks again at its turn).

The stored form is JSON with ISO-8601 UTC times, readable by an officer in the row. A
stored record this code cannot read is not shown as a verdict (the console says "not yet
asked") and is logged with the callback's id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from dialer.engine.callback_verdicts import ActedVerdict, verdict_from_record, verdict_record

log = logging.getLogger("dialer.runner")


class KeptVerdicts:
    """The verdicts read back from the store for callbacks this process took over, by id
    (``restored``), and the store form of the verdicts the engine acts on (``records``).

    ``restore`` runs on the database thread (a claim), the reads on the event loop: each
    change is one dictionary assignment or removal."""

    def __init__(self) -> None:
        self._restored: dict[str, ActedVerdict] = {}
        self._claimed: set[str] = set()
        """Callbacks claimed by this process (their stored verdict read once, at the
        first claim: later ones hold this run's own writes)."""

    def restore(self, rows: Iterable[tuple[str, Any]]) -> None:
        """(callback id, stored record or None) of claimed callbacks: the verdict of each
        one this process had not claimed before."""
        for callback_id, record in rows:
            if callback_id in self._claimed:
                continue
            self._claimed.add(callback_id)
            if record is None:
                continue
            try:
                self._restored[callback_id] = verdict_from_record(record)
            except ValueError as error:
                log.warning(
                    "queue callback %s: its stored gate verdict cannot be read "
                    "(last_verdict: %s); shown as not yet asked until its next "
                    "check",
                    callback_id,
                    error,
                )

    def restored(self, callback_id: str) -> ActedVerdict | None:
        """The verdict stored before this process took the callback over (None: none)."""
        return self._restored.get(callback_id)

    def forget(self, callback_id: str) -> None:
        """The callback is finished: nothing of it is kept."""
        self._restored.pop(callback_id, None)
        self._claimed.discard(callback_id)

    @staticmethod
    def records(changed: Mapping[str, ActedVerdict]) -> dict[str, dict[str, Any]]:
        """The store form of the verdicts the engine acted on (callback id → record)."""
        return {callback_id: verdict_record(v) for callback_id, v in changed.items()}


__all__ = ["KeptVerdicts", "verdict_from_record", "verdict_record"]
