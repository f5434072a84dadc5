"""Command-line commands of ``dialer`` (mounted on the root ``dialer`` app by ``cli.py``).

``run``, ``monitor``, ``demo`` and the ``agent`` sub-app are thin: they read settings, call
``dialer.runner`` and render with rich. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dialer.esl import cli as esl_cli

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

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
    from dialer.runner.errors import ControlSocketError, RunnerError
    from dialer.runner.settings import control_socket_path

    try:
        answer = request_sync(control_socket_path(_data(home), campaign, instance), payload)
    except ControlSocketError:
        agent = payload.get("agent") if payload.get("op") in ("agent", "recording") else None
        if payload.get("action") == "login" and payload.get("endpoint"):
            agent = None  # a login with its endpoint may bring a new agent to the campaign
        problem = _unknown_name(campaign, None if agent is None else str(agent), home)
        if problem is not None:
            raise RunnerError(problem) from None
        raise
    if not answer.get("ok"):
        raise RunnerError(str(answer.get("error", "the campaign refused the request")))
    if as_json:
        typer.echo(json.dumps(answer, default=str))
    return answer


def _unknown_name(campaign: str, agent: str | None, home: Path | None) -> str | None:
    """The campaign (or the agent) named on the command line when it does not exist; None
    when both do, or when the store cannot tell (the socket's own refusal then stands).

    Asked only after no run answered: the socket's path ("no running campaign answers on
    .../nosuch.sock") sent a user with a typo looking for a run to start.
    """
    from campaigns.errors import CampaignError
    from campaigns.store import CampaignStore
    from dialer.runner.settings import database_url

    try:
        store = CampaignStore.open_read_only(database_url(None, _data(home)))
    except CampaignError:
        return None
    try:
        try:
            store.campaign(campaign)
        except CampaignError as error:
            return str(error)
        names = [a.name for a in store.agents(campaign)] if agent is not None else []
        if agent is not None and agent not in names:
            from dialer.words import did_you_mean

            # 'Ann' for the agent ann: the exact name is needed, so say which is meant.
            return (f"campaign {campaign!r} has no agent {agent!r}"
                    + did_you_mean(agent, names) + f" (see `dialer campaign show {campaign}`)")
        return None
    finally:
        store.close()


def _pause_reason_problem(campaign: str, reason: str, home: Path | None) -> str | None:
    """A pause reason the campaign does not declare (``lnch`` for ``lunch``): the runner
    recorded it as given, and the agent history and reports counted a reason nobody
    declared, as the console's form never lets happen. None when it is declared, or when
    the store cannot tell (the campaign's own refusal then stands)."""
    from campaigns.errors import CampaignError
    from campaigns.store import CampaignStore
    from campaigns.stored_settings import stored_settings
    from dialer.runner.settings import database_url
    from dialer.words import did_you_mean

    try:
        store = CampaignStore.open_read_only(database_url(None, _data(home)))
    except CampaignError:
        return None
    try:
        reasons = list(stored_settings(store.campaign(campaign)).pause_reasons)
    except (CampaignError, ValueError):
        return None
    finally:
        store.close()
    if reason in reasons:
        return None
    return (f"campaign {campaign!r} declares no pause reason {reason!r} (its reasons: "
            f"{', '.join(reasons)}){did_you_mean(reason, reasons)} (a new one is declared "
            f"with `dialer campaign edit {campaign} --set 'pause_reasons=[...]'`)")


def _warn_stored_zones(store: CampaignStore, campaign: str) -> None:
    """Leads stored with a zone an import now refuses: said at start, not refused (the
    calling-hours rules still combine it with the area code's zones; `dialer doctor`)."""
    from campaigns.errors import CampaignError
    from campaigns.stored_zones import stored_zone_report

    try:
        report = stored_zone_report(store, campaign)
    except CampaignError:
        return  # no such campaign: the runner refuses it with its own line
    if report is not None:
        typer.echo(f"warning: campaign {campaign!r}: {report.line()}", err=True)
    _warn_stored_region(store, campaign)


def _warn_stored_region(store: CampaignStore, campaign: str) -> None:
    """A default region the jurisdiction cannot call, stored before it was refused
    (``campaigns.store.region_warning``): said at start, not refused."""
    from campaigns.errors import CampaignError
    from campaigns.store import region_warning
    from campaigns.stored_settings import stored_settings

    try:
        line = region_warning(campaign, stored_settings(store.campaign(campaign)))
    except CampaignError:
        return  # the runner refuses it with its own line
    if line is not None:
        typer.echo(f"warning: {line}", err=True)


def run(
    campaign: CampaignArg,
    switch: Annotated[list[str] | None, typer.Option(
        "--switch", help="Switch event socket as esl://[:PASSWORD@]HOST[:PORT] or HOST:PORT "
        "(repeat for several switches). Default: esl://:ClueCon@127.0.0.1:8021, "
        "FreeSWITCH's own default, said at start.")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Campaign database URL (default: "
                                           "DIALER_DB or sqlite:///<home>/dialer.db; "
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
    duration: Annotated[float | None, typer.Option(metavar="SECONDS",
        help="Stop after this many seconds (default: run until Ctrl-C).")] = None,
    stop_grace: Annotated[float, typer.Option(metavar="SECONDS",
                                              help="Seconds calls in progress may take to "
                                              "finish on stop; a second Ctrl-C hangs them "
                                              "up at once.")] = 60.0,
    store_outage_limit: Annotated[float, typer.Option(
        "--store-outage-limit", metavar="SECONDS", help="Seconds the campaign store may "
        "stay unwritable (a "
        "database restart, a failover, a locked file) before the run stops: dialing is "
        "held from the first failed write, calls in progress go on and their outcomes are "
        "written when the store is back.")] = 600.0,
    switch_refusal_limit: Annotated[int, typer.Option(
        "--switch-refusal-limit", help="Calls the switch may refuse in a row before it "
        "places them (a gateway down, no route, a sofia profile not running) before dialing "
        "is held; one call is tried after 15 s (doubling to 5 min) and dialing resumes when "
        "the switch takes it.")] = 5,
    status_every: Annotated[float, typer.Option(metavar="SECONDS",
        min=1.0, help="When stderr is not a terminal: seconds between status lines (a "
        "line is also written whenever the reason for not dialing changes).")] = 10.0,
    pacing_detail: Annotated[bool, typer.Option(
        "--pacing-detail", help="Show the pacing policy's own explanation on the "
        "dashboard.")] = False,
    alerts_webhook: Annotated[str | None, typer.Option(
        "--alerts-webhook", help="POST each queue alert raised or cleared (JSON) to this "
        "URL, besides <home>/alerts/CAMPAIGN.jsonl.")] = None,
    prompts_on_switch: Annotated[str | None, typer.Option(
        "--prompts-on-switch", help="Directory of the prompt files on the FreeSWITCH host, "
        "when it is another machine (default: the local paths).")] = None,
    metrics: Annotated[str | None, typer.Option(
        "--metrics", help="Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464; "
        "docs/operations.md lists them).")] = None,
    log_format: Annotated[str, typer.Option(
        "--log-format",
        help="The log on stderr: text lines, or one JSON object per line (time, level, "
        "logger, message and the record's fields) for a log shipper.")] = "text",
    show_numbers: Annotated[bool, typer.Option(
        "--show-numbers", help="Write phone numbers in full in the log (masked by "
        "default: +12•••••••23).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Dial CAMPAIGN live until Ctrl-C (graceful: no new dials, calls in progress finish).

    The campaign comes from the campaign store (`dialer campaign create`, `dialer leads
    import`, `dialer campaign start`). Several processes may dial one campaign on
    PostgreSQL, each with its own --instance. While it runs it shows the dashboard (on a
    terminal) or a status line every few seconds, and says why it is not dialing when it
    is not. Exit status 3: it stopped while something kept it from dialing."""
    import asyncio
    import logging
    import random
    import signal
    import time

    from campaigns.cli_common import existing_database_url
    from campaigns.store import CampaignStore
    from dialer.logs import configure
    from dialer.runner.console import RunConsole
    from dialer.runner.demo import SimulatedDesk
    from dialer.runner.errors import RunnerSettingsError
    from dialer.runner.report import format_report, run_report
    from dialer.runner.run_end import EndWatch
    from dialer.runner.runner import Runner
    from dialer.runner.settings import (
        DEFAULT_SWITCH,
        RunnerSettings,
        database_url,
        parse_switches,
    )

    if log_format not in ("text", "json"):
        raise RunnerSettingsError(f"--log-format {log_format!r}: text or json")
    # NaN too (it compares false): a run then had no end its user could read.
    if duration is not None and not 0 < duration <= 366 * 86_400:
        raise RunnerSettingsError(f"--duration {duration:g}: seconds of dialing, more than 0 "
                                  "and at most a year (31,622,400); leave it out to run "
                                  "until Ctrl-C")
    if not 0 <= stop_grace <= 86_400:
        raise RunnerSettingsError(f"--stop-grace {stop_grace:g}: seconds calls in progress "
                                  "may take to finish on stop, 0 to a day (86,400)")
    configure(log_format, mask=not show_numbers)
    # The runner's own log at INFO; the schema check at start-up is not news to an operator.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    data = _data(home)
    switches = parse_switches(switch or [DEFAULT_SWITCH])
    # A run works a stored campaign: a mistyped --db (or a forgotten --home) made an empty
    # database, then said only "no campaign named" (first-hour eleventh pass).
    url = existing_database_url(database_url(db, data))
    if not switch:
        typer.echo(f"no --switch given: dialing through {switches[0][1]} (FreeSWITCH's "
                   "default event socket, password ClueCon)", err=True)
    settings = RunnerSettings(campaign, url, data, switches, gateway, stop_grace,
                              instance=instance, alerts_webhook=alerts_webhook,
                              metrics=metrics, prompts_on_switch=prompts_on_switch,
                              store_outage_limit=store_outage_limit,
                              switch_refusal_limit=switch_refusal_limit)
    store = CampaignStore.open(url)
    _warn_stored_zones(store, campaign)
    started = time.time()
    end_watch = EndWatch()  # a stop that overruns its bound exits 5 with every stack

    async def main() -> tuple[dict, int]:
        runner = Runner(settings, store, login_agents=login_agents, agents=agent,
                        control_socket=settings.control_socket)
        runner.end_watch = end_watch
        if simulate_agents:
            runner.on_agent_change = SimulatedDesk(runner.dispose, runner.clock, (3.0, 8.0),
                                                   random.Random())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runner.stop)
        console = RunConsole(runner, interactive=sys.stderr.isatty(), every=status_every,
                             detail=pacing_detail)
        async with console.showing():
            await runner.run(duration)
        end_watch.disarm()  # stopped and closed; the summary is a read, not the stop
        report = await asyncio.to_thread(run_report, store, campaign, runner, started)
        ended = runner.state_follow.end_reason
        if ended:  # the campaign's stored state ended the run: the last line says why
            report = {**report, "ended_because": ended}
        return report, runner.state_follow.exit_code() or runner.status.exit_code()

    try:
        report, code = asyncio.run(main())
    finally:
        store.close()
    typer.echo(json.dumps(report, default=str) if as_json else format_report(report))
    if report.get("ended_because") and not as_json:
        typer.echo(f"ended: {report['ended_because']}", err=True)
    if code:
        raise typer.Exit(code)


def monitor(
    campaign: CampaignArg,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
    once: Annotated[bool, typer.Option(
        "--once", help="Print one frame and exit (non-zero with a clear message when the "
        "campaign is not running).")] = False,
    pacing_detail: Annotated[bool, typer.Option(
        "--pacing-detail", help="Show the pacing policy's own explanation under the "
        "plain-words line.")] = False,
    interval: Annotated[float, typer.Option(metavar="SECONDS",
                                            min=0.2, help="Seconds between refreshes.")]
    = 1.0,
    wait: Annotated[float, typer.Option(metavar="SECONDS",
        min=0.0, help="With --once or --json: wait up to this many seconds for the run to "
        "answer (a run just started in the background).")] = 0.0,
) -> None:
    """Live dashboard of a running campaign (agents, calls, rates, pacing); Ctrl-C to leave.

    When the run stops, the dashboard says so and waits for it to start again. With --json
    (one snapshot, the same shape whatever the runner's state) or --once it prints once and
    exits, non-zero when no run answers."""
    import time

    from rich.console import Console
    from rich.live import Live

    from dialer.runner.dashboard import not_running, render
    from dialer.runner.errors import ControlSocketError

    def snapshot() -> dict:
        return _control(campaign, home, {"op": "snapshot"}, False, instance)["snapshot"]

    if as_json or once:
        deadline = time.monotonic() + wait
        while True:
            try:
                frame = snapshot()
                break
            except ControlSocketError:
                if time.monotonic() >= deadline:
                    raise  # one clear line (or a JSON object), exit 1
                time.sleep(min(interval, 0.5))
        if as_json:
            typer.echo(json.dumps(frame, default=str))
        else:
            Console().print(render(frame, detail=pacing_detail))
        return
    from dialer.runner.errors import RunnerError

    if (problem := _unknown_name(campaign, None, home)) is not None:
        raise RunnerError(problem)
    console = Console()
    seen: float | None = None
    try:
        with Live(console=console, refresh_per_second=4) as live:
            while True:
                try:
                    live.update(render(snapshot(), detail=pacing_detail))
                    seen = time.time()
                except ControlSocketError as error:
                    live.update(not_running(campaign, seen, str(error)))
                time.sleep(interval)
    except KeyboardInterrupt:
        pass


def doctor(
    campaign: CampaignArg,
    switch: Annotated[list[str] | None, typer.Option(
        "--switch", help="Switch to check, as for `dialer run` (repeatable; default "
        "esl://:ClueCon@127.0.0.1:8021).")] = None,
    db: Annotated[str | None, typer.Option("--db", help="Campaign database URL (default: "
                                           "DIALER_DB or sqlite:///<home>/dialer.db).")]
    = None,
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Would CAMPAIGN dial now, and if not, why: the same diagnosis as `dialer run`,
    without running it (state, caller ID, pacing, agents, switches, leads callable now and
    when the next ones are, the next leads in dial order through the compliance check the
    dialer selects with, the national registry's or TPS list's age). Exit status 3 when a
    check fails."""
    from campaigns.store import CampaignStore
    from dialer.runner.doctor import Verdict, diagnose_campaign
    from dialer.runner.settings import DEFAULT_SWITCH, database_url, parse_switches

    data = _data(home)
    switches = parse_switches(switch or [DEFAULT_SWITCH])
    store = CampaignStore.open_read_only(database_url(db, data))  # never creates the file
    try:
        checks = diagnose_campaign(store, campaign, data, switches, instance=instance)
    finally:
        store.close()
    failed = any(c.verdict is Verdict.FAIL for c in checks)
    if as_json:
        typer.echo(json.dumps({"campaign": campaign, "ok": not failed,
                               "checks": [c.to_json() for c in checks]}))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table("check", "", "finding", title=f"dialer doctor {campaign}",
                      title_justify="left")
        marks = {Verdict.OK: "[green]ok[/]", Verdict.WARN: "[yellow]warn[/]",
                 Verdict.FAIL: "[bold red]FAIL[/]"}
        from rich.markup import escape

        for check in checks:
            table.add_row(escape(check.name), marks[check.verdict], escape(check.message))
        console = Console()
        console.print(table)
        console.print("would dial now" if not failed else
                      "[bold]would not dial now[/]: fix the failed checks above")
    if failed:
        raise typer.Exit(3)


def demo(
    duration: Annotated[float, typer.Option(metavar="SECONDS", help="Seconds of dialing.")] = 120.0,
    agents: Annotated[int, typer.Option(min=1, max=500, help="Simulated agents.")] = 8,
    leads: Annotated[int, typer.Option(min=10, max=5_600, help="Sample leads.")] = 2000,
    speed: Annotated[float, typer.Option(
        min=0.1, max=100.0, help="Callee time acceleration in the switch simulator.")] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated callees.")] = 7,
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo database.")] = False,
    web: Annotated[bool, typer.Option(
        "--web/--no-web", help="Serve the supervisor page on loopback while the demo runs "
        "(the URL and a generated password are printed).")] = True,
    home: Annotated[Path | None, typer.Option(
        "--home", help="Data directory for the demo's campaign database and registries, "
        "kept afterwards (`dialer report demo --home DIR`); it must not hold a demo "
        "campaign already. Default: a temporary directory, removed at the end unless "
        "--keep.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """A predictive campaign against the built-in switch simulator, with the live dashboard."""
    import asyncio
    import time

    from rich.console import Console
    from rich.live import Live

    from dialer.errors import DialerError
    from dialer.runner.dashboard import render
    from dialer.runner.demo import DemoOptions, choose_zones, run_demo
    from dialer.runner.monitor import runner_snapshot

    if not 0 < duration <= 86_400:  # NaN too: it dialed until killed; -5 ran a demo of nothing
        raise DialerError(f"--duration {duration:g}: seconds of dialing, more than 0 and at "
                          "most a day (86400)")
    options = DemoOptions(duration=duration, agents=agents, leads=leads, speed=speed,
                          seed=seed, keep=keep, web=web)
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
            def web_page(web: object) -> None:
                console.print(f"[bold]supervisor page[/]: {web.url}  (sign in as "  # type: ignore[attr-defined]
                              f"[bold]{web.user}[/], password [bold]{web.password}[/]; "  # type: ignore[attr-defined]
                              "open while the demo runs)")

            report = asyncio.run(run_demo(options, on_frame=frame, on_web=web_page,
                                          home=home))
        except KeyboardInterrupt:
            console.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
    if not console.is_terminal:
        console.line()  # the last frame ends mid-line when piped: the report starts clean
    if as_json:
        typer.echo(json.dumps(report, default=str))
        return
    _print_report(report)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _print_report(report: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    from dialer.runner.report import DISPOSITION_WORDS

    run, totals = report["this_run"], report["campaign_totals"]
    console = Console()
    if not console.is_terminal:
        console.line()
    table = Table(title=f"Campaign report: {report['campaign']}", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("attempts", str(run["attempts"]))
    for outcome, n in sorted(run["outcomes"].items()):
        table.add_row(f"  {outcome.replace('_', ' ')}", str(n))
    table.add_row("live answers", str(run["live_answers"]))
    table.add_row("connected to an agent", str(run["connected"]))
    table.add_row("abandoned (safe-harbour message)",
                  f"{run['abandoned']} ({_pct(run.get('abandon_rate'))})")
    # What pacing bought: the share of the agents' time spent with customers.
    table.add_row("agent occupancy (calls + wrap-up)", _pct(run.get("agent_occupancy")))
    table.add_row("talk time, share of logged-in time", _pct(run.get("talk_fraction")))
    if run.get("mean_talk_s") is not None:
        table.add_row("mean talk time", f"{run['mean_talk_s']:.0f} s")
    latency = run.get("answer_to_bridge") or {}
    if latency.get("median_s") is not None:
        table.add_row("answer→bridge median / p99",
                      f"{latency['median_s'] * 1000:.0f} / {latency['p99_s'] * 1000:.0f} ms")
    for code, n in sorted((run.get("dispositions") or {}).items()):
        meaning = DISPOSITION_WORDS.get(code, "")
        table.add_row(f"disposition {code}" + (f" ({meaning})" if meaning else ""), str(n))
    limit = totals.get("abandon_limit")
    if totals.get("abandon_rate_30d") is not None and limit is not None:
        table.add_row("abandonment rate, 30 days", f"{totals['abandon_rate_30d']:.1%} "
                      f"(limit {limit:.0%})")
    table.add_row("opt-outs recorded", str(run.get("opt_outs", 0)))
    table.add_row("leads by status", ", ".join(f"{k} {v}" for k, v in
                                              sorted(totals["leads"].items())))
    console.print(table)
    if report.get("time_zones"):
        console.print(f"[dim]{report['time_zones']}[/]")


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
    from dialer.runner.errors import RunnerError

    if (problem := _pause_reason_problem(campaign, reason, home)) is not None:
        raise RunnerError(problem)
    payload = {"op": "agent", "action": "pause", "agent": agent, "reason": reason}
    _control(campaign, home, payload, as_json, instance)
    if not as_json:
        typer.echo(f"{agent}: paused ({reason})")


@agent_app.command("record")
def agent_record(
    campaign: CampaignArg,
    agent: Annotated[str, typer.Argument(help="Agent id (the call they are on).")],
    action: Annotated[str, typer.Argument(help="start (on demand), pause (e.g. while a "
                                          "card number is read), resume or stop.")],
    home: HomeOpt = None,
    instance: InstanceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start, pause, resume or stop the recording of the agent's current call."""
    payload = {"op": "recording", "agent": agent, "action": action}
    answer = _control(campaign, home, payload, as_json, instance)
    if not as_json:
        typer.echo(f"{agent}: recording of {answer.get('call')}: {action}")


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
    from dialer import cli_gateways, cli_recordings
    from dialer.web import cli as web_cli

    esl_cli.register(app)
    cli_gateways.register(app)
    cli_recordings.register(app)
    web_cli.register(app)
    app.command("run")(run)
    app.command("monitor")(monitor)
    app.command("doctor")(doctor)
    app.command("demo")(demo)
    app.add_typer(agent_app, name="agent")
