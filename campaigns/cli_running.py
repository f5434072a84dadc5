"""What the campaign commands ask of the dialer processes running a campaign.

Two questions, both the runner's business (its control sockets, their paths, its claims):
tell the processes running a campaign to read its stored state now (after ``campaign
start|pause|stop|archive``), and which processes run it (so an edit can say what a running
process keeps as it started with it). ``campaigns`` receives an implementation from the
command line that composes the packages (``cli.build_app`` hands it
``dialer.running_notice.RUNNER_PROCESSES``), so this package never imports the runner.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Protocol


class RunningDialers(Protocol):
    def tell_state(self, data: Path, campaign: str) -> None:
        """Poke the processes running ``campaign`` under ``data``; never raises for a
        socket (the state is already stored)."""

    def sightings(
        self, store: Any, data: Path, campaign: str, *, now: datetime, queue: str | None = None
    ) -> Any:
        """The processes running ``campaign`` (``dialer.runner.running.Sightings``)."""


_running: RunningDialers | None = None


def use(running: RunningDialers) -> None:
    """Set the implementation (``campaigns.cli.register``)."""
    global _running
    _running = running


def running() -> RunningDialers:
    if _running is None:  # a state change no running process would hear of
        raise RuntimeError("campaigns.cli.register was given no running dialers")
    return _running
