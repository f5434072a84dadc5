"""Command-line commands of ``pacing_models``: ``dialer erlang b|c|a`` and ``dialer staff``.

Thin: parse, call ``pacing_models.erlang`` / ``pacing_models.staffing``, render with rich
or print one JSON document (``--json``). Flags are documented in docs/pacing.md.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated

import typer

from pacing_models.errors import InvalidParameterError

if TYPE_CHECKING:
    from pacing_models.staffing import StaffingQuestion

AgentsOpt = Annotated[int, typer.Option("--agents", "-n", help="Agents (servers, trunks).")]
RateOpt = Annotated[
    float | None, typer.Option("--calls-per-hour", help="Offered calls per hour.")
]
ErlangsOpt = Annotated[
    float | None, typer.Option("--erlangs", help="Offered load in Erlangs (instead of a rate).")
]
AhtOpt = Annotated[float, typer.Option("--aht", metavar="SECONDS",
                                       help="Mean handle time, seconds.")]
WithinOpt = Annotated[
    float, typer.Option("--within", metavar="SECONDS", help="Service-level threshold, seconds.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def _traffic(calls_per_hour: float | None, erlangs: float | None, aht: float) -> float:
    from pacing_models.erlang import traffic_from_rate

    if (calls_per_hour is None) == (erlangs is None):
        raise InvalidParameterError("give exactly one of --calls-per-hour or --erlangs")
    if erlangs is not None:
        if not (erlangs >= 0 and math.isfinite(erlangs)):
            raise InvalidParameterError(f"--erlangs must be a finite number ≥ 0, got {erlangs}")
        return erlangs
    return traffic_from_rate(calls_per_hour, aht)  # type: ignore[arg-type]


EXACT_AGENTS = 5000
EXACT_ERLANGS = 4000.0
"""The range the Erlang formulas are tested exact in (1e-9 against a 60-digit oracle,
docs/pacing.md, "Numerical method"). ``dialer erlang`` answers inside it and refuses outside:
``--erlangs 1e12`` or ``--agents 1000000000`` printed a figure nobody had checked (and the
series behind Erlang A runs to its term cap there) as if it were as good as the rest."""


def _exact_question(agents: int, traffic: float, calls_per_hour: float | None,
                    aht: float) -> None:
    """Refuse agents or a load outside the tested range, naming the option given."""
    if not 0 <= agents <= EXACT_AGENTS:
        raise InvalidParameterError(
            f"--agents {agents} is outside 0-{EXACT_AGENTS:,}: the formulas are exact to "
            f"{EXACT_AGENTS:,} agents and {EXACT_ERLANGS:,.0f} Erlangs (docs/pacing.md)")
    if traffic <= EXACT_ERLANGS:
        return
    if calls_per_hour is not None:
        top = EXACT_ERLANGS * 3600.0 / aht
        raise InvalidParameterError(
            f"--calls-per-hour {calls_per_hour:g} is outside its range: at most {top:,.0f} "
            f"with --aht {aht:g} ({EXACT_ERLANGS:,.0f} Erlangs, the load the formulas are "
            "exact to, docs/pacing.md)")
    raise InvalidParameterError(
        f"--erlangs {traffic:g} is outside 0-{EXACT_ERLANGS:,.0f}: the formulas are exact to "
        f"{EXACT_AGENTS:,} agents and {EXACT_ERLANGS:,.0f} Erlangs (docs/pacing.md)")


def _erlang_traffic(agents: int, calls_per_hour: float | None, erlangs: float | None,
                    aht: float) -> float:
    """The load of ``dialer erlang b|c|a``, inside the range the formulas are exact in."""
    traffic = _traffic(calls_per_hour, erlangs, aht)
    _exact_question(agents, traffic, calls_per_hour, aht)
    return traffic


def _staffable_traffic(calls_per_hour: float | None, erlangs: float | None, aht: float) -> float:
    """The load ``staff`` sizes, refused outside (0, EXACT_ERLANGS] with the reason.

    No load needs no agents (0 is a typo, not a question), and ``staff`` answers in the
    range ``dialer erlang`` does: it sized up to 100,000 agents, printing figures the
    formulas are not tested exact for (1e300 calls an hour was a ZeroDivisionError).
    """
    given = calls_per_hour if calls_per_hour is not None else erlangs
    if given is not None and math.isfinite(given) and given > 0 and math.isfinite(aht):
        traffic = _traffic(calls_per_hour, erlangs, aht)
        if traffic <= EXACT_ERLANGS:
            return traffic
    if given is None or not (aht > 0 and math.isfinite(aht)):
        return _traffic(calls_per_hour, erlangs, aht)  # refuses with its own line
    exact = (f"{EXACT_ERLANGS:,.0f} Erlangs, the load the formulas are exact to with "
             f"{EXACT_AGENTS:,} agents, docs/pacing.md")
    if calls_per_hour is not None:
        top = EXACT_ERLANGS * 3600.0 / aht
        raise InvalidParameterError(
            f"--calls-per-hour {calls_per_hour:g} is outside its range: more than 0 (no calls "
            f"need no agents) and at most {top:,.0f} with --aht {aht:g} ({exact})"
        )
    raise InvalidParameterError(
        f"--erlangs {erlangs:g} is outside its range: more than 0 (no load needs no agents) "
        f"and at most {EXACT_ERLANGS:,.0f} ({exact})"
    )


def _carried_traffic(question: StaffingQuestion, agents: int) -> float:
    """The most load ``agents`` carry at the target, inside the exact range or refused."""
    from pacing_models.staffing import max_traffic

    if not 1 <= agents <= EXACT_AGENTS:
        raise InvalidParameterError(
            f"--agents {agents} is outside 1-{EXACT_AGENTS:,}: the formulas are exact to "
            f"{EXACT_AGENTS:,} agents and {EXACT_ERLANGS:,.0f} Erlangs (docs/pacing.md)")
    traffic = max_traffic(question, agents)
    if math.isfinite(traffic) and traffic > EXACT_ERLANGS:
        raise InvalidParameterError(
            f"--agents {agents}: {agents:,} agents carry more than {EXACT_ERLANGS:,.0f} Erlangs at "
            f"{question.goal.value} {question.target:g}: beyond the load the formulas are "
            f"exact to ({EXACT_AGENTS:,} agents, {EXACT_ERLANGS:,.0f} Erlangs, docs/pacing.md)")
    return traffic


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no infinity; null means "unbounded" (documented)
    return value


def _emit(title: str, rows: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({k: _jsonable(v) for k, v in rows.items()}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_header=True)
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key, value in rows.items():
        if isinstance(value, float):
            text = "∞" if math.isinf(value) else f"{value:.6g}"
        else:
            text = str(value)
        table.add_row(key.replace("_", " "), text)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``erlang`` (sub-app with b, c, a) and ``staff`` to the root ``dialer`` app."""
    erlang_app = typer.Typer(
        name="erlang", help="Queueing formulas: Erlang B, C and A.", no_args_is_help=True
    )

    @erlang_app.command("b")
    def erlang_b_command(
        agents: AgentsOpt,
        calls_per_hour: RateOpt = None,
        erlangs: ErlangsOpt = None,
        aht: AhtOpt = 180.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Erlang B: probability that a call finds every line busy and is lost."""
        from pacing_models.erlang import erlang_b

        traffic = _erlang_traffic(agents, calls_per_hour, erlangs, aht)
        blocking = erlang_b(agents, traffic)
        rows = {
            "model": "erlang-b", "agents": agents, "traffic_erlangs": traffic,
            "blocking": blocking, "carried_erlangs": traffic * (1 - blocking),
        }
        _emit("Erlang B (M/M/n/n)", rows, as_json)

    @erlang_app.command("c")
    def erlang_c_command(
        agents: AgentsOpt,
        calls_per_hour: RateOpt = None,
        erlangs: ErlangsOpt = None,
        aht: AhtOpt = 180.0,
        within: WithinOpt = 20.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Erlang C: probability of waiting, average speed of answer, service level."""
        from pacing_models.erlang import erlang_c_measures

        traffic = _erlang_traffic(agents, calls_per_hour, erlangs, aht)
        result = erlang_c_measures(agents, traffic, aht, within)
        rows = {"model": "erlang-c", **asdict(result)}
        rows["traffic_erlangs"] = rows.pop("traffic")
        _emit("Erlang C (M/M/n)", rows, as_json)

    @erlang_app.command("a")
    def erlang_a_command(
        agents: AgentsOpt,
        patience: Annotated[
            float, typer.Option("--patience", metavar="SECONDS",
                                help="Mean seconds a caller waits before hanging up.")
        ],
        calls_per_hour: RateOpt = None,
        erlangs: ErlangsOpt = None,
        aht: AhtOpt = 180.0,
        within: WithinOpt = 20.0,
        as_json: JsonOpt = False,
    ) -> None:
        """Erlang A (M/M/n+M): waiting, abandonment, ASA and service level with impatience."""
        from pacing_models.erlang import erlang_a

        traffic = _erlang_traffic(agents, calls_per_hour, erlangs, aht)
        rows = {"model": "erlang-a", **asdict(erlang_a(agents, traffic, aht, patience, within))}
        rows["traffic_erlangs"] = rows.pop("traffic")
        _emit("Erlang A (M/M/n+M)", rows, as_json)

    app.add_typer(erlang_app)

    @app.command("staff")
    def staff_command(
        model: Annotated[str, typer.Option("--model", help="b, c or a.")] = "c",
        service_level: Annotated[
            float | None,
            typer.Option("--service-level", metavar="FRACTION",
                         help="Target share answered within --within (0.8)."),
        ] = None,
        abandon: Annotated[
            float | None, typer.Option("--abandon", metavar="FRACTION",
                                       help="Target P(abandon) (Erlang A), e.g. 0.03.")
        ] = None,
        blocking: Annotated[
            float | None,
            typer.Option("--blocking", metavar="FRACTION",
                         help="Target P(blocked) (Erlang B), e.g. 0.01."),
        ] = None,
        asa: Annotated[
            float | None, typer.Option("--asa", metavar="SECONDS",
                                       help="Target average speed of answer, seconds.")
        ] = None,
        calls_per_hour: RateOpt = None,
        erlangs: ErlangsOpt = None,
        agents: Annotated[
            int | None,
            typer.Option("--agents", "-n", help="Instead of a load: the most traffic they carry."),
        ] = None,
        aht: AhtOpt = 180.0,
        within: WithinOpt = 20.0,
        patience: Annotated[
            float | None, typer.Option("--patience", metavar="SECONDS",
                                       help="Mean patience, seconds (Erlang A).")
        ] = None,
        as_json: JsonOpt = False,
    ) -> None:
        """Fewest agents for a target, or (with --agents) the most traffic they can carry."""
        from pacing_models.staffing import (
            Goal,
            Model,
            StaffingQuestion,
            achieved,
            agents_needed,
        )

        goals = {
            Goal.SERVICE_LEVEL: service_level, Goal.ABANDON: abandon,
            Goal.BLOCKING: blocking, Goal.ASA: asa,
        }
        chosen = [(g, v) for g, v in goals.items() if v is not None]
        if len(chosen) != 1:
            raise InvalidParameterError(
                "give exactly one target: --service-level, --abandon, --blocking or --asa"
            )
        try:
            model_enum = Model(model.lower())
        except ValueError:
            raise InvalidParameterError(f"--model must be b, c or a, got {model!r}") from None
        goal, target = chosen[0]
        question = StaffingQuestion(model_enum, goal, float(target), aht, within, patience)
        rows: dict[str, object] = {"model": model_enum.value, "goal": goal.value, "target": target}
        if agents is not None:
            if calls_per_hour is not None or erlangs is not None:
                raise InvalidParameterError("with --agents, leave out the load (it is the answer)")
            traffic = _carried_traffic(question, agents)
            rows.update(
                agents=agents, max_traffic_erlangs=traffic,
                max_calls_per_hour=traffic * 3600.0 / aht,
            )
            if math.isfinite(traffic):
                rows["achieved"] = achieved(question, agents, traffic)
        else:
            traffic = _staffable_traffic(calls_per_hour, erlangs, aht)
            needed = agents_needed(question, traffic, max_agents=EXACT_AGENTS)
            rows.update(
                traffic_erlangs=traffic, agents=needed,
                achieved=achieved(question, needed, traffic),
            )
            if needed > 0:
                rows["achieved_with_one_fewer"] = achieved(question, needed - 1, traffic)
        _emit("Staffing", rows, as_json)
