"""Start the switch simulator inside a running event loop (tests, ``dialer demo``, the CLI)."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass

from dialer.esl.url import EslUrl
from simulations.switch.fates import FateSource, default_fate_source
from simulations.switch.server import SwitchServer
from simulations.switch.switch import Switch, SwitchSettings


@dataclass(frozen=True, slots=True)
class RunningSwitch:
    server: SwitchServer
    switch: Switch
    url: EslUrl


@contextlib.asynccontextmanager
async def running_switch(host: str = "127.0.0.1", port: int = 0, password: str = "ClueCon",
                         settings: SwitchSettings | None = None,
                         fate_source: FateSource | None = None,
                         seed: int | None = None) -> AsyncIterator[RunningSwitch]:
    """A listening simulator; ``port=0`` picks a free port (see ``.url``)."""
    switch = Switch(settings or SwitchSettings(), fate_source or default_fate_source(),
                    random.Random(seed))
    server = SwitchServer(switch, password)
    bound_host, bound_port = await server.start(host, port)
    try:
        yield RunningSwitch(server, switch, EslUrl(bound_host, bound_port, password))
    finally:
        await server.close()
