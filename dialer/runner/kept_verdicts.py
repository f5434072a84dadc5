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
from datetime import UTC, datetime
from typing import Any

from dialer.engine.callback_verdicts import ActedVerdict, VerdictKind

log = logging.getLogger("dialer.runner")


def _iso(at: float | None) -> str | None:
    return None if at is None else datetime.fromtimestamp(at, UTC).isoformat()


def _epoch(text: Any, field: str) -> float | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError(f"{field}: not an ISO time: {text!r}")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{field}: {text!r} names no time zone")
    return moment.timestamp()


def verdict_record(verdict: ActedVerdict) -> dict[str, Any]:
    """``verdict`` as stored (JSON)."""
    return {
        "kind": verdict.kind.value,
        "reasons": list(verdict.reasons),
        "decided_at": _iso(verdict.decided_at),
        "decision_id": verdict.decision_id,
        "earliest_allowed": _iso(verdict.earliest_allowed),
        "asked_again_at": _iso(verdict.asked_again_at),
        "not_placed": verdict.not_placed,
    }


def verdict_from_record(record: Mapping[str, Any]) -> ActedVerdict:
    """The verdict a stored record holds; ``ValueError`` naming the field that is wrong."""
    if not isinstance(record, Mapping):
        raise ValueError(f"not a JSON object: {record!r}")
    try:
        kind = VerdictKind(record.get("kind"))
    except ValueError:
        raise ValueError(
            f"kind: {record.get('kind')!r} is none of {', '.join(k.value for k in VerdictKind)}"
        ) from None
    reasons = record.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise ValueError(f"reasons: not a list of texts: {reasons!r}")
    decided_at = _epoch(record.get("decided_at"), "decided_at")
    if decided_at is None:
        raise ValueError("decided_at: missing")
    for field in ("decision_id", "not_placed"):
        if not isinstance(record.get(field), str | None):
            raise ValueError(f"{field}: not a text: {record.get(field)!r}")
    return ActedVerdict(
        kind,
        tuple(reasons),
        decided_at,
        record.get("decision_id"),
        _epoch(record.get("earliest_allowed"), "earliest_allowed"),
        _epoch(record.get("asked_again_at"), "asked_again_at"),
        record.get("not_placed"),
    )


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
