"""``dialer gateway add|edit|list|show|health``: carriers' gateways per switch.

Thin: parse, validate by building the router's ``GatewaySpec`` (``dialer.runner.carriers``),
store (``campaigns.gateways``), render. Nothing is stored unless the whole gateway, cost
table included, is valid.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import DbOption, HomeOption, JsonOption, emit, make_console

gateway_app = typer.Typer(help="Carriers' gateways (SIP trunks) per switch: capacity, calls "
                          "per second, cost tables for least-cost routing, health.",
                          no_args_is_help=True)

NameArg = Annotated[str, typer.Argument(help="Gateway name (as the switch knows it: "
                                        "sofia/gateway/NAME).")]
SwitchOpt = Annotated[str | None, typer.Option(
    "--switch", help="The switch that has the gateway: its event socket as HOST:PORT or "
    "esl://HOST[:PORT] (as `dialer run --switch`; port 8021 when left out).")]
RatesOpt = Annotated[Path | None, typer.Option(
    "--rates", help="Cost table CSV: prefix,cost_per_minute,increments (60/60, 6/6 ...). "
    "Refused whole if any row is bad.")]
VarOpt = Annotated[list[str] | None, typer.Option(
    "--var", help="Channel variable on every call through it, NAME=VALUE (repeatable); "
    "VALUE may use {caller_id} and {attestation} (STIR/SHAKEN), e.g. "
    "sip_h_X-Attestation={attestation}. NAME= removes one.")]
HealthOpt = Annotated[list[str] | None, typer.Option(
    "--health", help="Health threshold KEY=VALUE (repeatable): min_asr, "
    "max_carrier_failures, max_post_dial_delay, max_short_calls, short_call_seconds, "
    "window_calls, min_calls, min_answered, quarantine_seconds, max_quarantine_seconds, "
    "probe_calls.")]


def _switch_id(value: str) -> str:
    from dialer.runner.settings import parse_switches

    [(switch_id, _)] = parse_switches([value])
    return switch_id


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    from campaigns.gateways import GatewayError

    out: dict[str, str] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise GatewayError(f"{what} {item!r}: write NAME=VALUE")
        out[name.strip()] = value.strip()
    return out


def _rates(path: Path | None) -> Any:
    if path is None:
        return None
    from campaigns.gateways import read_rates

    return read_rates(path)


def _check(values: dict[str, Any], rates: Any) -> None:
    """Build the router's spec: a gateway it would refuse is never stored."""
    from campaigns.gateways import GatewayError
    from campaigns.models import Gateway
    from dialer.engine.gateways import GatewayConfigError
    from dialer.runner.carriers import gateway_spec

    try:
        gateway_spec(Gateway(**values), rates or [])
    except GatewayConfigError as error:
        raise GatewayError(str(error)) from None


def _doc(row: Any, rates: list[Any], full_rates: bool = False) -> dict[str, Any]:
    doc = {"name": row.name, "switch": row.switch, "channels": row.channels, "cps": row.cps,
           "priority": row.priority, "enabled": row.enabled, "dial_string": row.dial_string,
           "variables": row.variables or {}, "health": row.health or {},
           "rates": len(rates), "rates_source": row.rates_source,
           "updated_at": row.updated_at}
    if full_rates:
        doc["rate_table"] = [{"prefix": r.prefix, "cost_per_minute": r.cost_per_minute,
                              "increments": f"{r.first_increment}/{r.next_increment}"}
                             for r in rates]
    return doc


@gateway_app.command("add")
def gateway_add(
    name: NameArg,
    switch: SwitchOpt = None,
    channels: Annotated[int, typer.Option("--channels", help="Calls at once the trunk "
                                          "carries (never exceeded; 1 to 10,000).")] = 0,
    cps: Annotated[int, typer.Option("--cps", help="Calls per second the carrier accepts "
                                     "(in any one-second window; 1 to 1,000).")] = 0,
    priority: Annotated[int, typer.Option("--priority", help="Lower is preferred between "
                                          "gateways of equal cost (0 to 1,000).")] = 0,
    rates: RatesOpt = None,
    dial_string: Annotated[str, typer.Option(
        "--dial-string", help="Endpoint template: {gateway}, {number} (E.164), {digits} "
        "(without +).")] = "sofia/gateway/{gateway}/{number}",
    var: VarOpt = None, health: HealthOpt = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Store it switched off.")
                        ] = False,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Add a gateway of a switch (--switch, --channels and --cps are required)."""
    from campaigns.cli_common import open_store
    from campaigns.gateways import GatewayError, add_gateway

    if switch is None or channels < 1 or cps < 1:
        raise GatewayError("gateway add needs --switch HOST:PORT, --channels N and --cps N "
                           "(N >= 1): the carrier's limits are the operator's to state")
    values = {"name": name, "switch": _switch_id(switch), "channels": channels, "cps": cps,
              "priority": priority, "dial_string": dial_string, "enabled": not disabled,
              "variables": {k: v for k, v in _pairs(var, "--var").items() if v},
              "health": _pairs(health, "--health")}
    table = _rates(rates)
    _check(values, table)
    row = add_gateway(open_store(db, home), values, table, str(rates) if rates else None)
    doc = _doc(row, table or [])
    if as_json:
        emit(doc)
    else:
        typer.echo(f"gateway {row.name} on {row.switch}: {row.channels} channels, {row.cps} "
                   f"calls/s, {len(table or [])} rates"
                   + ("" if table else " (no cost table: serves every destination, ranked "
                      "after priced gateways)"))


@gateway_app.command("edit")
def gateway_edit(
    name: NameArg,
    switch: SwitchOpt = None,
    channels: Annotated[int | None, typer.Option("--channels", help="New channel "
                                                 "capacity.")] = None,
    cps: Annotated[int | None, typer.Option("--cps", help="New calls-per-second limit.")
                   ] = None,
    priority: Annotated[int | None, typer.Option("--priority", help="New priority (lower "
                                                 "is preferred at equal cost).")] = None,
    rates: RatesOpt = None,
    dial_string: Annotated[str | None, typer.Option("--dial-string", help="New endpoint "
                                                    "template ({gateway}, {number}, "
                                                    "{digits}).")] = None,
    var: VarOpt = None, health: HealthOpt = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable",
                                                help="Switch it on or off.")] = None,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Change a gateway; --rates replaces its whole cost table. A running dialer reads
    the change at its next start."""
    from campaigns.cli_common import open_store
    from campaigns.gateways import edit_gateway, gateway, gateway_rates

    store = open_store(db, home)
    switch_id = _switch_id(switch) if switch else None
    row = gateway(store, name, switch_id)
    changes: dict[str, Any] = {k: v for k, v in (
        ("channels", channels), ("cps", cps), ("priority", priority),
        ("dial_string", dial_string), ("enabled", enable)) if v is not None}
    if var:
        variables = dict(row.variables or {})
        for key, value in _pairs(var, "--var").items():
            if value:
                variables[key] = value
            else:
                variables.pop(key, None)
        changes["variables"] = variables
    if health:
        changes["health"] = {**(row.health or {}), **_pairs(health, "--health")}
    table = _rates(rates)
    values = {k: getattr(row, k) for k in ("name", "switch", "channels", "cps", "priority",
                                           "dial_string", "enabled", "variables", "health")}
    values.update(changes)
    _check(values, table if table is not None else gateway_rates(store, row.id))
    row = edit_gateway(store, name, row.switch, changes, table, str(rates) if rates else None)
    doc = _doc(row, gateway_rates(store, row.id))
    if as_json:
        emit(doc)
    else:
        typer.echo(f"gateway {row.name} on {row.switch} changed")


@gateway_app.command("list")
def gateway_list(db: DbOption = None, home: HomeOption = None,
                 as_json: JsonOption = False) -> None:
    """Every gateway with its switch, limits and cost-table size (reads only)."""
    from rich.table import Table

    from campaigns.cli_common import read_store
    from campaigns.gateways import gateway_rates, gateways

    store = read_store(db, home)
    docs = [_doc(row, gateway_rates(store, row.id)) for row in gateways(store)]
    if as_json:
        emit(docs)
        return
    if not docs:
        typer.echo("no gateways: calls go out through `dialer run --gateway NAME` "
                   "(add one with `dialer gateway add NAME --switch HOST:PORT --channels N "
                   "--cps N`)")
        return
    table = Table("switch", "gateway", "channels", "cps", "priority", "rates", "state")
    for doc in docs:
        table.add_row(doc["switch"], doc["name"], str(doc["channels"]), str(doc["cps"]),
                      str(doc["priority"]), str(doc["rates"]) if doc["rates"] else "all",
                      "enabled" if doc["enabled"] else "disabled")
    make_console().print(table)


@gateway_app.command("show")
def gateway_show(name: NameArg, switch: SwitchOpt = None, db: DbOption = None,
                 home: HomeOption = None, as_json: JsonOption = False) -> None:
    """One gateway's settings and its whole cost table (reads only)."""
    from campaigns.cli_common import read_store
    from campaigns.gateways import gateway, gateway_rates

    store = read_store(db, home)
    row = gateway(store, name, _switch_id(switch) if switch else None)
    doc = _doc(row, gateway_rates(store, row.id), full_rates=True)
    if as_json:
        emit(doc)
        return
    console = make_console()
    for key in ("name", "switch", "channels", "cps", "priority", "enabled", "dial_string",
                "variables", "health", "rates_source"):
        console.print(f"{key}: {doc[key]}", highlight=False)
    console.print(f"cost table: {len(doc['rate_table'])} prefixes", highlight=False)
    for rate in doc["rate_table"][:50]:
        console.print(f"  +{rate['prefix']:<16} {rate['cost_per_minute']:>10.5f}/min  "
                      f"{rate['increments']}", highlight=False)
    if len(doc["rate_table"]) > 50:
        console.print(f"  … {len(doc['rate_table']) - 50} more (--json for all)")


@gateway_app.command("health")
def gateway_health(
    campaign: Annotated[str | None, typer.Option(
        "--campaign", help="Live figures from this campaign's running dialer (its router's "
        "state: quarantine, probing, rolling ASR, post-dial delay, causes).")] = None,
    instance: Annotated[str | None, typer.Option("--instance", help="The dialer process "
                                                 "of --campaign, when several.")] = None,
    minutes: Annotated[float, typer.Option("--minutes", metavar="MINUTES",
                                           help="Without --campaign: the "
                                           "journal's figures over this many minutes.")
                       ] = 60.0,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Per gateway: state, channels in use, answer-seizure ratio, post-dial delay, carrier
    failures, short calls and the cause mix (live from a running dialer with --campaign,
    else from the journal)."""
    if campaign is not None:
        _live_health(campaign, instance, home, as_json)
        return
    from campaigns.gateways import GatewayError

    if not 0 < minutes <= 366 * 24 * 60:  # NaN too; a traceback for NaN and 1e300
        raise GatewayError(f"--minutes {minutes:g}: the journal's last N minutes, more than "
                           "0 and at most a year (527040)")
    from campaigns.cli_common import now, read_store
    from campaigns.gateways import gateway_attempt_counts, gateways

    store = read_store(db, home)
    counts = gateway_attempt_counts(store, now() - timedelta(minutes=minutes))
    docs = []
    for row in gateways(store):
        found = counts.get((row.switch, row.name), {"attempts": 0, "answered": 0,
                                                     "failover_legs": 0})
        attempts = found["attempts"]
        docs.append({"gateway": row.name, "switch": row.switch,
                     "state": "enabled" if row.enabled else "disabled",
                     "attempts": attempts, "answered": found["answered"],
                     "asr": found["answered"] / attempts if attempts else None,
                     "failover_legs": found["failover_legs"], "minutes": minutes})
    if as_json:
        emit(docs)
        return
    from rich.table import Table

    table = Table("switch", "gateway", "state", f"attempts ({minutes:g} min)", "ASR",
                  "failover legs")
    for doc in docs:
        table.add_row(doc["switch"], doc["gateway"], doc["state"], str(doc["attempts"]),
                      "—" if doc["asr"] is None else f"{doc['asr']:.0%}",
                      str(doc["failover_legs"]))
    make_console().print(table)


def _live_health(campaign: str, instance: str | None, home: Path | None,
                 as_json: bool) -> None:
    from dialer.runner.control import request_sync
    from dialer.runner.errors import RunnerError
    from dialer.runner.settings import control_socket_path, data_dir

    path = control_socket_path(home or data_dir(), campaign, instance)
    try:
        answer = request_sync(path, {"op": "gateways"})
    except (OSError, RunnerError) as error:
        raise RunnerError(f"campaign {campaign!r} is not running here ({error}); without "
                          "--campaign the journal's figures are shown") from None
    if not answer.get("ok"):
        raise RunnerError(str(answer.get("error", "the dialer refused the request")))
    docs = answer.get("gateways", [])
    if as_json:
        emit(docs)
        return
    from rich.table import Table

    table = Table("switch", "gateway", "state", "in use", "cps now", "ASR", "PDD",
                  "carrier fail", "short", "failovers", "top causes")

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.0%}"

    for doc in docs:
        causes = ", ".join(f"{k} {v}" for k, v in list(doc["causes"].items())[:3])
        table.add_row(doc["switch_id"], doc["gateway"], doc["state"],
                      f"{doc['channels_in_use']}/{doc['channels']}",
                      f"{doc['calls_last_second']}/{doc['cps']}", pct(doc["asr"]),
                      "—" if doc["post_dial_delay"] is None else
                      f"{doc['post_dial_delay']:.1f} s",
                      pct(doc["carrier_failure_ratio"]), pct(doc["short_call_ratio"]),
                      str(doc["failovers"]), causes)
    make_console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(gateway_app, name="gateway")
