"""Common random numbers: every lead's fate and its agent-side draws, indexed by lead.

Lead ``i`` of replication ``r`` gets the same callee fate, talk time, wrap time and AMD
error draw under every pacing policy: draws come in fixed-size blocks, block ``b`` from a
generator seeded by ``(seed, r, b)``. Policies are then compared on the same callees
(variance reduction by common random numbers, Law & Kelton ch. 11).
"""

from __future__ import annotations

import numpy as np

from simulations.scenario import Scenario

BLOCK = 4096
_INBOUND_STREAM = 1 << 30


class LeadFates:
    """Lazily drawn, lead-indexed fates of one replication."""

    __slots__ = ("_blocks", "_replication", "_scenario", "_seed")

    def __init__(self, scenario: Scenario, seed: int, replication: int) -> None:
        self._scenario = scenario
        self._seed = seed
        self._replication = replication
        self._blocks: dict[int, tuple[list, ...]] = {}

    def _block(self, number: int) -> tuple[list, ...]:
        block = self._blocks.get(number)
        if block is None:
            rng = np.random.default_rng([self._seed, self._replication, number])
            arrays = self._scenario.population.draw_arrays(rng, BLOCK)
            wrap = self._scenario.wrap.sample(rng, BLOCK)
            amd_error = rng.random(BLOCK)
            block = (arrays["kind"].tolist(), arrays["answer_after"].tolist(),
                     arrays["talk_time"].tolist(), arrays["patience"].tolist(),
                     wrap.tolist(), amd_error.tolist())
            self._blocks[number] = block
        return block

    def fate(self, lead: int) -> tuple[int, float, float, float, float, float]:
        """(kind code, answer_after, talk_time, patience, wrap, amd_error_draw)."""
        block = self._block(lead // BLOCK)
        k = lead % BLOCK
        return (block[0][k], block[1][k], block[2][k], block[3][k], block[4][k], block[5][k])


def inbound_rng(seed: int, replication: int) -> np.random.Generator:
    return np.random.default_rng([seed, replication, _INBOUND_STREAM])
