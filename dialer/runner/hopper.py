"""The engine's ``LeadSource`` in memory, kept filled from the store by the runner.

``next_leads`` is called inside ``Engine.tick`` and must not touch the disk, so the runner's
refill task claims leads (``CampaignStore.claim_leads``) in the database thread ahead of
need, and renews the claims of what is held here; ``release`` notes a lead the engine gives
back (the runner writes the release with its next batch from the engine's ``ReleaseLead``).
"""

from __future__ import annotations

from collections import deque

from dialer.ports import DialTarget


class Hopper:
    """Claimed leads waiting to be dialed, in claim order."""

    def __init__(self, low_water: int = 20) -> None:
        self._ready: deque[DialTarget] = deque()
        self.low_water = low_water
        self.released: list[str] = []
        """Lead ids to hand back to the store (drained by the runner)."""
        self.exhausted = False
        """The store had nothing more to give on the last refill."""
        self.closed = False
        """Stopping: hand out nothing more (graceful stop)."""

    def __len__(self) -> int:
        return len(self._ready)

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        ready = self._ready
        if self.closed:
            return []
        return [ready.popleft() for _ in range(min(n, len(ready)))]

    def release(self, lead_id: str) -> None:
        self.released.append(lead_id)

    def add(self, targets: list[DialTarget]) -> None:
        self._ready.extend(targets)
        self.exhausted = not targets

    def wanted(self) -> int:
        """How many leads to claim now (0 when above the low-water mark)."""
        return 0 if len(self._ready) >= self.low_water else 2 * self.low_water - len(self._ready)

    def lead_ids(self) -> set[str]:
        """The leads held (their claims must be kept alive)."""
        return {target.lead_id for target in self._ready}

    def discard(self, lead_ids: set[str]) -> None:
        """Forget leads whose claims were lost: they must not be dialed by this process."""
        self._ready = deque(t for t in self._ready if t.lead_id not in lead_ids)

    def drain(self) -> list[str]:
        """Every lead id still held (for release at shutdown)."""
        ids = [target.lead_id for target in self._ready]
        self._ready.clear()
        return ids
