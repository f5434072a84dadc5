"""Command-line commands of ``simulations`` (mounted on the root ``dialer`` app by ``cli.py``)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from campaigns.cli_common import DbOption, HomeOption
from simulations.switch import cli as switch_cli

if TYPE_CHECKING:
    from simulations.best_static import BestStatic
    from simulations.scenario import Scenario

MAX_REPLICATIONS = 1000
"""Replications per policy (or grid point): a thousand narrow any interval this lab
reports far below its other errors; ``--replications 100000000`` ran for days."""
MAX_WORKERS = 64
"""Processes at once: beyond the cores they only wait, and a pool sized by a typo
(``--workers 100000``) started a process per job on a shared machine."""


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _practical_limit(loaded: Scenario) -> float | None:
    """The scenario's practical talk limit, for outbound-only scenarios (inbound talk is not
    in its formula); None otherwise."""
    from simulations.metrics import practical_talk_limit

    if not loaded.campaign.outbound or loaded.inbound.any_calls or loaded.queues:
        return None
    limit = practical_talk_limit(loaded)
    return None if math.isnan(limit) else limit


def _static_label(level: float) -> str:
    return f"best static: ratio {level:g}"


def _static_document(anchor: BestStatic) -> dict[str, object]:
    """The search's result as JSON: the level, its column, every level evaluated."""
    return {"dial_level": anchor.level, "at_top": anchor.at_top,
            "policy": None if anchor.level is None else _static_label(anchor.level),
            "step": anchor.grid.step, "top": anchor.grid.top, "limit": anchor.limit,
            "worst_window_abandon_by_level": {f"{k:g}": v
                                              for k, v in anchor.worst_by_level.items()}}


def _static_lines(anchor: BestStatic, results: dict[str, object], labels: list[str]) -> str:
    """What the anchor says: the level, and each policy's talk against it."""
    searched = ", ".join(f"{k:g}: {v:.2%}" for k, v in anchor.worst_by_level.items())
    if anchor.level is None:
        return (f"best static: none — even dial level 1 breaks the {anchor.limit:.1%} limit "
                f"in some replication (worst window abandonment by level: {searched})")
    summary = results[_static_label(anchor.level)]
    static_talk = summary["talk_fraction"]["mean"]  # type: ignore[index]
    top = " (the top searched)" if anchor.at_top else ""
    lines = [f"best static: dial level {anchor.level:g}{top} lines per active agent, talk "
             f"fraction {static_talk:.4g} (worst window abandonment by level searched: "
             f"{searched})"]
    for name in labels:
        talk = results[name]["talk_fraction"]["mean"]  # type: ignore[index]
        change = f"{talk / static_talk - 1:+.1%}" if static_talk > 0 else "n/a"
        lines.append(f"  {name}: talk fraction {talk:.4g} ({change} against best static)")
    return "\n".join(lines)


LIMIT_GUARD_HELP = ("Run power, ratio and adaptive behind the abandonment-limit guard, as a "
                    "live campaign does (docs/pacing.md); other policies run as they are. "
                    "Off: the raw baselines.")


def _limit_guard_line(names: list[str], limit_guard: bool) -> str | None:
    """One line about the guarded policies among ``names`` (policy names, in order): with
    ``--limit-guard``, that they ran behind it; without, that a live campaign would run them
    behind it. None when none of them is guarded (predictive, progressive, preview)."""
    from pacing_models.limit_guard import GUARDED_POLICIES

    kinds = list(dict.fromkeys(name for name in names if name in GUARDED_POLICIES))
    if not kinds:
        return None
    which = ", ".join(kinds)
    if limit_guard:
        return (f"limit guard: {which} ran behind the abandonment-limit guard, as a live "
                "campaign runs it")
    return (f"note: a live campaign runs {which} behind the abandonment-limit guard; add "
            "--limit-guard to see what it will run")


def simulate(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario TOML file (or --from-campaign).")] = None,
    policy: Annotated[list[str], typer.Option(
        help="Pacing policy, optionally with parameters: predictive:margin_z=3,aim_cap=0.6 "
             "(repeat to compare).")] = ["progressive"],
    replications: Annotated[int, typer.Option(
        min=1, max=MAX_REPLICATIONS, help="Independent replications.")] = 5,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the common random numbers.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    plot: Annotated[Path | None, typer.Option(
        help="Write a PNG: talk fraction and abandonment per policy (95 % CI bars), and "
             "abandonment per day for multi-day runs.")] = None,
    workers: Annotated[int, typer.Option(
        min=1, max=MAX_WORKERS,
        help="Parallel processes for the replications (the figures do not depend on it: "
             "replication r always uses stream (seed, r)).")] = 2,
    best_static: Annotated[bool, typer.Option(
        "--best-static", help="Also find the highest fixed dial level (lines per active "
        "agent, VICIdial's RATIO) whose every replication stays within the abandonment "
        "limit, on the same callees, and show it beside the policies.")] = False,
    static_step: Annotated[float | None, typer.Option(
        help="Step of the dial levels --best-static searches (1, 1+step, ...; default "
             "0.01).")] = None,
    static_top: Annotated[float | None, typer.Option(
        help="Highest dial level --best-static searches (default 30).")] = None,
    from_campaign: Annotated[str | None, typer.Option(
        help="Build the scenario from this campaign's attempts in the store (shares by hour "
             "with 95 % CIs, empirical ring, talk and wrap-up laws, agents by hour) instead "
             "of a SCENARIO file.")] = None,
    db: DbOption = None,
    home: HomeOption = None,
    days: Annotated[float | None, typer.Option(metavar="DAYS",
        help="--from-campaign: the last DAYS days of attempts (default 30; refused with a "
             "SCENARIO file, whose \\[campaign].days says how many days it simulates).")
    ] = None,
    tz: Annotated[str | None, typer.Option(
        help="--from-campaign: time zone of the hours of day (IANA name; default UTC).")
    ] = None,
    write_scenario: Annotated[Path | None, typer.Option(
        help="Save the scenario run (built or loaded) as TOML, for editing.")] = None,
    record: Annotated[bool, typer.Option(
        "--record", help="Record replication 0 of each policy in the campaign store "
        "(--db/--home) as a campaign of its own (sim-<scenario>-<policy>, or "
        "sim-<campaign>-<policy> with --from-campaign), for `dialer report`.")] = False,
    campaign_name: Annotated[str | None, typer.Option(
        help="Name of the recorded campaign (one policy), or its prefix NAME-<policy>.")
    ] = None,
    start: Annotated[str | None, typer.Option(
        help="When the recorded day starts (ISO time, UTC unless it has an offset; default "
             "today at the scenario's shift_start_hour).")] = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace a recorded simulation of the same name (never a real "
                          "campaign).")] = False,
    report: Annotated[Path | None, typer.Option(
        help="Write the campaign report of replication 0 as XLSX (the sheets of `dialer "
             "report --format xlsx`; several policies: FILE-<policy>.xlsx).")] = None,
    report_plot: Annotated[Path | None, typer.Option(
        help="Write the campaign report's plot of replication 0 (PNG, as `dialer report "
             "--plot`).")] = None,
    no_accel: Annotated[bool, typer.Option(
        "--no-accel", help="Run the pure-Python engine even when a fresh compiled build "
        "exists (dialer accel build; DIALER_ACCEL=off does the same).")] = False,
    limit_guard: Annotated[bool, typer.Option("--limit-guard", help=LIMIT_GUARD_HELP)] = False,
) -> None:
    """Simulate pacing policies on a scenario (same callees for every policy)."""
    from dialer.accel.loader import activate, engine_line, reinstall, worker_args

    activate("off" if no_accel else None)  # before any module it may load is imported
    import contextlib
    from concurrent.futures import ProcessPoolExecutor

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from pacing_models.params import parse_policy_specs
    from simulations.metrics import METRICS, run_replication, summarise
    from simulations.scenario import load_scenario

    specs = parse_policy_specs(policy)  # refuse bad policies and scenarios before processes
    from campaigns.cli_common import check_output_path, now
    from simulations.errors import SimulationError

    given = [option for option, value in (("--static-step", static_step),
                                          ("--static-top", static_top)) if value is not None]
    if given and not best_static:
        # They shape only the best-static search, and were ignored without it.
        raise SimulationError(f"{' and '.join(given)} {'set' if len(given) > 1 else 'sets'} "
                              "the dial levels --best-static searches: add --best-static")
    for option, path in (("--plot", plot), ("--write-scenario", write_scenario),
                         ("--report", report), ("--report-plot", report_plot)):
        check_output_path(option, path)  # before minutes of simulation, not after
    from simulations.cli_history import scenario_source

    source = scenario_source(scenario, from_campaign, db=db, home=home, days=days, tz=tz,
                             write_to=write_scenario, until=now(), quiet=as_json)
    scenario = source.path  # a built scenario's file lives as long as ``source``
    loaded = load_scenario(scenario)
    from simulations.cli_record import plan_recordings

    recording = plan_recordings(specs, f"sim-{from_campaign or Path(scenario).stem}", loaded,
                                record=record, db=db, home=home,
                                campaign_name=campaign_name, start=start, replace=replace,
                                report=report, report_plot=report_plot)
    guard_line = _limit_guard_line([spec.name for spec in specs], limit_guard)
    if recording is not None and limit_guard and guard_line is not None:
        # The recorder runs the raw policy: a recording beside guarded figures would differ.
        raise SimulationError("--limit-guard: --record, --report and --report-plot record "
                              "the raw policy; run them without --limit-guard")
    if recording is not None:
        from simulations.cli_record import check_names

        check_names(recording)  # a taken name stops the command before anything runs
    labels = [spec.label for spec in specs]
    jobs = [(str(scenario), spec.name, dict(spec.params), seed, r, limit_guard)
            for spec in specs for r in range(replications)]
    grid = None
    if best_static:
        from simulations.best_static import LevelGrid

        grid = LevelGrid(0.01 if static_step is None else static_step,
                         30.0 if static_top is None else static_top)
    runs: list[dict] = []
    in_process = workers == 1 or (len(jobs) == 1 and not best_static)
    with Progress(console=Console(stderr=True), transient=True) as progress, (
            contextlib.nullcontext() if in_process
            else ProcessPoolExecutor(min(workers, max(len(jobs), replications)),
                                     initializer=reinstall, initargs=worker_args())) as pool:
        run_all = map if pool is None else pool.map
        task = progress.add_task(
            f"simulating {len(policy)} policies × {replications} replications", total=len(jobs))
        for run in run_all(run_replication, jobs):
            runs.append(run)
            progress.advance(task)
        engine = _engine_here() if pool is None else pool.submit(_engine_here).result()
        results: dict[str, object] = {
            name: summarise(runs[i * replications:(i + 1) * replications])
            for i, name in enumerate(labels)
        }
        anchor = None
        if grid is not None:
            from simulations.best_static import search

            def evaluate(level: float) -> list[dict]:
                progress.update(task, description=f"best static: dial level {level:g}",
                                total=None, completed=0)
                return list(run_all(run_replication, [
                    (str(scenario), "ratio", {"dial_level": level}, seed, r, False)
                    for r in range(replications)]))

            anchor = search(evaluate, loaded.campaign.abandon_limit, grid)
            if anchor.level is not None:
                results[_static_label(anchor.level)] = summarise(list(anchor.runs))
    if plot is not None:
        from simulations.plot import simulation_figure, write_png

        talk, wrap = loaded.population.talk.mean, loaded.wrap.mean
        write_png(simulation_figure(
            results, loaded.campaign.abandon_limit,  # type: ignore[arg-type]
            f"{source.label}: {replications} replications, seed {seed}",
            talk / (talk + wrap) if talk + wrap > 0 else None), plot)
    practical = _practical_limit(loaded)
    document: dict[str, object] = {"scenario": source.label, "seed": seed,
                                   "replications": replications,
                                   "practical_talk_limit": practical, "policies": results,
                                   "engine": engine}
    if anchor is not None:
        document["best_static"] = _static_document(anchor)
    if source.history is not None:
        document["from_campaign"] = source.history.to_json()
    recorded = None
    if recording is not None:
        from simulations.cli_record import record_and_report

        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("recording", total=None)
            recorded = record_and_report(
                recording, loaded, seed,
                lambda what: progress.update(task, description=what))
        document["recorded"] = recorded
    if as_json:
        print(json.dumps(_jsonable(document)))
        return
    table = Table(title=f"{source.label} — {replications} replications, seed {seed} "
                        "(mean ± 95 % CI)")
    columns = list(results)
    table.add_column("metric")
    for name in columns:
        table.add_column(name, justify="right")
    for key in METRICS:
        cells = []
        for name in columns:
            m = results[name][key]  # type: ignore[index]
            ci = "" if math.isnan(m["ci95"]) else f" ± {m['ci95']:.4g}"
            cells.append(f"{m['mean']:.4g}{ci}")
        table.add_row(key, *cells)
    Console().print(table)
    if practical is not None:
        shares = ", ".join(
            f"{name} {results[name]['talk_fraction']['mean'] / practical:.3f}"  # type: ignore[index]
            for name in columns)
        Console().print(f"practical talk limit {practical:.4g} (agent time on machine answers "
                        f"counted, docs/pacing.md); share of it: {shares}", highlight=False)
    if anchor is not None:
        Console().print(_static_lines(anchor, results, labels), highlight=False)
    if guard_line is not None:
        Console(soft_wrap=True).print(guard_line, highlight=False)
    Console().print(engine_line(document["engine"]), highlight=False)  # type: ignore[arg-type]
    if "inbound" in results[labels[0]]:  # type: ignore[operator]
        from simulations.inbound_callers import queue_tables

        for extra in queue_tables(results, labels):  # type: ignore[arg-type]
            Console().print(extra)
    if recorded is not None:
        from simulations.cli_record import describe

        for line in describe(recorded):
            Console(soft_wrap=True).print(line, highlight=False)


def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    vary: Annotated[list[str], typer.Option(
        help="KEY=V1,V2,... (repeatable): a scenario key (agents, amd.false_positive) or a "
             "policy parameter (predictive.margin_z=2,3,4).")],
    policy: Annotated[list[str], typer.Option(
        help="Pacing policy, optionally with parameters: predictive:aim_cap=0.6 "
             "(repeatable; default: progressive and predictive side by side).")
    ] = ["progressive", "predictive"],
    replications: Annotated[int, typer.Option(
        min=1, max=MAX_REPLICATIONS,
        help="Runs per grid point and policy (different callee draws).")] = 3,
    seed: Annotated[int, typer.Option(min=0, help="Random seed of the first replication.")] = 1,
    workers: Annotated[int, typer.Option(min=1, max=MAX_WORKERS,
                                         help="Parallel processes.")] = 2,
    csv_file: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the rows to this CSV file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    plot: Annotated[Path | None, typer.Option(
        help="Write a PNG of the talk-fraction/abandonment frontier per policy.")] = None,
    no_accel: Annotated[bool, typer.Option(
        "--no-accel", help="Run the pure-Python engine even when a fresh compiled build "
        "exists (dialer accel build; DIALER_ACCEL=off does the same).")] = False,
    limit_guard: Annotated[bool, typer.Option("--limit-guard", help=LIMIT_GUARD_HELP)] = False,
) -> None:
    """Run a grid of scenario variations × policies in parallel processes."""
    from dialer.accel.loader import activate, engine_line, reinstall, worker_args

    activate("off" if no_accel else None)  # before any module it may load is imported
    import csv
    from concurrent.futures import ProcessPoolExecutor

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from campaigns.cli_common import check_output_path
    from pacing_models.params import parse_policy_specs
    from simulations.scenario import load_scenario
    from simulations.sweep import check_points, parse_vary, plan, run_point

    for option, path in (("--output", csv_file), ("--plot", plot)):
        check_output_path(option, path)  # before the grid runs, not after
    axes = parse_vary(vary)
    specs = parse_policy_specs(policy)
    base = load_scenario(scenario)
    jobs = plan(str(scenario), axes, specs, replications, seed, limit_guard)
    for key, value in jobs[0].scenario_point.items():
        base.varied(key, value)  # refuse unknown keys before starting processes
    check_points(base, axes, Path(scenario))
    rows = []
    with Progress(console=Console(stderr=True), transient=True) as progress, \
            ProcessPoolExecutor(workers, initializer=reinstall,
                                initargs=worker_args()) as pool:
        task = progress.add_task("sweeping", total=len(jobs))
        for row in pool.map(run_point, jobs):
            rows.append(row)
            progress.advance(task)
        engine = pool.submit(_engine_here).result()
    if plot is not None:
        from simulations.plot import sweep_figure, write_png

        names = [axis.key for axis in axes]
        write_png(sweep_figure(rows, names, base.campaign.abandon_limit,
                               f"sweep of {scenario.name} over {', '.join(names)}",
                               policy_keys=[a.key for a in axes if a.policy is not None]),
                  plot)
    if csv_file is not None:
        with csv_file.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    if as_json:
        print(json.dumps(_jsonable({"scenario": str(scenario), "rows": rows,
                                    "engine": engine})))
        return
    table = Table(title=f"sweep of {scenario}")
    columns = [axis.key for axis in axes] + ["policy", "talk_fraction", "abandon_rate",
                                             "max_window_abandon_rate", "occupancy"]
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(_cell(row, c) for c in columns))
    Console().print(table)
    Console().print(f"means of {replications} replications ± half-width of the 95 % "
                    "confidence interval (Student t)")
    guard_line = _limit_guard_line([spec.name for spec in specs], limit_guard)
    if guard_line is not None:
        Console(soft_wrap=True).print(guard_line, highlight=False)
    Console().print(engine_line(engine), highlight=False)


def _engine_here() -> dict[str, object]:
    """Which engine this process runs, the compiled one or the Python sources (its driver
    imported): asked of a worker of the pool, so the report says what ran the figures."""
    import simulations.driver  # noqa: F401
    from dialer.accel.loader import engine_report

    return engine_report()


def _cell(row: dict[str, Any], column: str) -> str:
    """A sweep table cell: a metric as ``mean ± 95 % CI half-width``, a grid value as is."""
    value = row[column]
    if value is None:
        return "—"
    if not isinstance(value, float):
        return str(value)
    half = row.get(f"{column}_ci95")
    if half is None or not math.isfinite(half):
        return f"{value:.4g}"
    return f"{value:.4g} ± {half:.2g}"


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    switch_cli.register(app)
    app.command("simulate")(simulate)
    app.command("sweep")(sweep)
