"""The wallboard's list of queue callbacks: who waits to be called back, and why.

A supervisor asked "why has this caller not been called back?" is shown what the engine knows
(``Engine.queue_callbacks``: in line behind others, being dialed, held, ended) and the last
verdict of the campaign's dial-time gate the engine acted on for that callback: its reasons,
the instant it named ("next try at 08:00 caller's local time"), its audit id, when it was
decided; "not yet asked" before the first check. After a restart, a callback the engine
has not checked yet shows the verdict stored with it (``kept_verdicts.py``), marked "before
the restart", until the engine's next check replaces it. Nothing here reads the law again: a state's
stricter window or holiday, Regulation F, an attempt limit or a registry listing reach the
console as the gate's own reasons. The caller's local time is shown as information beside
them (where the number is placed: every zone the rules place it in), never as a verdict.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dialer.engine.callback_status import CallbackState, CallbackStatus, HeldBy
from dialer.engine.callback_verdicts import ActedVerdict, VerdictKind
from dnc.errors import ComplianceError
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from dialer.runner.kept_verdicts import KeptVerdicts
    from dialer.runner.runner import Runner

CALLBACKS_SHOWN = 20
"""Queue callbacks listed on the wallboard (the first ones in the order they are served)."""
ENDED_SHOWN_FOR = 3600.0
"""Seconds a callback the gate ended stays on the wallboard, with the gate's reasons."""
NOT_ASKED = "not yet asked"


class CallerClock:
    """The local time of a number, in every time zone the compliance rules place it in
    (information for the supervisor; the gate decides)."""

    def __init__(self, tables: RuleTables | None = None) -> None:
        self._tables = tables
        self._zones: dict[str, tuple[ZoneInfo, ...]] = {}
        """Number → its zones (placed once: a number does not move)."""

    def zones(self, number: str) -> tuple[ZoneInfo, ...]:
        """The zones the rules place ``number`` in; () for a number that cannot be placed."""
        zones = self._zones.get(number)
        if zones is None:
            if self._tables is None:
                self._tables = RuleTables()
            try:
                zones = tuple(place(LeadFacts(number), self._tables).zone_infos())
            except ComplianceError:
                zones = ()
            self._zones[number] = zones
        return zones

    def local_time(self, number: str, at: float) -> str:
        """"04:02 in Pacific/Guam" (every zone, comma-separated); "" when not placed."""
        return ", ".join(f"{datetime.fromtimestamp(at, zone):%H:%M} in {zone.key}"
                         for zone in self.zones(number))

    def local_instant(self, number: str, at: float, now: float) -> str:
        """``at`` as the caller's local time: "08:00 caller's local time (Pacific/Guam)",
        the weekday added when it is not the caller's today; UTC for a number not placed."""
        zones = self.zones(number)
        if not zones:
            return f"{datetime.fromtimestamp(at, UTC):%H:%M} UTC"
        parts = []
        for zone in zones:
            moment = datetime.fromtimestamp(at, zone)
            day = "" if moment.date() == datetime.fromtimestamp(now, zone).date() \
                else f"{moment:%a} "
            parts.append((f"{day}{moment:%H:%M}", zone.key))
        if len(parts) == 1:
            (text, key), = parts
            return f"{text} caller's local time ({key})"
        return ", ".join(f"{text} ({key})" for text, key in parts) + " caller's local time"


def queue_callbacks(runner: Runner, now: float) -> list[dict[str, Any]]:
    """The queue callbacks this process holds (first served first), then those the gate
    ended in the last hour, each with where it stands and the gate's last verdict on it."""
    engine = runner.engine
    if engine is None or getattr(engine, "inbound", None) is None:
        return []
    statuses = engine.queue_callbacks(CALLBACKS_SHOWN, now - ENDED_SHOWN_FOR)
    clock = runner.watchers.caller_clock
    kept = getattr(getattr(runner, "inbound", None), "kept_verdicts", None)
    return [callback_row(status, clock, now, kept) for status in statuses]


def callback_row(status: CallbackStatus, clock: CallerClock, now: float,
                 kept: KeptVerdicts | None = None) -> dict[str, Any]:
    """One callback as the console shows it (JSON-ready). ``kept``: the verdicts stored
    before this process took the callbacks over, shown while the engine has none."""
    verdict = status.verdict
    before_restart = False
    if verdict is None and kept is not None and status.ended_at is None:
        verdict = kept.restored(status.callback_id)
        before_restart = verdict is not None
    return {"id": status.callback_id, "queue": status.queue, "number": status.number,
            "place_at": status.place_at, "attempts": status.attempts,
            "caller_time": clock.local_time(status.number, now),
            "state": status.state.value.replace("_", " "), "next_try_at": status.next_try_at,
            "why": _why(status),
            "verdict": verdict_text(verdict, status.number, clock, now,
                                    before_restart=before_restart),
            "verdict_kind": verdict.kind.value if verdict is not None else None,
            "verdict_at": verdict.decided_at if verdict is not None else None,
            "decision_id": verdict.decision_id if verdict is not None else None,
            "verdict_before_restart": before_restart}


def verdict_text(verdict: ActedVerdict | None, number: str, clock: CallerClock,
                 now: float, *, before_restart: bool = False) -> str:
    """The gate's last verdict in a line: its reasons, and the next try in the caller's
    local time when the verdict names one. ``before_restart``: a verdict read back from the
    store, decided before this process took the callback over; the engine asks the gate
    again at the callback's turn, so the instant it named is shown as what it named, not
    as a next try, and the decision is marked so."""
    if verdict is None:
        return NOT_ASKED
    if verdict.kind is VerdictKind.ALLOWED:
        text = "allowed"
        if verdict.not_placed is not None:
            text += f", not dialed: {verdict.not_placed}"
    else:
        text = "; ".join(verdict.shown_reasons) or "refused by the compliance gate"
        named = verdict.earliest_allowed if before_restart else verdict.asked_again_at
        if verdict.kind is VerdictKind.WAIT and named is not None:
            text += (f"; {'allowed from' if before_restart else 'next try at'} "
                     f"{clock.local_instant(number, named, now)}")
        elif verdict.kind is VerdictKind.RETRY and verdict.asked_again_at is not None \
                and not before_restart:
            text += (f"; asked again at "
                     f"{datetime.fromtimestamp(verdict.asked_again_at, UTC):%H:%M} UTC")
    decided = datetime.fromtimestamp(verdict.decided_at, UTC)
    day = "" if decided.date() == datetime.fromtimestamp(now, UTC).date() \
        else f"{decided:%a %Y-%m-%d} "
    text += f" (decided {day}{decided:%H:%M} UTC"
    if before_restart:
        text += " before the restart"
    if verdict.decision_id:
        text += f", audit {verdict.decision_id}"
    return text + ")"


_ENDED_WHY = {
    CallbackState.CANCELLED: "cancelled by the compliance gate: no later moment allows it",
    CallbackState.FAILED: "given up: the compliance gate refused every try",
    CallbackState.OPTED_OUT: "the number is on the internal do-not-call list",
}


def _why(status: CallbackStatus) -> str:
    state = status.state
    if state is CallbackState.CONNECTED:
        return "with an agent"
    if state is CallbackState.DIALING:
        return "being dialed for an agent"
    if state is CallbackState.IN_LINE:
        return "waits for a free agent of the queue" if status.queue_staffed else \
            "waits for an agent: nobody serving the queue is logged in"
    if state is CallbackState.HELD:
        if status.held_by is HeldBy.GATE:
            return "held by the compliance gate"
        if status.held_by is HeldBy.NOT_PLACED:
            # Its own words: a switch down, no gateway or caller ID free, or a dial never
            # sent (its journal or audit entry not written: held, not an attempt).
            verdict = status.verdict
            why = verdict.not_placed if verdict is not None else None
            return f"allowed, but not dialed: {why}" if why else \
                "allowed, but no switch, gateway or caller ID could take the call"
        if status.held_by is HeldBy.UNANSWERED:
            return "its last call went unanswered: waits for its next try"
        return "waits for its next try"
    return _ENDED_WHY[state]


__all__ = ["CALLBACKS_SHOWN", "ENDED_SHOWN_FOR", "CallerClock", "callback_row",
           "queue_callbacks", "verdict_text"]
