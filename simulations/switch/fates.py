"""Where simulated callees come from: any callable ``rng -> CalleeFate``.

The switch simulator is driven by the shared population model (``simulations.population``);
``default_fate_source`` is a small stand-in with the proportions of a typical outbound list
(so the simulator works with no scenario file) and ``population_fate_source`` adapts a
scenario's ``CalleePopulation`` when one is given.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from simulations.population import CalleeFate, CalleeKind

FateSource = Callable[[random.Random], CalleeFate]


@dataclass(frozen=True, slots=True)
class SimpleCallees:
    """A built-in population: kind probabilities and mean times (seconds).

    Rings are lognormal (median ≈ mean), talk and patience exponential.
    """

    live_answer: float = 0.30
    machine: float = 0.10
    busy: float = 0.05
    failed: float = 0.05
    time_to_answer: float = 8.0
    busy_time: float = 4.0
    talk: float = 60.0
    patience: float = 5.0
    greeting: float = 8.0

    def __call__(self, rng: random.Random) -> CalleeFate:
        draw = rng.random()
        ring = self.time_to_answer * math.exp(rng.gauss(0.0, 0.4))
        if draw < self.live_answer:
            return CalleeFate(CalleeKind.LIVE, ring, rng.expovariate(1 / self.talk),
                              rng.expovariate(1 / self.patience))
        draw -= self.live_answer
        if draw < self.machine:
            return CalleeFate(CalleeKind.MACHINE, ring, self.greeting, math.inf)
        draw -= self.machine
        if draw < self.busy:
            return CalleeFate(CalleeKind.BUSY, self.busy_time, 0.0, 0.0)
        draw -= self.busy
        if draw < self.failed:
            return CalleeFate(CalleeKind.FAILED, rng.uniform(0.2, 2.0), 0.0, 0.0)
        return CalleeFate(CalleeKind.NO_ANSWER, math.inf, 0.0, 0.0)


def default_fate_source() -> FateSource:
    return SimpleCallees()


def population_fate_source(population: object, block: int = 256) -> FateSource:
    """Adapt the scenario model (``draw(rng)``; ``draw_many(generator, n)`` when it has it).

    ``draw_many`` is vectorised, so fates are drawn ``block`` at a time from a numpy
    generator seeded by the simulator's ``random.Random``: the same seed gives the same
    callees, at a fraction of the cost of one ``draw`` per dial.
    """
    draw_many = getattr(population, "draw_many", None)
    if draw_many is None:
        draw = population.draw  # type: ignore[attr-defined]
        return lambda rng: draw(rng)
    buffer: list[CalleeFate] = []

    def source(rng: random.Random) -> CalleeFate:
        if not buffer:
            import numpy as np

            generator = np.random.default_rng(rng.getrandbits(64))
            buffer.extend(reversed(draw_many(generator, block)))
        return buffer.pop()

    return source
