"""Callee population model: who answers, when, and how they behave once answered.

Shared by the discrete-event simulator and the ESL switch simulator, so both draw callee
behaviour from one model. (Contract written first; the simulation lab fills in scenarios.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np


class CalleeKind(StrEnum):
    """What happens when a number is dialed."""

    LIVE = "live"            # a person answers
    MACHINE = "machine"      # an answering machine / voicemail answers
    BUSY = "busy"            # busy signal
    FAILED = "failed"        # network failure / invalid number, quickly
    NO_ANSWER = "no_answer"  # rings until the dialer gives up


MIN_RING_TIMEOUT = 15.0
"""Seconds a call rings at least: 47 CFR 64.1200(a)(6), the campaign's ``ring_timeout``
floor and the engine's."""


@dataclass(frozen=True, slots=True)
class CalleeFate:
    """The pre-drawn behaviour of one dialed number (common random numbers need this up front).

    ``answer_after``: seconds from dial to answer (LIVE/MACHINE) or to the busy/failure signal
    (BUSY/FAILED); ``float('inf')`` for NO_ANSWER. A LIVE/MACHINE draw larger than the ring
    timeout is a no-answer: the driver compares, the model does not know the timeout.
    ``talk_time``: seconds a person talks once connected to an agent (for MACHINE: the length
    of the greeting). ``patience``: seconds a person waits in silence after answering before
    hanging up.
    """

    kind: CalleeKind
    answer_after: float
    talk_time: float
    patience: float


_KIND_CODES = (CalleeKind.LIVE, CalleeKind.MACHINE, CalleeKind.BUSY, CalleeKind.NO_ANSWER)


@dataclass(frozen=True, slots=True)
class CalleePopulation:
    """Who answers a dial and how they behave: a scenario's ``[callees]`` table.

    A dial is LIVE with probability ``live_answer``, MACHINE with ``machine``, BUSY (busy
    or failed quickly) with ``busy``, otherwise NO_ANSWER. ``talk`` is the agents' talk law
    (a LIVE fate carries its talk time so that common random numbers fix it per lead).

    ``live_answer_by_hour`` (optional, 24 values, index = hour of day 0–23) replaces
    ``live_answer`` for a dial placed in that hour; ``machine_by_hour`` and ``busy_by_hour``
    likewise replace ``machine`` and ``busy`` (a scenario built from a campaign's history
    sets all three). A share without its hourly list keeps its meaning in every hour, and
    the rest is NO_ANSWER: P(no answer at hour h) = 1 − live(h) − machine(h) − busy(h).
    The kind follows from one uniform draw per lead and the hour's edges (monotone
    coupling: a lead live at a lower live share stays live at a higher one).
    """

    live_answer: float
    machine: float
    busy: float
    time_to_answer: Any
    no_answer_timeout: float
    busy_time: float
    patience: Any
    talk: Any
    machine_greeting: float = 8.0
    live_answer_by_hour: tuple[float, ...] = ()
    machine_by_hour: tuple[float, ...] = ()
    busy_by_hour: tuple[float, ...] = ()

    @classmethod
    def from_tables(cls, callees: Mapping[str, Any], talk: Any, *, where: str = "<scenario>",
                    base_dir: Path | None = None) -> CalleePopulation:
        from simulations.distributions import parse_distribution
        from simulations.errors import ScenarioError

        known = {"live_answer", "machine", "busy", "time_to_answer", "no_answer_timeout",
                 "busy_time", "patience", "machine_greeting", *_HOURLY}
        for key in callees:
            if key not in known:
                raise ScenarioError(f"{where}: [callees].{key}: unknown key; known: "
                                    f"{', '.join(sorted(known))}")

        def number(key: str, default: float) -> float:
            value = callees.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                hint = ""
                if key in ("live_answer", "machine", "busy") and isinstance(value, str) \
                        and value.strip().endswith("%"):
                    # '30%' is how people write a share; the file wants the fraction.
                    try:
                        share = float(value.strip()[:-1]) / 100
                    except ValueError:
                        pass
                    else:
                        hint = f" (a share of dials: write {share:g} for {value.strip()})"
                raise ScenarioError(f"{where}: [callees].{key}: expected a number >= 0{hint}")
            return float(value)

        shares = [number("live_answer", 0.2), number("machine", 0.0), number("busy", 0.0)]
        if sum(shares) > 1 + 1e-12:
            raise ScenarioError(f"{where}: [callees]: live_answer + machine + busy exceeds 1")
        by_hour = _hourly_shares(callees, shares, where)

        def law(key: str, default: Any) -> Any:
            return parse_distribution(callees.get(key, default), f"{where}: [callees].{key}",
                                      base_dir)

        timeout = number("no_answer_timeout", 25.0)
        if timeout < MIN_RING_TIMEOUT:
            # The driver rings at least 15 s whatever is written (the engine refuses less):
            # 5 or 10 ran as 15 s, and a sweep over them gave identical points.
            raise ScenarioError(
                f"{where}: [callees].no_answer_timeout: {timeout:g} s is below the "
                f"{MIN_RING_TIMEOUT:g} s a call rings at least (47 CFR 64.1200(a)(6); the "
                f"engine refuses less, so it would be simulated as {MIN_RING_TIMEOUT:g} s): "
                f"write {MIN_RING_TIMEOUT:g} or more")
        return cls(*shares, law("time_to_answer", {"dist": "fixed", "value": 8.0}),
                   timeout, number("busy_time", 4.0),
                   law("patience", {"dist": "exponential", "mean": 5.0}), talk,
                   number("machine_greeting", 8.0), *by_hour)

    @classmethod
    def from_toml(cls, path: Path) -> CalleePopulation:
        from simulations.scenario import load_scenario

        return load_scenario(path).population

    def live_share(self, at_hour: float | None = None) -> float:
        """P(live) of a dial placed at ``at_hour`` (hour of day; None: the flat share)."""
        if self.live_answer_by_hour and at_hour is not None:
            return self.live_answer_by_hour[int(at_hour) % 24]
        return self.live_answer

    def shares(self, at_hour: float | None = None) -> tuple[float, float, float]:
        """(live, machine, busy) shares of a dial placed at ``at_hour`` (None: the flat
        shares)."""
        if at_hour is None:
            return self.live_answer, self.machine, self.busy
        hour = int(at_hour) % 24
        return (self.live_answer_by_hour[hour] if self.live_answer_by_hour
                else self.live_answer,
                self.machine_by_hour[hour] if self.machine_by_hour else self.machine,
                self.busy_by_hour[hour] if self.busy_by_hour else self.busy)

    def kind_edges(self, at_hour: float | None = None) -> tuple[float, float, float]:
        """Cumulative edges (live, live + machine, live + machine + busy) of one uniform."""
        live, machine, busy = self.shares(at_hour)
        return (live, live + machine, live + machine + busy)

    def draw_columns(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        """The raw draws of ``n`` fates, before the kind is known: the kind uniform ``u``,
        ``ring`` (time to answer), ``talk`` and ``patience``. One fixed draw order, so a
        seed gives the same callees whatever hour they are dialed in."""
        return {"u": rng.random(n), "ring": self.time_to_answer.sample(rng, n),
                "talk": self.talk.sample(rng, n), "patience": self.patience.sample(rng, n)}

    def fates_from(self, columns: dict[str, np.ndarray],
                   at_hour: float | None = None) -> dict[str, np.ndarray]:
        """Kind code (index into LIVE, MACHINE, BUSY, NO_ANSWER), answer_after, talk_time
        and patience of raw draws, for dials placed at ``at_hour``."""
        code = np.searchsorted(np.asarray(self.kind_edges(at_hour)), columns["u"],
                               side="right")
        ring, talk, patience = columns["ring"], columns["talk"], columns["patience"]
        answer_after = np.where(code <= 1, ring, np.where(code == 2, self.busy_time, np.inf))
        talk = np.where(code == 0, talk, np.where(code == 1, self.machine_greeting, 0.0))
        patience = np.where(code == 0, patience, np.where(code == 1, np.inf, 0.0))
        return {"kind": code, "answer_after": answer_after, "talk_time": talk,
                "patience": patience}

    def draw_arrays(self, rng: np.random.Generator, n: int,
                    at_hour: float | None = None) -> dict[str, np.ndarray]:
        """``n`` fates as arrays (see ``fates_from``), all dialed at ``at_hour``. Vectorised;
        one draw order so runs reproduce."""
        return self.fates_from(self.draw_columns(rng, n), at_hour)

    def draw_many(self, rng: np.random.Generator, n: int,
                  at_hour: float | None = None) -> list[CalleeFate]:
        arrays = self.draw_arrays(rng, n, at_hour)
        return [CalleeFate(_KIND_CODES[k], float(a), float(t), float(p)) for k, a, t, p in
                zip(arrays["kind"], arrays["answer_after"], arrays["talk_time"],
                    arrays["patience"], strict=True)]

    def draw(self, rng: Any, at_hour: float | None = None) -> CalleeFate:
        """One fate. ``rng``: a numpy Generator, or a ``random.Random`` (switch simulator)."""
        if not isinstance(rng, np.random.Generator):
            rng = np.random.default_rng(rng.getrandbits(64))
        return self.draw_many(rng, 1, at_hour)[0]


_HOURLY = ("live_answer_by_hour", "machine_by_hour", "busy_by_hour")


def _hourly_shares(callees: Mapping[str, Any], flat: list[float], where: str
                   ) -> tuple[tuple[float, ...], ...]:
    """Validate the ``*_by_hour`` lists: each empty or 24 fractions, and in every hour the
    live, machine and busy shares (hourly where given, flat otherwise) leave room for each
    other."""
    from simulations.errors import ScenarioError

    lists: list[tuple[float, ...]] = []
    for name in _HOURLY:
        key = f"{where}: [callees].{name}"
        raw = callees.get(name, ())
        if not isinstance(raw, list | tuple):
            raise ScenarioError(f"{key}: expected a list of 24 fractions (hours 0–23)")
        if raw and len(raw) != 24:
            raise ScenarioError(f"{key}: expected 24 fractions (hours 0–23), got {len(raw)}")
        for hour, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, int | float) or \
                    not 0 <= value <= 1:
                raise ScenarioError(f"{key}[{hour}]: expected a fraction in [0, 1], got "
                                    f"{value!r}")
        lists.append(tuple(float(v) for v in raw))
    names = ("live_answer", "machine", "busy")
    for hour in range(24):
        shares = [hourly[hour] if hourly else value for hourly, value in
                  zip(lists, flat, strict=True)]
        if sum(shares) > 1 + 1e-12:
            which = next(i for i, hourly in enumerate(lists) if hourly)
            parts = " + ".join(f"{n}{'_by_hour' if lists[i] else ''} {v:g}"
                               for i, (n, v) in enumerate(zip(names, shares, strict=True))
                               if i != which)
            raise ScenarioError(
                f"{where}: [callees].{_HOURLY[which]}[{hour}]: {shares[which]:g} + {parts} "
                "exceeds 1 (a share without its _by_hour list applies to every hour)")
    return tuple(lists)
