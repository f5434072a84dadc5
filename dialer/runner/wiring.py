"""What the runner hands its parts: small typed groups, never the runner itself.

Each part of the runner (recovery.py, inbound.py, inbound_calls.py, alerting.py, status.py,
execution.py, upkeep.py) owns its own state and is given, at construction, only the
collaborators it uses (STYLE 11: compose, don't reach into a whole runner). The groups
here are the ones several parts share:

- ``SwitchSide``: the switch connections, the ESL event translator and the registry of
  which switch carries which leg (one dict, shared, every part records the legs it places);
- ``RunPhase``: where the run is (started, stopping, hanging up, inbound only), set by
  the runner only;
- ``CommandPort``: the command side's two calls, for parts built before it
  (``CommandRelay`` is bound to ``CommandExecution`` once the runner has built it: the
  command side needs the inbound calls, the inbound calls send switch commands).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from dialer.commands import Command
from dialer.runner.fsmap import EventTranslator
from dialer.runner.switches import SwitchPool


@dataclass(frozen=True, slots=True)
class SwitchSide:
    """The switches, the translator following their legs, and leg → switch."""

    pool: SwitchPool
    translator: EventTranslator
    call_switch: dict[str, str]
    """Leg → the switch carrying it (recorded as commands and recovery place legs)."""


@dataclass(slots=True)
class RunPhase:
    """Where the run is, and what its start found. The runner moves it; the inbound calls,
    the alerts and the status read it."""

    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once recovery is done and dialing may start (tests wait on it)."""
    stopping: bool = False
    """No new dial; the calls in progress finish."""
    hanging_up: bool = False
    """A second stop request: the calls in progress are hung up without waiting."""
    inbound_only: bool = False
    """The campaign serves queues and had no lead at all at start: an empty hopper is its
    normal state, neither an alert nor a reason it cannot dial (set by the runner's start;
    a blended campaign whose leads run out still says so)."""


class CommandPort(Protocol):
    """The command side as the other parts use it (``CommandExecution``)."""

    async def send(self, command: Command) -> None: ...

    async def execute(self, commands: list[Command]) -> None: ...


class CommandRelay:
    """A ``CommandPort`` for the parts built before the command side: ``bind`` once it
    exists; a command sent before that is a wiring bug, which raises."""

    def __init__(self) -> None:
        self._target: CommandPort | None = None

    def bind(self, target: CommandPort) -> None:
        self._target = target

    def _port(self) -> CommandPort:
        if self._target is None:
            raise RuntimeError("command side not bound yet (CommandRelay.bind)")
        return self._target

    async def send(self, command: Command) -> None:
        await self._port().send(command)

    async def execute(self, commands: list[Command]) -> None:
        await self._port().execute(commands)


__all__ = ["CommandPort", "CommandRelay", "RunPhase", "SwitchSide"]
