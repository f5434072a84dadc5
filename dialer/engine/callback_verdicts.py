"""What a queue callback does with the compliance gate's verdict at its turn.

A queue callback is an outbound call, decided at the moment of dialing by the same gate as a
campaign dial (the runner's ``dialer/runner/callback_gate.py``; the simulator's campaign
gate). A refusal is one of three kinds, read from the verdict alone:

- it names the first instant it would allow (``earliest-allowed: ISO``: calling hours, a
  state holiday, Regulation F's seven calls in seven days): the callback waits at its place
  until then, not an attempt;
- it is final (``final: ...``: a registry listing with no exemption, an opt-out, a missing
  written consent): no later moment cures it, so the callback is cancelled with the reasons;
- neither (facts not loaded yet, a registry too old): tried again ``retry_after`` later, at
  most ``max_attempts`` times, then it fails with the reasons.

The engine keeps, per callback, the last verdict it acted on (``ActedVerdict``, in
``CallbackVerdicts``): that, not a second reading of the law, is what a supervisor is shown
when they ask why a caller has not been called back (``dialer/engine/callback_status.py``).
A driver that asks (``track_changes``) takes each new one (``drain``): the runner keeps it in
the store with the callback, so it is still shown after a restart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from dialer.ports import EARLIEST_ALLOWED, FINAL_REFUSAL, GateVerdict


class Refusal(Enum):
    """How a refused callback goes on."""

    WAIT = "wait"        # until the instant the verdict names
    FINAL = "final"      # cancelled
    RETRY = "retry"      # ``retry_after`` later, a bounded number of times


def earliest_allowed(verdict: GateVerdict) -> float | None:
    """The epoch seconds of the refusal's ``earliest-allowed`` reason, if it has one (a
    malformed or zone-less time counts as none)."""
    for reason in verdict.reasons:
        if reason.startswith(EARLIEST_ALLOWED):
            try:
                moment = datetime.fromisoformat(reason[len(EARLIEST_ALLOWED):])
            except ValueError:
                return None
            return moment.timestamp() if moment.tzinfo is not None else None
    return None


def refusal_kind(verdict: GateVerdict) -> Refusal:
    """A final mark wins over a time (a final refusal with a time is still final)."""
    if any(reason.startswith(FINAL_REFUSAL) for reason in verdict.reasons):
        return Refusal.FINAL
    return Refusal.RETRY if earliest_allowed(verdict) is None else Refusal.WAIT


def refusal_text(verdict: GateVerdict) -> str:
    """The refusal's reasons as one line for the store and the supervisor (the audit id
    first when the gate recorded the decision)."""
    reasons = "; ".join(verdict.reasons) or "refused by the compliance gate"
    if verdict.decision_id:
        return f"compliance {verdict.decision_id}: {reasons}"
    return f"compliance: {reasons}"


class VerdictKind(Enum):
    """What the engine did with a gate verdict at a callback's turn."""

    ALLOWED = "allowed"  # dialed (or about to be: a switch or a gateway may still hold it)
    WAIT = "wait"        # held until the instant the verdict names
    RETRY = "retry"      # asked again ``retry_after`` later (or failed: no tries left)
    FINAL = "final"      # cancelled: no later moment cures it


@dataclass(frozen=True, slots=True)
class ActedVerdict:
    """The last gate verdict the engine acted on for one callback, as the gate gave it."""

    kind: VerdictKind
    reasons: tuple[str, ...]
    """The gate's reasons, marks included (``earliest-allowed: ...``, ``final: ...``)."""
    decided_at: float
    decision_id: str | None = None
    """The audit log's id of the decision, when the gate recorded it."""
    earliest_allowed: float | None = None
    """The instant the verdict names (a wait)."""
    asked_again_at: float | None = None
    """When the engine asks the gate again (a wait: the named instant, never the same one;
    a retry: ``retry_after`` on; an allowance the dial could not use: the next try); None:
    not asked again (dialed, cancelled, or failed)."""
    not_placed: str | None = None
    """An allowance the engine could not dial on (a switch down, no gateway or caller ID
    free): not an attempt, the place is kept until ``asked_again_at``."""

    @property
    def shown_reasons(self) -> tuple[str, ...]:
        """The reasons a person reads: the named instant is shown as a time, not a mark."""
        return tuple(r for r in self.reasons if not r.startswith(EARLIEST_ALLOWED))


def acted(verdict: GateVerdict, kind: VerdictKind, at: float,
          asked_again_at: float | None = None, not_placed: str | None = None) -> ActedVerdict:
    """The record of acting on ``verdict`` at ``at``."""
    return ActedVerdict(kind, verdict.reasons, at, verdict.decision_id,
                        earliest_allowed(verdict), asked_again_at, not_placed)


@dataclass(frozen=True, slots=True)
class EndedCallback:
    """A callback the gate ended (cancelled, failed on refusals, opted out), kept a while for
    the supervisor: it is no longer in the engine's line, and its reason is the answer."""

    callback_id: str
    queue: str
    number: str
    place_at: float
    attempts: int
    result: str
    ended_at: float
    verdict: ActedVerdict | None


ENDED_KEPT = 20
"""Callbacks ended by the gate that the engine remembers (the most recent)."""


class CallbackVerdicts:
    """Per callback, the last verdict acted on; and the last few callbacks the gate ended.

    Memory: one record per callback not finished, plus ``ENDED_KEPT``."""

    def __init__(self, ended_kept: int = ENDED_KEPT) -> None:
        self._last: dict[str, ActedVerdict] = {}
        self.ended: deque[EndedCallback] = deque(maxlen=ended_kept)
        """Most recent last."""
        self._changed: dict[str, ActedVerdict] | None = None
        """Verdicts acted on since the driver last took them (``drain``), once a driver
        asked for them (``track_changes``; the simulator does not: nothing grows)."""

    def track_changes(self) -> None:
        """Keep each verdict acted on until ``drain``: the runner writes each callback's
        last one to the store with the callback, so a restart still shows it."""
        if self._changed is None:
            self._changed = {}

    def acted(self, callback_id: str, verdict: ActedVerdict) -> None:
        self._last[callback_id] = verdict
        changed = self._changed
        if changed is not None:
            changed[callback_id] = verdict

    def drain(self) -> dict[str, ActedVerdict]:
        """The verdicts acted on since the last drain (the latest per callback), cleared;
        empty when changes are not tracked."""
        changed = self._changed
        if not changed:
            return {}
        self._changed = {}
        return changed

    def last(self, callback_id: str) -> ActedVerdict | None:
        """None: the gate has not been asked about this callback (by this engine) yet."""
        return self._last.get(callback_id)

    def finished(self, callback_id: str, queue: str, number: str, place_at: float,
                 attempts: int, result: str, at: float, by_gate: bool) -> None:
        """The callback is done; remembered with its last verdict when the gate ended it."""
        verdict = self._last.pop(callback_id, None)
        if by_gate:
            self.ended.append(EndedCallback(callback_id, queue, number, place_at, attempts,
                                            result, at, verdict))


# --- the stored form (``queue_callback.last_verdict``, migration 0014) -----------------
# Next to the verdict itself, so the runner that keeps it (dialer/runner/kept_verdicts.py)
# and the command line that shows it (`dialer queue callbacks`) read one format.


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


__all__ = ["ENDED_KEPT", "ActedVerdict", "CallbackVerdicts", "EndedCallback", "Refusal",
           "VerdictKind", "acted", "earliest_allowed", "refusal_kind", "refusal_text",
           "verdict_from_record", "verdict_record"]
