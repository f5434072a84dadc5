"""The wallboard's list of queue callbacks: who waits to be called back, and why.

A supervisor asked "why has this caller not been called back?" needs what the engine's
callback line knows (in line behind others, being dialed, held until a next try) and the one
fact that most often explains a hold: the caller's local time, since a queue callback keeps
the called party's calling hours (08:00-21:00 where they are: 47 CFR 64.1200(c)(1), 16 CFR
310.4(c)). This module states those facts; the decision stays the engine's callback gate's
(it is not asked here: a gate may audit each question).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from dnc.errors import ComplianceError
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from dnc.rules.zones import place

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

CALLBACKS_SHOWN = 20
"""Queue callbacks listed on the wallboard (the first ones in the order they are served)."""


class CallerClock:
    """The local time of a number, in every time zone the compliance rules place it in."""

    def __init__(self, tables: RuleTables | None = None) -> None:
        self._tables = tables
        self._zones: dict[str, tuple[Any, ...]] = {}
        """Number → its zones (placed once: a number does not move)."""

    def local_time(self, number: str, now: float) -> tuple[str, bool]:
        """The local time where ``number`` is (every zone the rules place it in) and
        whether any of them is outside 08:00-21:00 now; ("", False) for a number that
        cannot be placed."""
        zones = self._zones.get(number)
        if zones is None:
            if self._tables is None:
                self._tables = RuleTables()
            try:
                zones = tuple(place(LeadFacts(number), self._tables).zone_infos())
            except ComplianceError:
                zones = ()
            self._zones[number] = zones
        times = [datetime.fromtimestamp(now, zone) for zone in zones]
        text = ", ".join(f"{moment:%H:%M} in {zone.key}" for moment, zone in zip(
            times, zones, strict=True))
        return text, any(not 8 <= moment.hour < 21 for moment in times)


def queue_callbacks(runner: Runner, now: float) -> list[dict[str, Any]]:
    """The queue callbacks this process holds, first served first, each with what it waits
    for: its turn in the line, its dial, or its next try; and the caller's local time, so a
    supervisor sees why one waits (a callback keeps the called party's calling hours,
    08:00-21:00 where they are: 47 CFR 64.1200(c)(1), 16 CFR 310.4(c)). The wallboard
    states facts; the decision is the engine's callback gate's."""
    from dialer.runner.inbound import QUEUE_CALLBACK

    engine = runner.engine
    inbound = getattr(engine, "inbound", None)
    if engine is None or inbound is None or not inbound.callbacks:
        return []
    dialing = {call.target.lead_id.removeprefix(QUEUE_CALLBACK): call.state.value
               for call in engine.calls.values()
               if call.target is not None and call.target.lead_id.startswith(QUEUE_CALLBACK)}
    next_try = {key: due for due, _, kind, key, _ in inbound.timers
                if kind.name == "CALLBACK_RETRY"}
    staffed = {q.name: q.agents_logged_in for q in inbound.snapshot(now)}
    rows = []
    for callback in sorted(inbound.callbacks.values(),
                           key=lambda c: c.place_at)[:CALLBACKS_SHOWN]:
        local, closed = runner.watchers.caller_clock.local_time(callback.number, now)
        row: dict[str, Any] = {"id": callback.callback_id, "queue": callback.queue,
                               "number": callback.number, "place_at": callback.place_at,
                               "attempts": callback.attempts, "next_try_at": None,
                               "caller_time": local}
        if callback.callback_id in dialing:
            connected = dialing[callback.callback_id] == "bridged"
            row.update(state="connected" if connected else "dialing",
                       why="with an agent" if connected else "being dialed for an agent")
        elif engine.pool.lines.is_waiting(callback.callback_id):
            row.update(state="in line", why="waits for a free agent of the queue"
                       if staffed.get(callback.queue) else
                       "waits for an agent: nobody serving the queue is logged in")
        else:
            row.update(state="held", next_try_at=next_try.get(callback.callback_id),
                       why=f"outside the caller's calling hours (08:00-21:00): it is {local}"
                       if closed else "waits for its next try (after an unanswered call or "
                       "a refused dial)")
        rows.append(row)
    return rows
