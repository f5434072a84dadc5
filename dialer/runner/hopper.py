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
    """Claimed leads waiting to be dialed, in claim order.

    A lead whose dial was held because its records could not be written (a store failure:
    ``dialer.runner.unwritten_dials``) stays here, claimed, and is offered again at the
    backoff's instant (``hold``), decided again then: it has a backoff of its own rather
    than the claim's lapse (before, it left this process and came back when its claim
    expired and another refill took it, at the claim's pace whatever the store did)."""

    def __init__(self, low_water: int = 20) -> None:
        self._out: dict[str, DialTarget] = {}
        """Leads handed to the engine whose dial is not settled yet (journaled, refused,
        released or held)."""
        self._held: list[tuple[float, DialTarget]] = []
        """(when it may be offered again, the lead) of dials held by a store failure."""
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
        given: list[DialTarget] = []
        if self._held:
            due = [target for until, target in self._held if until <= at][:n]
            if due:
                ids = {id(target) for target in due}
                self._held = [(u, t) for u, t in self._held if id(t) not in ids]
                given = due
        given += [ready.popleft() for _ in range(min(n - len(given), len(ready)))]
        for target in given:
            self._out[target.lead_id] = target
        return given

    def release(self, lead_id: str) -> None:
        self._out.pop(lead_id, None)
        self.released.append(lead_id)

    def settled(self, lead_id: str) -> None:
        """The lead's dial was journaled or refused: no longer this hopper's."""
        self._out.pop(lead_id, None)

    def hold(self, lead_id: str, until: float) -> bool:
        """The lead's dial was held by a store failure: offered again at ``until`` (still
        claimed, its claim renewed meanwhile). False: not a lead handed out here."""
        target = self._out.pop(lead_id, None)
        if target is None:
            return False
        self._held.append((until, target))
        return True

    def holds(self, lead_id: str) -> bool:
        """The lead waits here for its held dial's backoff."""
        return any(target.lead_id == lead_id for _, target in self._held)

    def add(self, targets: list[DialTarget]) -> None:
        self._ready.extend(targets)
        self.exhausted = not targets

    def wanted(self) -> int:
        """How many leads to claim now (0 when above the low-water mark)."""
        return 0 if len(self._ready) >= self.low_water else 2 * self.low_water - len(self._ready)

    def lead_ids(self) -> set[str]:
        """The leads held (their claims must be kept alive)."""
        return {target.lead_id for target in self._ready} | {
            target.lead_id for _, target in self._held}

    def discard(self, lead_ids: set[str]) -> None:
        """Forget leads whose claims were lost: they must not be dialed by this process."""
        self._ready = deque(t for t in self._ready if t.lead_id not in lead_ids)
        self._held = [(u, t) for u, t in self._held if t.lead_id not in lead_ids]

    def drain(self) -> list[str]:
        """Every lead id still held (for release at shutdown)."""
        ids = [target.lead_id for target in self._ready]
        ids += [target.lead_id for _, target in self._held]
        self._ready.clear()
        self._held.clear()
        return ids
