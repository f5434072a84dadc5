"""Which caller ID a call shows: a campaign's pool of numbers, a policy, and daily caps.

A component the engine owns and consults when it emits an ``Originate`` (sans-I/O: the day
comes from the time passed in). Policies:

- ``fixed``: always the first number (the campaign's default);
- ``round_robin``: the numbers in turn;
- ``local_presence``: a number in the callee's area code, else one in the callee's state,
  else the default; among several matches, the one used least today.

Per-number daily caps keep a number's volume under what carriers' analytics label as spam;
a number at its cap is skipped, and when every number that could be shown is at its cap the
call is not placed (``None``): the engine gives the lead back rather than present a number
the operator did not choose. Days are UTC days. Numbers are validated when the campaign is
edited (E.164, dialable, not premium-rate); the pool trusts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dialer.errors import DialerError

_DAY = 86400.0


class CallerIdPolicy(StrEnum):
    FIXED = "fixed"
    ROUND_ROBIN = "round_robin"
    LOCAL_PRESENCE = "local_presence"


class CallerIdError(DialerError):
    """A caller-ID pool the engine cannot use."""


@dataclass(frozen=True, slots=True)
class CallerIdNumber:
    """One number of the pool with what local presence matches it on."""

    number: str
    area_prefix: str = ""
    """E.164 digits of the number's area (``1201`` for +1 201 ..., ``4420`` for London);
    empty when it has none (mobile, toll-free)."""
    state: str = ""
    """The state or province of that area (``NJ``), when known."""
    daily_cap: int | None = None
    """At most this many calls a UTC day show it (None: the pool's cap, if any)."""
    attestation: str = ""
    """STIR/SHAKEN attestation level the operator declares for it (A, B or C), passed to
    the gateway's variables as ``{attestation}``."""


@dataclass(frozen=True, slots=True)
class CallerIdChoice:
    number: str
    reason: str
    """``fixed``, ``round robin``, ``area 1201``, ``state NJ`` or ``default``."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """What the gateway's variable templates may use: ``caller_id``, ``attestation``."""


class CallerIdPool:
    """The numbers a campaign shows, how many calls each showed today, and the choice."""

    def __init__(self, numbers: Sequence[CallerIdNumber], policy: CallerIdPolicy, *,
                 daily_cap: int | None = None, used_today: Mapping[str, int] | None = None,
                 today: float | None = None,
                 state_of: Callable[[str], str | None] | None = None) -> None:
        if not numbers:
            raise CallerIdError("a caller-ID pool needs at least one number")
        seen = [n.number for n in numbers]
        if len(set(seen)) != len(seen):
            raise CallerIdError("a caller ID appears twice in the pool")
        if daily_cap is not None and daily_cap < 1:
            raise CallerIdError("daily_cap must be >= 1")
        self.numbers = tuple(numbers)
        self.policy = CallerIdPolicy(policy)
        self.daily_cap = daily_cap
        self._state_of = state_of
        self._turn = -1
        self._day = None if today is None else int(today // _DAY)
        self.used: dict[str, int] = {n.number: 0 for n in numbers}
        """Calls that showed each number on the current UTC day."""
        for number, count in (used_today or {}).items():
            if number in self.used:
                self.used[number] = int(count)
        self._by_area: dict[str, list[CallerIdNumber]] = {}
        self._by_state: dict[str, list[CallerIdNumber]] = {}
        for entry in numbers:
            if entry.area_prefix:
                self._by_area.setdefault(entry.area_prefix, []).append(entry)
            if entry.state:
                self._by_state.setdefault(entry.state.upper(), []).append(entry)
        self._area_lengths = sorted({len(p) for p in self._by_area}, reverse=True)

    @property
    def default(self) -> CallerIdNumber:
        return self.numbers[0]

    def choose(self, number_e164: str, now: float,
               attributes: Mapping[str, str] | None = None) -> CallerIdChoice | None:
        """The caller ID for a call to ``number_e164`` now, counted against its cap; None
        when every number this policy could show is at its cap today."""
        self._roll(now)
        policy = self.policy
        if policy is CallerIdPolicy.FIXED:
            return self._use(self.default, "fixed")
        if policy is CallerIdPolicy.ROUND_ROBIN:
            count = len(self.numbers)
            for _ in range(count):
                self._turn = (self._turn + 1) % count
                entry = self.numbers[self._turn]
                if self._free(entry):
                    return self._use(entry, "round robin")
            return None
        digits = number_e164.lstrip("+")
        for length in self._area_lengths:
            matches = self._by_area.get(digits[:length])
            entry = self._least_used(matches)
            if entry is not None:
                return self._use(entry, f"area {digits[:length]}")
        state = (attributes or {}).get("state") or (
            self._state_of(number_e164) if self._state_of is not None else None)
        if state:
            entry = self._least_used(self._by_state.get(state.upper()))
            if entry is not None:
                return self._use(entry, f"state {state.upper()}")
        if self._free(self.default):
            return self._use(self.default, "default")
        return None

    def release(self, number: str, now: float) -> None:
        """A call counted against ``number`` was never placed after all."""
        self._roll(now)
        if self.used.get(number, 0) > 0:
            self.used[number] -= 1

    def at_cap(self, now: float) -> list[str]:
        self._roll(now)
        return [n.number for n in self.numbers if not self._free(n)]

    # --- internals --------------------------------------------------------------------------

    def _cap(self, entry: CallerIdNumber) -> int | None:
        return entry.daily_cap if entry.daily_cap is not None else self.daily_cap

    def _free(self, entry: CallerIdNumber) -> bool:
        cap = self._cap(entry)
        return cap is None or self.used[entry.number] < cap

    def _least_used(self, entries: Iterable[CallerIdNumber] | None) -> CallerIdNumber | None:
        best: CallerIdNumber | None = None
        for entry in entries or ():
            if self._free(entry) and (best is None or
                                      self.used[entry.number] < self.used[best.number]):
                best = entry
        return best

    def _use(self, entry: CallerIdNumber, reason: str) -> CallerIdChoice | None:
        if not self._free(entry):
            return None
        self.used[entry.number] += 1
        variables = {"caller_id": entry.number}
        if entry.attestation:
            variables["attestation"] = entry.attestation
        return CallerIdChoice(entry.number, reason, variables)

    def _roll(self, now: float) -> None:
        day = int(now // _DAY)
        if self._day != day:
            if self._day is not None:
                self.used = dict.fromkeys(self.used, 0)
            self._day = day
