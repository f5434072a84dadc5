"""The simulated switch's event bus: core headers, sequence numbers, delivery to listeners.

Every event starts with the headers of ``switch_event_prep_for_delivery`` in FreeSWITCH's
order (reference §1.4); a CUSTOM event has ``Event-Subclass`` before ``Event-Name`` because
mod_event_socket delivers a duplicate made by ``switch_event_dup``. An event nobody subscribed
to is never built (the sequence number still advances, as on a real switch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import Protocol

from dialer.esl.event import Event, Header


@dataclass(frozen=True, slots=True)
class SwitchIdentity:
    core_uuid: str
    hostname: str = "dialer-switch-sim"
    ipv4: str = "127.0.0.1"
    ipv6: str = "::1"
    version: str = "1.10.12-release-sim~64bit"


class Subscriber(Protocol):
    def wants(self, name: str, subclass: str | None) -> bool: ...

    def offer(self, event: Event, cache: dict[str, bytes]) -> None: ...


class EventBus:
    """Builds events with the core header block and hands them to every subscriber."""

    def __init__(self, identity: SwitchIdentity, clock: Callable[[], float]) -> None:
        self.identity = identity
        self.clock = clock
        self.sequence = 0
        self.subscribers: list[Subscriber] = []
        self.delivery: HostileDelivery | None = None
        """Set for hostile timing; None delivers every event at once, in firing order."""
        self._date_second = -1
        self._dates: tuple[str, str] = ("", "")
        self._static: list[Header] = [
            ("Core-UUID", identity.core_uuid),
            ("FreeSWITCH-Hostname", identity.hostname),
            ("FreeSWITCH-Switchname", identity.hostname),
            ("FreeSWITCH-IPv4", identity.ipv4),
            ("FreeSWITCH-IPv6", identity.ipv6),
        ]

    def wants(self, name: str, subclass: str | None = None) -> bool:
        return any(subscriber.wants(name, subclass) for subscriber in self.subscribers)

    def now_us(self) -> int:
        return int(self.clock() * 1_000_000)

    def _date_headers(self, now: float) -> tuple[str, str]:
        second = int(now)
        if second != self._date_second:
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._dates = (local, formatdate(second, usegmt=True))
            self._date_second = second
        return self._dates

    def core_headers(self, name: str, calling: tuple[str, str, int],
                     subclass: str | None = None, sequence: int | None = None) -> list[Header]:
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        now = self.clock()
        local, gmt = self._date_headers(now)
        head: list[Header] = [("Event-Subclass", subclass)] if subclass else []
        head.append(("Event-Name", name))
        head += self._static
        head += [
            ("Event-Date-Local", local),
            ("Event-Date-GMT", gmt),
            ("Event-Date-Timestamp", str(int(now * 1_000_000))),
            ("Event-Calling-File", calling[0]),
            ("Event-Calling-Function", calling[1]),
            ("Event-Calling-Line-Number", str(calling[2])),
            ("Event-Sequence", str(sequence)),
        ]
        return head

    def fire(self, name: str, calling: tuple[str, str, int],
             headers: list[Header] | Callable[[], list[Header]], body: str | None = None,
             subclass: str | None = None, sequence: int | None = None,
             before: list[Header] | None = None) -> Event | None:
        """Build and deliver an event; ``headers`` may be a callable so that nobody pays for
        a block no one subscribed to. ``sequence``: reuse an Event-Sequence already taken
        (mod_avmd delivers each event twice under one number)."""
        if not self.wants(name, subclass):
            if sequence is None:
                self.sequence += 1
            return None
        block = headers() if callable(headers) else headers
        # ``before``: another event's header block in front of this one, in one frame (a
        # PRIVATE_COMMAND carries its COMMAND's block first: a first-wins parser calls the
        # frame COMMAND; capture 06, README "Surprises" 2).
        event = Event((before or []) + self.core_headers(name, calling, subclass, sequence)
                      + block, body)
        if self.delivery is not None:
            self.delivery.schedule(event, lambda: self._deliver(event, name, subclass))
        else:
            self._deliver(event, name, subclass)
        return event

    def _deliver(self, event: Event, name: str, subclass: str | None) -> None:
        cache: dict[str, bytes] = {}
        for subscriber in list(self.subscribers):
            if subscriber.wants(name, subclass):
                subscriber.offer(event, cache)


class HostileDelivery:
    """Hostile timing: every event reaches listeners after a random delay of up to
    ``max_delay`` seconds, keeping FreeSWITCH's one guarantee only.

    A channel's own events come from its session thread, in order; everything else (the
    bgapi job thread's BACKGROUND_JOB, other channels, CUSTOM events from media bugs) races
    with them, which is why Event-Sequence is not arrival order on a real switch (captures,
    README "Surprises" 8, 12, 13). So events of one stream (a channel's Unique-ID, a job's
    Job-UUID) keep their order; streams interleave at random within the bound.
    """

    def __init__(self, timers: object, rng: object, max_delay: float = 0.025) -> None:
        self.timers = timers
        self.rng = rng
        self.max_delay = max_delay
        self._last: dict[str, float] = {}

    def schedule(self, event: Event, deliver: Callable[[], None]) -> None:
        now = self.timers.now()  # type: ignore[attr-defined]
        stream = event.get("Unique-ID") or event.get("Job-UUID") or event.name
        at = max(now + self.rng.uniform(0.0, self.max_delay),  # type: ignore[attr-defined]
                 self._last.get(stream, now) + 1e-6)
        self._last[stream] = at
        if len(self._last) > 50_000:
            self._last = {k: v for k, v in self._last.items() if v > now}
        self.timers.call_later(at - now, deliver)  # type: ignore[attr-defined]
