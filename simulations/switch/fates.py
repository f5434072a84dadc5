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

    Rings are lognormal (median ≈ mean), talk exponential. Patience (how long a person who
    answered waits for someone to speak) is Weibull with mean ``patience`` and shape
    ``patience_shape``: 1 is the exponential, whose density is highest at zero, so some
    people "hang up" milliseconds after answering, an abandon no dialer could avoid; a shape
    of 3 (the demo's, as the pacing suite's AMD scenario, docs/simulations.md "Patience")
    leaves almost no one gone within the first two seconds. Both draw one random number, so
    a population's other draws do not depend on the shape.
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
    patience_shape: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.patience_shape) and self.patience_shape > 0.0):
            raise ValueError(f"patience_shape must be a finite number > 0, got "
                             f"{self.patience_shape!r}")
        if not (math.isfinite(self.patience) and self.patience > 0.0):
            raise ValueError(f"patience must be a finite number of seconds > 0, got "
                             f"{self.patience!r}")

    def _patience(self, rng: random.Random) -> float:
        if self.patience_shape == 1.0:
            return rng.expovariate(1 / self.patience)
        scale = self.patience / math.gamma(1.0 + 1.0 / self.patience_shape)
        return rng.weibullvariate(scale, self.patience_shape)

    def __call__(self, rng: random.Random) -> CalleeFate:
        draw = rng.random()
        ring = self.time_to_answer * math.exp(rng.gauss(0.0, 0.4))
        if draw < self.live_answer:
            return CalleeFate(CalleeKind.LIVE, ring, rng.expovariate(1 / self.talk),
                              self._patience(rng))
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
