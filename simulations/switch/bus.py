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
                     subclass: str | None = None) -> list[Header]:
        self.sequence += 1
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
            ("Event-Sequence", str(self.sequence)),
        ]
        return head

    def fire(self, name: str, calling: tuple[str, str, int],
             headers: list[Header] | Callable[[], list[Header]], body: str | None = None,
             subclass: str | None = None) -> Event | None:
        """Build and deliver an event; ``headers`` may be a callable so that nobody pays for
        a block no one subscribed to."""
        if not self.wants(name, subclass):
            self.sequence += 1
            return None
        block = headers() if callable(headers) else headers
        event = Event(self.core_headers(name, calling, subclass) + block, body)
        cache: dict[str, bytes] = {}
        for subscriber in list(self.subscribers):
            if subscriber.wants(name, subclass):
                subscriber.offer(event, cache)
        return event
