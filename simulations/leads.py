"""The scenario's lead pool, as the engine's ``LeadSource``."""

from __future__ import annotations

from types import MappingProxyType

from dialer.ports import DialTarget, dial_target

_target = dial_target
"""One per dial: built from all its fields (``dialer.ports.dial_target``)."""
_NONE: MappingProxyType[str, str] = MappingProxyType({})
"""Simulated leads carry no channel variables nor attributes: one shared, read-only empty
mapping instead of two new dicts per lead (their default factories)."""


class PoolLeads:
    """The scenario's lead pool as the engine's ``LeadSource`` (lead ids are indices)."""

    def __init__(self, campaign: str, size: int) -> None:
        self._campaign = campaign
        self._size = size  # 0: unlimited
        self._next = 0
        self._returned: list[int] = []
        self.open = True
        """False between shifts: the dialer gets no lead, whatever its pacing says."""

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        if not self.open or n <= 0:
            return []
        campaign, returned = self._campaign, self._returned
        taken: list[DialTarget] = []
        while returned and len(taken) < n:
            index = returned.pop()
            lead = str(index)
            taken.append(_target(lead, "+1555" + lead.zfill(7), campaign, 1, None, None,
                                 _NONE, _NONE))
        start = self._next
        stop = start + n - len(taken)
        if self._size and stop > self._size:
            stop = max(start, self._size)
        self._next = stop
        # The number is "+1555" and the index on seven digits at least (``f"{i:07d}"``),
        # padded from the lead id's own digits: half the cost of a format.
        taken += [_target(lead, "+1555" + lead.zfill(7), campaign, 1, None, None, _NONE,
                          _NONE) for lead in map(str, range(start, stop))]
        return taken

    def release(self, lead_id: str) -> None:
        self._returned.append(int(lead_id))
