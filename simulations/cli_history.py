"""``dialer simulate --from-campaign NAME``: the scenario file a run uses, and its summary.

The scenario built from the store is written as TOML (to ``--write-scenario`` or a
temporary file held for the run) and the run loads it back like any scenario file: the
worker processes read the same file, and the writer's round trip is exact.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from simulations.errors import SimulationError
from simulations.history import KINDS, CampaignHistory


@dataclass
class ScenarioSource:
    path: Path
    history: CampaignHistory | None = None
    scratch: Any = None
    """The temporary directory of a scenario not asked to be kept (removed with this)."""

    @property
    def label(self) -> str:
        """What the run is of, in titles and JSON: the file, or the campaign and period
        when the built scenario is not kept."""
        if self.history is None or self.scratch is None:
            return str(self.path)
        h = self.history
        return f"campaign {h.campaign} ({h.start:%Y-%m-%d} to {h.end:%Y-%m-%d})"


def scenario_source(scenario: Path | None, from_campaign: str | None, *, db: str | None,
                    home: Path | None, days: float | None, tz: str | None,
                    write_to: Path | None, until: datetime, quiet: bool) -> ScenarioSource:
    """The scenario file to run: ``scenario``, or one built from ``from_campaign``'s
    history (exactly one of the two). ``days`` and ``tz`` choose the history (None: 30
    days, UTC); with a scenario file they are refused, not ignored: a file's length is its
    own ``[campaign].days``, and ``--days 5`` run on a 1-day file printed one day's
    figures as the five asked for."""
    if (scenario is None) == (from_campaign is None):
        raise SimulationError("give a SCENARIO file or --from-campaign NAME (exactly one)")
    if scenario is not None:
        problems = []
        if days is not None:
            problems.append(f"--days {days:g}: the days of a campaign's history to read (with "
                            f"--from-campaign NAME), not used with a scenario file: the "
                            f"days {scenario} simulates are its [campaign].days (edit the "
                            "file, or sweep --vary days=1,5)")
        if tz is not None:
            problems.append(f"--tz {tz}: the zone of a campaign's history (with "
                            "--from-campaign NAME), not used with a scenario file, whose "
                            "hours are its callees' local hours")
        if problems:
            raise SimulationError("; ".join(problems))
        if write_to is not None:
            from simulations.scenario import load_scenario
            from simulations.scenario_writer import write_scenario

            write_scenario(load_scenario(scenario), write_to)
        return ScenarioSource(scenario)
    from campaigns.cli_common import read_store
    from simulations.history import build_history
    from simulations.scenario_writer import write_scenario

    store = read_store(db, home)
    try:
        history = build_history(store, str(from_campaign), until=until,
                                days=30.0 if days is None else days,
                                tz="UTC" if tz is None else tz)
    finally:
        store.close()
    scratch = None
    if write_to is None:
        scratch = tempfile.TemporaryDirectory(prefix="dialer-history-")
        write_to = Path(scratch.name) / "scenario.toml"
    write_scenario(history.scenario, write_to, header_lines(history))
    if not quiet:
        print_summary(history, None if scratch is not None else write_to)
    return ScenarioSource(write_to, history, scratch)


_TIMES = {"ring": "ring time (dial → answer)", "talk": "talk time",
          "wrap": "wrap-up time", "machine_hold": "machine handling time",
          "busy": "busy signal"}


def _share_cell(share: Any, sep: str = " ") -> str:
    """A share in percent with its 95 % interval: ``16.1 (14.0–18.5)``."""
    if not share.trials:
        return "—"
    low, high = share.ci95
    return f"{share.rate:.1%}{sep}({low:.1%}–{high:.1%})".replace("%", "")


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def header_lines(history: CampaignHistory) -> list[str]:
    """Comments at the top of a written scenario: where it comes from, with the CIs."""
    lines = [f"Built by `dialer simulate --from-campaign` from campaign {history.campaign!r}:",
             f"{history.attempts} attempts dialed {history.start:%Y-%m-%d %H:%M} to "
             f"{history.end:%Y-%m-%d %H:%M} UTC on {_days(history.days_dialed)}; hours of "
             f"day in {history.tz}.",
             "Shares of dials with their 95 % Wilson intervals:"]
    for kind in KINDS:
        lines.append(f"  {kind}: {_share_cell(history.shares[kind])} %")
    lines.append("Mean times with their 95 % t intervals:")
    for name, mean in history.times.items():
        low, high = mean.ci95
        lines.append(f"  {_TIMES[name]}: {mean.mean:.1f} s ({low:.1f}–{high:.1f}), "
                     f"{mean.n} calls")
    lines += [f"Note: {note}." for note in history.notes]
    return lines


def print_summary(history: CampaignHistory, written: Path | None) -> None:
    """The built scenario in short: shares with their CIs, hour by hour, and the laws."""
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"campaign {history.campaign}: {history.attempts} attempts, "
                        f"{history.start:%Y-%m-%d} to {history.end:%Y-%m-%d}, "
                        f"{_days(history.days_dialed)} dialed; shares of dials in % "
                        f"(95 % CI), hours in {history.tz}", box=box.SIMPLE_HEAD)
    table.add_column("hour")
    table.add_column("dials", justify="right")
    table.add_column("agents", justify="right")
    for kind in KINDS:
        table.add_column(kind, justify="right", min_width=11)
    for hour in range(24):
        trials = history.hourly["live"][hour].trials
        agents = history.agents_by_hour[hour]
        if not trials and agents < 0.05:
            continue
        table.add_row(f"{hour:02d}", str(trials), f"{agents:.1f}",
                      *(_share_cell(history.hourly[k][hour], "\n") for k in KINDS))
    table.add_row("all", str(history.attempts), "",
                  *(_share_cell(history.shares[k], "\n") for k in KINDS), end_section=True)
    console.print(table)
    for name, mean in history.times.items():
        low, high = mean.ci95
        console.print(f"{_TIMES[name]}: mean {mean.mean:.1f} s (95 % CI {low:.1f}–"
                      f"{high:.1f}) over {mean.n} calls", highlight=False)
    c = history.scenario.campaign
    hours = [int(c.shift_start_hour + h) % 24 for h in range(math.ceil(c.shift_hours))]
    floor = ", ".join(f"{h:02d}h {c.agents_by_hour[h]}" for h in hours)
    console.print(f"scenario: {_days(c.days)}, shift {c.shift_hours:g} h from "
                  f"{c.shift_start_hour:02.0f}:00, agents by hour {floor}", highlight=False)
    for note in history.notes:
        console.print(f"note: {note}", highlight=False)
    if written is not None:
        console.print(f"scenario written to {written}", highlight=False)
