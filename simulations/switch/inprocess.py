"""The simulated switch without a socket: commands in, events out, on virtual time.

``InProcessSwitch`` runs the very switch that ``dialer switch-sim`` serves (same call model,
same API commands, same events), driven by ``VirtualTimers``: nothing waits on a real clock,
so a 30-second call flow or a campaign of hundreds of calls runs in a fraction of a second and
the same seed replays the same run. ``wire=True`` sends every event through event-plain
serialisation and parsing, exactly the bytes a listener would read.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dialer.esl.event import Event, parse_plain, serialize_plain
from simulations.switch.api import SwitchApi
from simulations.switch.fates import FateSource, default_fate_source
from simulations.switch.origination import JobResult
from simulations.switch.switch import Switch, SwitchSettings
from simulations.switch.timers import VirtualTimers


class _Tap:
    """A bus subscriber that hands every event (of ``names``, or all) to a callback."""

    def __init__(self, on_event: Callable[[Event], None], names: frozenset[str] | None,
                 wire: bool) -> None:
        self.on_event = on_event
        self.names = names
        self.wire = wire

    def wants(self, name: str, subclass: str | None) -> bool:
        return self.names is None or name in self.names

    def offer(self, event: Event, cache: dict[str, bytes]) -> None:
        if self.wire:
            data = cache.get("plain")
            if data is None:
                data = cache["plain"] = serialize_plain(event)
            event = parse_plain(data)
        self.on_event(event)


class InProcessSwitch:
    """A simulated FreeSWITCH on virtual time; ``events`` collects what a listener gets."""

    def __init__(self, settings: SwitchSettings | None = None,
                 fate_source: FateSource | None = None, seed: int = 0, *,
                 names: frozenset[str] | None = None, wire: bool = False,
                 on_event: Callable[[Event], None] | None = None,
                 start: float = 1_800_000_000.0) -> None:
        self.timers = VirtualTimers(start)
        self.switch = Switch(settings or SwitchSettings(), fate_source or default_fate_source(),
                             random.Random(seed), timers=self.timers)
        self.api_commands = SwitchApi(self.switch)
        self.events: list[Event] = []
        self._jobs = 0
        self.switch.bus.subscribers.append(
            _Tap(on_event or self.events.append, names, wire))

    def now(self) -> float:
        return self.timers.now()

    def run_until(self, at: float) -> None:
        self.timers.run_until(at)

    def run_for(self, seconds: float) -> None:
        self.timers.run_for(seconds)

    def api(self, line: str) -> str:
        """``api <line>``: the output now; an originate runs (virtual time) until it ends."""
        name, _, argument = line.partition(" ")
        output = self.api_commands.execute(name, argument)
        if output is None:
            return f"-ERR {name} Command not found!\n"
        if isinstance(output, JobResult):
            while output.value is None and self.timers.next_time() is not None:
                self.timers.run_until(self.timers.next_time())  # type: ignore[arg-type]
            return output.value or "-ERR no reply\n"
        return output

    def bgapi(self, line: str, job_uuid: str | None = None) -> str:
        """``bgapi <line>``: returns the Job-UUID; the BACKGROUND_JOB event follows."""
        self._jobs += 1
        job_uuid = job_uuid or f"00000000-0000-4000-8000-{self._jobs:012d}"
        name, _, argument = line.partition(" ")
        self.api_commands.background(name, argument, job_uuid)
        return job_uuid
