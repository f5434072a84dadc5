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
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

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


__all__ = ["Refusal", "earliest_allowed", "refusal_kind", "refusal_text"]
