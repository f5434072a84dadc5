"""The campaign commands' questions to the processes running a campaign (the runner's
sockets and claims), behind ``campaigns.cli_running.RunningDialers``.

``dialer campaign start|pause|stop|archive`` writes the state in the store; a process
running the campaign reads it at its next poll (``STATE_LAG``), or at once when poked on its
control socket (op ``campaign_state``). The poke is the runner's business (its sockets, its
paths); the campaign commands receive ``RUNNER_PROCESSES`` from the command line that
composes both (``cli.build_app``), so ``campaigns`` never imports ``dialer.runner``.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any


def tell_campaign_state(data: Path, campaign: str) -> None:
    """Poke every process answering for ``campaign`` under ``data`` (any ``--instance``);
    one that does not answer reads the state at its next poll. Never raises for a socket:
    the state is already stored, and the change stands."""
    from dialer.runner.control import request_sync  # only when a campaign changes state
    from dialer.runner.errors import ControlSocketError, RunnerSettingsError
    from dialer.runner.settings import control_socket_path

    try:
        unnamed = control_socket_path(data, campaign)
    except RunnerSettingsError:
        # A data directory too deep for a Unix socket's path: no process can listen there
        # (``dialer run`` refuses it), and the stored state is already written; the change
        # stands and is not reported as a failure.
        return
    paths = [
        unnamed,
        *(unnamed.parent.glob(f"{unnamed.stem}@*.sock") if unnamed.parent.is_dir() else ()),
    ]
    for path in paths:
        if path.exists():
            with contextlib.suppress(ControlSocketError, OSError, ValueError):
                request_sync(path, {"op": "campaign_state"}, timeout=2.0)


class RunnerProcesses:
    """``campaigns.cli_running.RunningDialers`` over the runner's sockets and claims."""

    def tell_state(self, data: Path, campaign: str) -> None:
        tell_campaign_state(data, campaign)

    def sightings(
        self, store: Any, data: Path, campaign: str, *, now: datetime, queue: str | None = None
    ) -> Any:
        from dialer.runner.running import sightings

        return sightings(store, data, campaign, now=now, queue=queue)


RUNNER_PROCESSES = RunnerProcesses()
