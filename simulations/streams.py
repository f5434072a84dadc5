"""Common random numbers: every lead's fate and its agent-side draws, indexed by lead.

Lead ``i`` of replication ``r`` gets the same raw draws (kind uniform, time to answer, talk
time, patience, wrap time and AMD error draw) under every pacing policy: draws come in
fixed-size blocks, block ``b`` from a generator seeded by ``(seed, r, b)``, vectorised per
block. Policies are then compared on the same callees (variance reduction by common random
numbers, Law & Kelton ch. 11). The kind is decided when the lead is dialed, from its uniform
and the live share of that hour of day (``live_answer_by_hour``): the same lead dialed in
the same hour has the same fate under every policy.
"""

from __future__ import annotations

import numpy as np

from simulations.scenario import Scenario

BLOCK = 4096
_KEPT_BLOCKS = 4
_INBOUND_STREAM = 1 << 30
LIVE, MACHINE, BUSY, NO_ANSWER = 0, 1, 2, 3
INF = float("inf")


class LeadFates:
    """Lazily drawn, lead-indexed fates of one replication."""

    __slots__ = ("_block_number", "_blocks", "_busy_time", "_columns", "_edges",
                 "_greeting", "_replication", "_scenario", "_seed")

    def __init__(self, scenario: Scenario, seed: int, replication: int) -> None:
        self._scenario = scenario
        self._seed = seed
        self._replication = replication
        self._blocks: dict[int, tuple[list[float], ...]] = {}
        self._block_number = -1
        self._columns: tuple[list[float], ...] = ()
        population = scenario.population
        self._edges = [population.kind_edges(hour) for hour in range(24)]
        self._busy_time = population.busy_time
        self._greeting = population.machine_greeting

    def _block(self, number: int) -> tuple[list[float], ...]:
        block = self._blocks.get(number)
        if block is None:
            rng = np.random.default_rng([self._seed, self._replication, number])
            raw = self._scenario.population.draw_columns(rng, BLOCK)
            wrap = self._scenario.wrap.sample(rng, BLOCK)
            amd_error = rng.random(BLOCK)
            block = (raw["u"].tolist(), raw["ring"].tolist(), raw["talk"].tolist(),
                     raw["patience"].tolist(), wrap.tolist(), amd_error.tolist())
            if len(self._blocks) >= _KEPT_BLOCKS:
                # Leads are dialed in index order (a released lead may come back), so only
                # the latest blocks are kept; an older one is drawn again, identically.
                del self._blocks[next(iter(self._blocks))]
            self._blocks[number] = block
        return block

    def fate(self, lead: int, hour: int = 0) -> tuple[int, float, float, float, float, float]:
        """(kind code, answer_after, talk_time, patience, wrap, amd_error_draw) of ``lead``
        dialed in hour of day ``hour`` (0–23)."""
        number, k = divmod(lead, BLOCK)
        if number != self._block_number:
            self._columns = self._block(number)
            self._block_number = number
        u, ring, talk, patience, wrap, amd = self._columns
        live, machine, busy = self._edges[hour]
        x = u[k]
        if x < live:
            return LIVE, ring[k], talk[k], patience[k], wrap[k], amd[k]
        if x < machine:
            return MACHINE, ring[k], self._greeting, INF, wrap[k], amd[k]
        if x < busy:
            return BUSY, self._busy_time, 0.0, 0.0, wrap[k], amd[k]
        return NO_ANSWER, INF, 0.0, 0.0, wrap[k], amd[k]


def inbound_rng(seed: int, replication: int) -> np.random.Generator:
    return np.random.default_rng([seed, replication, _INBOUND_STREAM])


class InboundStream:
    """Poisson arrival gaps and each caller's talk, wrap and patience, drawn in blocks.

    Its own stream ``(seed, r, 2**30)``, so inbound callers are common to every policy too.
    """

    __slots__ = ("_callers", "_gaps", "_rng", "_scenario")

    def __init__(self, scenario: Scenario, seed: int, replication: int) -> None:
        self._scenario = scenario
        self._rng = inbound_rng(seed, replication)
        self._gaps: list[float] = []
        self._callers: list[tuple[float, float, float]] = []

    def next_gap(self) -> float:
        if not self._gaps:
            mean = 3600.0 / self._scenario.inbound.calls_per_hour
            self._gaps = self._rng.exponential(mean, BLOCK).tolist()[::-1]
        return self._gaps.pop()

    def next_caller(self) -> tuple[float, float, float]:
        """(talk, wrap, patience) of the next caller."""
        if not self._callers:
            s, rng = self._scenario, self._rng
            talk = s.population.talk.sample(rng, BLOCK).tolist()
            wrap = s.wrap.sample(rng, BLOCK).tolist()
            patience = s.inbound.patience.sample(rng, BLOCK).tolist()
            self._callers = list(zip(talk, wrap, patience, strict=True))[::-1]
        return self._callers.pop()
