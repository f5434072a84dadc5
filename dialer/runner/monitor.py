"""The dashboard: a JSON snapshot the runner publishes, and its rich rendering.

The snapshot is plain data (it crosses the control socket) so ``dialer monitor --json`` and
an agent desktop read the same thing the dashboard shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from dialer.runner.runner import Runner


def runner_snapshot(runner: Runner) -> dict[str, Any]:
    now = runner.clock()
    engine = runner.engine
    stats = runner.stats
    result: dict[str, Any] = {
        "campaign": runner.campaign, "instance": runner.owner, "at": now,
        "uptime_s": now - stats.started_at,
        "stopping": runner.stopping,
        "switches": {sid: c.state.value for sid, c in runner.switches.clients.items()},
        "hopper": len(runner.hopper), "dials": stats.dials,
        "dial_rate_per_s": stats.dial_rate(now), "answers": stats.answers,
        "bridges": stats.bridges, "finished": stats.finished, "outcomes": dict(stats.outcomes),
        "events_handled": stats.events_handled, "esl_events": runner.switches.events_received,
        "events_per_s": stats.events_handled / max(now - stats.started_at, 1e-9),
        "answer_to_bridge": stats.latency_summary(),
        "adopted_after_restart": len(runner.recovery.orphans),
        "opt_outs": stats.opt_outs,
    }
    shared = runner.shared_ledger
    if shared is not None:
        result["other_processes"] = {"live_answers": shared.live_answers,
                                     "abandons": shared.abandons}
    if engine is None:
        return result
    snap = engine.snapshot(now)
    logged_in = sum(n for s, n in snap.agents_by_state.items() if s != "logged_out")
    ringing = snap.calls_by_state.get("dialing", 0) + snap.calls_by_state.get("ringing", 0)
    decided = stats.finished
    live = stats.live_answers
    result.update({
        "calls_by_state": snap.calls_by_state, "agents_by_state": snap.agents_by_state,
        "agents": {aid: {"state": a.state.value, "call": a.call_id}
                   for aid, a in sorted(engine.pool.agents.items())},
        "lines_per_agent": sum(snap.calls_by_state.values()) / logged_in if logged_in else None,
        "calls_ringing": ringing,
        "calls_in_progress": sum(snap.calls_by_state.values()),
        "live_answer_rate": live / decided if decided else None,
        "abandon_rate": snap.abandon_rate, "abandon_target": snap.abandon_target,
        "live_answers_in_window": snap.live_answers_in_window,
        "abandons_in_window": snap.abandons_in_window,
        "pacing": {"policy": getattr(runner.policy, "name", type(runner.policy).__name__),
                   "calls_to_launch": snap.last_decision.calls_to_launch
                   if snap.last_decision else None,
                   "explanation": snap.last_decision.explanation
                   if snap.last_decision else "no decision yet"},
    })
    return result


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _counts(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, expand=True)
    table.add_column("state")
    table.add_column("n", justify="right")
    for state, n in sorted(counts.items()):
        table.add_row(state.replace("_", " "), str(n))
    if not counts:
        table.add_row("—", "0")
    return table


def render(snapshot: dict[str, Any]) -> Panel:
    """One frame of ``dialer monitor``."""
    headline = Table.grid(expand=True, padding=(0, 2))
    for _ in range(4):
        headline.add_column()
    rate = snapshot.get("abandon_rate")
    target = snapshot.get("abandon_target") or 0.0
    over = rate is not None and rate > target
    latency = snapshot.get("answer_to_bridge", {})
    median = latency.get("median_s")
    headline.add_row(
        f"dials [bold]{snapshot.get('dials', 0)}[/]",
        f"dial rate [bold]{snapshot.get('dial_rate_per_s', 0):.2f}/s[/]",
        f"lines/agent [bold]{(snapshot.get('lines_per_agent') or 0):.2f}[/]",
        f"live-answer rate [bold]{_pct(snapshot.get('live_answer_rate'))}[/]")
    headline.add_row(
        Text.from_markup(f"abandon rate [bold {'red' if over else 'green'}]{_pct(rate)}[/] "
                         f"(limit {target:.0%}, {snapshot.get('abandons_in_window', 0)}/"
                         f"{snapshot.get('live_answers_in_window', 0)} live)"),
        f"connected [bold]{snapshot.get('bridges', 0)}[/]",
        f"answer→bridge median [bold]{'—' if median is None else f'{median * 1000:.0f} ms'}[/]",
        f"hopper [bold]{snapshot.get('hopper', 0)}[/]")
    grid = Table.grid(expand=True, padding=(0, 1))
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_column(ratio=1)
    grid.add_row(_counts("Agents", snapshot.get("agents_by_state", {})),
                 _counts("Calls", snapshot.get("calls_by_state", {})),
                 _counts("Outcomes", snapshot.get("outcomes", {})))
    pacing = snapshot.get("pacing", {})
    switches = ", ".join(f"{sid} {state}" for sid, state in snapshot.get("switches", {}).items())
    others = snapshot.get("other_processes")
    shared = (f" · other processes {others['abandons']}/{others['live_answers']} of the window"
              if others and others.get("live_answers") else "")
    footer = Text.from_markup(
        f"[bold]pacing[/] ({pacing.get('policy', '?')}): {pacing.get('explanation', '')}\n"
        f"[dim]{snapshot.get('instance', '')} · switches: {switches or 'none'}{shared}"
        f" · events handled {snapshot.get('events_handled', 0)}"
        f" ({snapshot.get('events_per_s', 0):.0f}/s)"
        + (" · [yellow]stopping: finishing calls in progress[/]" if snapshot.get("stopping")
           else "") + "[/]")
    uptime = snapshot.get("uptime_s", 0)
    return Panel(Group(headline, grid, footer),
                 title=f"campaign [bold]{snapshot.get('campaign', '?')}[/] · {uptime:.0f} s")
