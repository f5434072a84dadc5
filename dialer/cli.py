"""Command-line commands of ``dialer`` (mounted on the root ``dialer`` app by ``cli.py``).

``run``, ``monitor``, ``demo`` and the ``agent`` sub-app are thin: they read settings, call
``dialer.runner`` and render with rich. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from dialer.esl import cli as esl_cli

agent_app = typer.Typer(help="Act for an agent on a running campaign (via its control socket).",
                        no_args_is_help=True)

CampaignArg = Annotated[str, typer.Argument(help="Campaign name.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
HomeOpt = Annotated[Path | None, typer.Option(
    "--home", help="Data directory (default: $DIALER_HOME, $XDG_DATA_HOME/dialer, "
    "~/.local/share/dialer).")]
InstanceOpt = Annotated[str | None, typer.Option(
    "--instance", help="This dialer process's name when several dial the campaign "
    "(default: <host>/<campaign>); stable across its restarts.")]


def _data(home: Path | None) -> Path:
    from dialer.runner.settings import data_dir

    return home if home is not None else data_dir()


def _control(campaign: str, home: Path | None, payload: dict, as_json: bool,
             instance: str | None = None) -> dict:
    from dialer.runner.control import request_sync
    from dialer.runner.errors import RunnerError
    from dialer.runner.settings import control_socket_path

    answer = request_sync(control_socket_path(_data(home), campaign, instance), payload)
    if not answer.get("ok"):
        raise RunnerError(str(answer.get("error", "the campaign refused the request")))
    if as_json:
        typer.echo(json.dumps(answer, default=str))
    return answer


def run(
    campaign: CampaignArg,
    switch: Annotated[list[str] | None, typer.Option(
        "--switch", help="esl://:PASSWORD@HOST:PORT (repeat for several switches).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Campaign database URL (default: "
                                           "DIALER_DB or sqlite:///<data>/dialer.db; "
                                           "postgresql+psycopg://... for several "
                                           "processes).")] = None,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    gateway: Annotated[str, typer.Option(help="FreeSWITCH gateway for customer calls.")]
    = "default",
    login_agents: Annotated[bool, typer.Option(
        "--login-agents", help="Log the campaign's agents in at start.")] = False,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="With --login-agents: only this agent (repeatable; the others may "
        "be logged in by another dialer process).")] = None,
    simulate_agents: Annotated[bool, typer.Option(
        "--simulate-agents", help="Agents set a disposition a few seconds into wrap-up "
        "(for the switch simulator).")] = False,
    duration: Annotated[float | None, typer.Option(help="Stop after this many seconds.")]
    = None,
    stop_grace: Annotated[float, typer.Option(help="Seconds calls in progress may take to "
                                              "finish on stop.")] = 60.0,
    as_json: JsonOpt = False,
) -> None:
    """Dial CAMPAIGN live until Ctrl-C (graceful: no new dials, calls in progress finish).

    The campaign comes from the campaign store (`dialer campaign create`, `dialer leads
    import`, `dialer campaign start`). Several processes may dial one campaign on
    PostgreSQL, each with its own --instance."""
    import asyncio
    import logging
    import random
    import signal
    import time

    from campaigns.store import CampaignStore
    from dialer.runner.demo import SimulatedDesk
    from dialer.runner.report import run_report
    from dialer.runner.runner import Runner
    from dialer.runner.settings import RunnerSettings, database_url, parse_switches

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    # The runner's own log at INFO; the schema check at start-up is not news to an operator.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    data = _data(home)
    url = database_url(db, data)
    switches = parse_switches(switch or ["esl://127.0.0.1:8021"])
    settings = RunnerSettings(campaign, url, data, switches, gateway, stop_grace,
                              instance=instance)
    store = CampaignStore.open(url)
    started = time.time()

    async def main() -> dict:
        runner = Runner(settings, store, login_agents=login_agents, agents=agent,
                        control_socket=settings.control_socket)
        if simulate_agents:
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (3.0, 8.0),
                                                   random.Random())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop)
        await runner.run(duration)
        return run_report(store, campaign, runner, since=started)

    try:
        report = asyncio.run(main())
    finally:
        store.close()
    typer.echo(json.dumps(report, default=str) if as_json else _report_text(report))


def _report_text(report: dict) -> str:
    lines = [f"campaign {report['campaign']}: {report['attempts']} attempts"]
    for outcome, n in sorted(report["outcomes"].items()):
        lines.append(f"  {outcome:<18} {n}")
    rate = report.get("abandon_rate")
    lines.append(f"live answers {report['live_answers']}, connected {report['connected']}, "
                 f"abandoned {report['abandoned']} "
                 f"({'—' if rate is None else f'{rate:.1%}'} of live answers)")
    return "\n".join(lines)


def monitor(
    campaign: CampaignArg,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
    interval: Annotated[float, typer.Option(help="Seconds between refreshes.")] = 1.0,
) -> None:
    """Live dashboard of a running campaign (agents, calls, rates, pacing); Ctrl-C to leave."""
    import time

    from rich.console import Console
    from rich.live import Live

    from dialer.runner.monitor import render

    if as_json:
        answer = _control(campaign, home, {"op": "snapshot"}, False, instance)
        typer.echo(json.dumps(answer["snapshot"], default=str))
        return
    console = Console()
    snapshot = _control(campaign, home, {"op": "snapshot"}, False, instance)["snapshot"]
    try:
        with Live(render(snapshot), console=console, refresh_per_second=4) as live:
            while True:
                time.sleep(interval)
                snapshot = _control(campaign, home, {"op": "snapshot"}, False, instance)["snapshot"]
                live.update(render(snapshot))
    except KeyboardInterrupt:
        pass


def demo(
    duration: Annotated[float, typer.Option(help="Seconds of dialing.")] = 120.0,
    agents: Annotated[int, typer.Option(min=1, max=500, help="Simulated agents.")] = 8,
    leads: Annotated[int, typer.Option(min=10, max=5_600, help="Sample leads.")] = 2000,
    speed: Annotated[float, typer.Option(
        min=0.1, max=100.0, help="Callee time acceleration in the switch simulator.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated callees.")] = 7,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo database.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """A predictive campaign against the built-in switch simulator, with the live dashboard."""
    import asyncio
    import time

    from rich.console import Console
    from rich.live import Live

    from dialer.runner.demo import DemoOptions, choose_zones, run_demo
    from dialer.runner.monitor import render, runner_snapshot

    options = DemoOptions(duration=duration, agents=agents, leads=leads, speed=speed,
                          seed=seed, keep=keep)
    console = Console(stderr=True)
    _, zone_note = choose_zones(time.time())
    console.print(f"[bold]dialer demo[/]: {agents} simulated agents, {leads} sample leads, "
                  f"{duration:g} s of predictive dialing against the switch simulator on "
                  f"loopback. Ctrl-C stops early (calls in progress finish).")
    console.print(f"[dim]{zone_note}[/]")
    with Live(console=console, refresh_per_second=4, transient=False) as live:

        def frame(runner: object) -> None:
            live.update(render(runner_snapshot(runner)))  # type: ignore[arg-type]

        try:
            report = asyncio.run(run_demo(options, on_frame=frame))
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    _print_report(report)


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"Campaign report: {report['campaign']}", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("attempts", str(report["attempts"]))
    for outcome, n in sorted(report["outcomes"].items()):
        table.add_row(f"  {outcome.replace('_', ' ')}", str(n))
    rate = report.get("abandon_rate")
    table.add_row("live answers", str(report["live_answers"]))
    table.add_row("connected to an agent", str(report["connected"]))
    table.add_row("abandoned (safe-harbour message)",
                  f"{report['abandoned']} ({'—' if rate is None else f'{rate:.1%}'})")
    if report.get("dispositions"):
        table.add_row("dispositions", ", ".join(
            f"{code} {n}" for code, n in sorted(report["dispositions"].items())))
    limit = report.get("abandon_limit")
    if report.get("abandon_rate_30d") is not None and limit is not None:
        table.add_row("abandonment rate, 30 days", f"{report['abandon_rate_30d']:.1%} "
                      f"(limit {limit:.0%})")
    latency = report.get("answer_to_bridge") or {}
    if latency.get("median_s") is not None:
        table.add_row("answer→bridge median / p99",
                      f"{latency['median_s'] * 1000:.0f} / {latency['p99_s'] * 1000:.0f} ms")
    if report.get("mean_talk_s") is not None:
        table.add_row("mean talk time", f"{report['mean_talk_s']:.0f} s")
    table.add_row("opt-outs recorded", str(report["opt_outs"]))
    table.add_row("leads by status", ", ".join(f"{k} {v}" for k, v in
                                              sorted(report["leads"].items())))
    console.print(table)
    console.print(f"[dim]{report.get('time_zones', '')}[/]")


def _agent_command(action: str):
    def command(
        campaign: CampaignArg,
        agent: Annotated[str, typer.Argument(help="Agent id.")],
        home: HomeOpt = None,
    instance: InstanceOpt = None,
        as_json: JsonOpt = False,
    ) -> None:
        answer = _control(campaign, home, {"op": "agent", "action": action, "agent": agent},
                          as_json, instance)
        if not as_json:
            typer.echo(f"{agent}: {action} sent (was {answer.get('was', 'logged out')})")
    command.__doc__ = f"Agent {action} on a running campaign."
    return command


@agent_app.command("login")
def agent_login(
    campaign: CampaignArg,
    agent: Annotated[str, typer.Argument(help="Agent id.")],
    endpoint: Annotated[str | None, typer.Option(
        help="Phone dial string (default: the agent's endpoint on the campaign).")] = None,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Log an agent in: the runner calls their phone and keeps the leg nailed up."""
    payload = {"op": "agent", "action": "login", "agent": agent, "endpoint": endpoint}
    answer = _control(campaign, home, payload, as_json, instance)
    if not as_json:
        typer.echo(f"{agent}: logging in, calling {answer.get('endpoint')}")


@agent_app.command("pause")
def agent_pause(
    campaign: CampaignArg,
    agent: Annotated[str, typer.Argument(help="Agent id.")],
    reason: Annotated[str, typer.Argument(help="Why (recorded in the agent history).")],
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Pause an agent with a reason (no new calls until ready)."""
    payload = {"op": "agent", "action": "pause", "agent": agent, "reason": reason}
    _control(campaign, home, payload, as_json, instance)
    if not as_json:
        typer.echo(f"{agent}: paused ({reason})")


@agent_app.command("dispose")
def agent_dispose(
    campaign: CampaignArg,
    agent: Annotated[str, typer.Argument(help="Agent id.")],
    call: Annotated[str, typer.Argument(help="Call id ('' or 'last': the call in wrap-up).")],
    disposition: Annotated[str, typer.Argument(
        help="Disposition code of the campaign, e.g. SALE, NI, CALLBK, DNC (any case).")],
    callback_at: Annotated[str | None, typer.Option(
        help="ISO time of the callback (CALLBK), e.g. 2026-12-02T15:00Z.")] = None,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the disposition of the agent's last call; ends wrap-up."""
    payload = {"op": "agent", "action": "dispose", "agent": agent,
               "call": "" if call == "last" else call, "disposition": disposition,
               "callback_at": callback_at}
    answer = _control(campaign, home, payload, as_json, instance)
    if not as_json:
        typer.echo(f"{agent}: {answer.get('call', call)} disposed as {disposition.upper()}")


agent_app.command("ready")(_agent_command("ready"))
agent_app.command("logout")(_agent_command("logout"))


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    esl_cli.register(app)
    app.command("run")(run)
    app.command("monitor")(monitor)
    app.command("demo")(demo)
    app.add_typer(agent_app, name="agent")
