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
    ``live_answer_by_hour`` (optional, 24 values) overrides ``live_answer`` by hour of day.
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

    @classmethod
    def from_tables(cls, callees: Mapping[str, Any], talk: Any, *, where: str = "<scenario>",
                    base_dir: Path | None = None) -> CalleePopulation:
        from simulations.distributions import parse_distribution
        from simulations.errors import ScenarioError

        known = {"live_answer", "machine", "busy", "time_to_answer", "no_answer_timeout",
                 "busy_time", "patience", "machine_greeting", "live_answer_by_hour"}
        for key in callees:
            if key not in known:
                raise ScenarioError(f"{where}: [callees].{key}: unknown key; known: "
                                    f"{', '.join(sorted(known))}")

        def number(key: str, default: float) -> float:
            value = callees.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ScenarioError(f"{where}: [callees].{key}: expected a number >= 0")
            return float(value)

        shares = [number("live_answer", 0.2), number("machine", 0.0), number("busy", 0.0)]
        if sum(shares) > 1 + 1e-12:
            raise ScenarioError(f"{where}: [callees]: live_answer + machine + busy exceeds 1")
        by_hour = tuple(float(v) for v in callees.get("live_answer_by_hour", ()))
        if by_hour and (len(by_hour) != 24 or
                        any(v < 0 or v + shares[1] + shares[2] > 1 for v in by_hour)):
            raise ScenarioError(f"{where}: [callees].live_answer_by_hour: 24 fractions, each "
                                "with machine + busy at most 1")

        def law(key: str, default: Any) -> Any:
            return parse_distribution(callees.get(key, default), f"{where}: [callees].{key}",
                                      base_dir)

        return cls(*shares, law("time_to_answer", {"dist": "fixed", "value": 8.0}),
                   number("no_answer_timeout", 25.0), number("busy_time", 4.0),
                   law("patience", {"dist": "exponential", "mean": 5.0}), talk,
                   number("machine_greeting", 8.0), by_hour)

    @classmethod
    def from_toml(cls, path: Path) -> CalleePopulation:
        from simulations.scenario import load_scenario

        return load_scenario(path).population

    def draw_arrays(self, rng: np.random.Generator, n: int,
                    at_hour: float | None = None) -> dict[str, np.ndarray]:
        """``n`` fates as arrays: kind code (index into LIVE, MACHINE, BUSY, NO_ANSWER),
        answer_after, talk_time, patience. Vectorised; one draw order so runs reproduce."""
        live = self.live_answer
        if self.live_answer_by_hour and at_hour is not None:
            live = self.live_answer_by_hour[int(at_hour) % 24]
        u = rng.random(n)
        edges = np.cumsum([live, self.machine, self.busy])
        code = np.searchsorted(edges, u, side="right")
        ring = self.time_to_answer.sample(rng, n)
        talk = self.talk.sample(rng, n)
        patience = self.patience.sample(rng, n)
        answer_after = np.where(code <= 1, ring, np.where(code == 2, self.busy_time, np.inf))
        talk = np.where(code == 0, talk, np.where(code == 1, self.machine_greeting, 0.0))
        patience = np.where(code == 0, patience, np.where(code == 1, np.inf, 0.0))
        return {"kind": code, "answer_after": answer_after, "talk_time": talk,
                "patience": patience}

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
