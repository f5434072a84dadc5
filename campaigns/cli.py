"""``dialer db``, ``dialer campaign``, ``dialer leads`` and ``dialer report``.

Thin commands: parse, call ``campaigns``, render with rich (or one JSON document with
``--json``). Heavy modules are imported inside the commands so ``dialer --help`` is fast.
The database is ``--db URL``, else ``$DIALER_DB``, else ``sqlite:///<data>/dialer.db``.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database URL (default: $DIALER_DB, else sqlite:///<data>/dialer.db).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Any setting as KEY=VALUE (VALUE is JSON when it parses, e.g. "
    "retry_rules='{\"busy\":{\"delay_minutes\":10}}'). Repeatable.")]

db_app = typer.Typer(help="The campaign database (schema migrations).", no_args_is_help=True)
campaign_app = typer.Typer(help="Create, inspect, edit and start/stop campaigns.",
                           no_args_is_help=True)
leads_app = typer.Typer(help="Import, list and export leads.", no_args_is_help=True)


def data_home(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """``$DIALER_HOME``, else ``$XDG_DATA_HOME/dialer``, else ``~/.local/share/dialer``."""
    if environ.get("DIALER_HOME"):
        return Path(environ["DIALER_HOME"])
    if environ.get("XDG_DATA_HOME"):
        return Path(environ["XDG_DATA_HOME"]) / "dialer"
    return Path.home() / ".local" / "share" / "dialer"


def database_url(db: str | None, environ: dict[str, str] | os._Environ[str] = os.environ
                 ) -> str:
    return db or environ.get("DIALER_DB") or f"sqlite:///{data_home(environ) / 'dialer.db'}"


def _open(db: str | None) -> CampaignStore:
    from campaigns.store import CampaignStore

    return CampaignStore.open(database_url(db))


def _now() -> datetime:
    return datetime.now(UTC)


def _emit(document: Any) -> None:
    typer.echo(json.dumps(document, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr)


def _parse_sets(pairs: list[str] | None) -> dict[str, Any]:
    from campaigns.errors import CampaignError

    changes: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise CampaignError(f"--set {pair!r}: write KEY=VALUE")
        try:
            changes[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            changes[key.strip()] = raw
    return changes


def _settings_from_flags(caller_id: list[str] | None, ring_timeout: float | None,
                         abandon_target: float | None, pacing: str | None,
                         jurisdiction: str | None, amd: bool | None, recording: bool | None,
                         sets: list[str] | None) -> dict[str, Any]:
    changes = {key: value for key, value in {
        "caller_ids": caller_id or None, "ring_timeout": ring_timeout,
        "abandon_target": abandon_target, "pacing_policy": pacing,
        "jurisdiction": jurisdiction, "amd_enabled": amd, "recording_enabled": recording,
    }.items() if value is not None}
    changes.update(_parse_sets(sets))
    return changes


def _campaign_doc(store: CampaignStore, name: str | int) -> dict[str, Any]:
    campaign = store.campaign(name)
    return {
        "id": campaign.id, "name": campaign.name, "state": campaign.state,
        "created_at": campaign.created_at, "updated_at": campaign.updated_at,
        "settings": campaign.settings,
        "agents": [{"name": a.name, "endpoint": a.endpoint} for a in store.agents(campaign.id)],
        "leads": store.lead_status_counts(campaign.id),
        "lists": [{"id": x.id, "name": x.name, "imported": x.imported_rows,
                   "rejected": x.rejected_rows} for x in store.lead_lists(campaign.id)],
    }


def _show_campaign(doc: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{doc['name']}[/] (id {doc['id']}) — state [bold]{doc['state']}[/]")
    table = Table("setting", "value", show_header=True)
    for key, value in doc["settings"].items():
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    console.print(table)
    agents = ", ".join(f"{a['name']} ({a['endpoint']})" for a in doc["agents"]) or "none"
    console.print(f"agents: {agents}")
    leads = ", ".join(f"{k} {v:,}" for k, v in sorted(doc["leads"].items())) or "none"
    console.print(f"leads: {leads}")


# -- db ----------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create the database or bring its schema to the newest version (Alembic)."""
    from campaigns import db as database

    url = database_url(db)
    engine = database.open_engine(url)
    before = database.current_revision(engine)
    after = database.upgrade(engine)
    engine.dispose()
    if as_json:
        _emit({"url": url, "from": before, "to": after})
    else:
        _console().print(f"{url}: schema {before or 'empty'} → [bold]{after}[/]")


# -- campaign ----------------------------------------------------------------------------

@campaign_app.command("create")
def campaign_create(
    name: Annotated[str, typer.Argument(help="Campaign name.")],
    caller_id: Annotated[list[str] | None, typer.Option(
        "--caller-id", help="E.164 caller ID (repeatable).")] = None,
    ring_timeout: Annotated[float | None, typer.Option(help="Seconds, at least 15.")] = None,
    abandon_target: Annotated[float | None, typer.Option(help="Fraction, at most 0.03.")]
    = None,
    pacing: Annotated[str | None, typer.Option(help="Pacing policy name.")] = None,
    jurisdiction: Annotated[str | None, typer.Option(
        help="Compliance profiles: us, us_federal, us_state, reg_f, uk.")] = None,
    amd: Annotated[bool | None, typer.Option("--amd/--no-amd", help="Answering-machine "
                                             "detection.")] = None,
    recording: Annotated[bool | None, typer.Option("--recording/--no-recording")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT, e.g. ann=user/1001 (repeatable).")] = None,
    sets: SetOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign (state draft)."""
    from campaigns.errors import CampaignError

    agents = []
    for item in agent or []:
        agent_name, sep, endpoint = item.partition("=")
        if not sep:
            raise CampaignError(f"--agent {item!r}: write NAME=ENDPOINT")
        agents.append((agent_name, endpoint))
    store = _open(db)
    settings = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                    jurisdiction, amd, recording, sets)
    store.create_campaign(name, settings, at=_now(), agents=agents)
    doc = _campaign_doc(store, name)
    _emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("list")
def campaign_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List campaigns with their state and lead counts."""
    from rich.table import Table

    store = _open(db)
    rows = [{"id": c.id, "name": c.name, "state": c.state,
             "leads": sum(store.lead_status_counts(c.id).values()),
             "updated_at": c.updated_at} for c in store.campaigns()]
    if as_json:
        _emit(rows)
        return
    table = Table("id", "name", "state", "leads", "updated (UTC)")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["state"], f"{row['leads']:,}",
                      f"{row['updated_at']:%Y-%m-%d %H:%M}" if row["updated_at"] else "")
    _console().print(table)


@campaign_app.command("show")
def campaign_show(name: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Settings, agents and lead counts of one campaign."""
    doc = _campaign_doc(_open(db), name)
    _emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("edit")
def campaign_edit(
    name: str,
    caller_id: Annotated[list[str] | None, typer.Option("--caller-id")] = None,
    ring_timeout: Annotated[float | None, typer.Option()] = None,
    abandon_target: Annotated[float | None, typer.Option()] = None,
    pacing: Annotated[str | None, typer.Option()] = None,
    jurisdiction: Annotated[str | None, typer.Option()] = None,
    amd: Annotated[bool | None, typer.Option("--amd/--no-amd")] = None,
    recording: Annotated[bool | None, typer.Option("--recording/--no-recording")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT to add or update (repeatable).")] = None,
    sets: SetOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change settings (validated; the campaign keeps the others)."""
    store = _open(db)
    changes = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                   jurisdiction, amd, recording, sets)
    if changes:
        store.edit_campaign(name, changes, at=_now())
    for item in agent or []:
        agent_name, _, endpoint = item.partition("=")
        store.add_agent(agent_name, endpoint, campaign=name)
    doc = _campaign_doc(store, name)
    _emit(doc) if as_json else _show_campaign(doc)


def _transition_command(target: str, verb: str) -> None:
    def command(name: str, db: DbOption = None, as_json: JsonOption = False) -> None:
        campaign = _open(db).transition_campaign(name, target, at=_now())
        if as_json:
            _emit({"name": campaign.name, "state": campaign.state})
        else:
            _console().print(f"campaign {campaign.name}: [bold]{campaign.state}[/]")

    command.__doc__ = f"{verb.capitalize()} a campaign (state {target})."
    campaign_app.command(verb)(command)


for _target, _verb in (("running", "start"), ("paused", "pause"), ("stopped", "stop"),
                       ("archived", "archive")):
    _transition_command(_target, _verb)


# -- leads -------------------------------------------------------------------------------

def _mapping_from_flags(pairs: list[str] | None) -> dict[str, list[str]]:
    from campaigns.errors import CampaignError

    mapping: dict[str, list[str]] = {}
    for pair in pairs or []:
        field, sep, column = pair.partition("=")
        if not sep:
            raise CampaignError(f"--map {pair!r}: write FIELD=COLUMN, e.g. phone=Telephone")
        mapping.setdefault(field.strip(), []).append(column.strip())
    return mapping


def _show_preview(table: Any, mapping: dict[str, list[str]], path: Path) -> None:
    from rich.table import Table

    console = _console(stderr=True)
    where = f"encoding {table.encoding}, delimiter {table.delimiter!r}" if table.encoding \
        else "XLSX"
    console.print(f"[bold]{path}[/] ({where}): column mapping")
    by_column = {column: field for field, columns in mapping.items() for column in columns}
    preview = Table("column", "→ field", "sample values")
    for column in table.frame.columns:
        samples = ", ".join(str(v) for v in table.frame[column].head(3).tolist())
        preview.add_row(column, by_column.get(column, "[dim]custom[/]"), samples)
    console.print(preview)


@leads_app.command("import")
def leads_import(
    campaign: str,
    file: Annotated[Path, typer.Argument(help="CSV, TSV or XLSX lead file.")],
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN (fields: phone, alt_phones, first_name, last_name, state, "
        "postal_code, timezone, priority, consent). Repeatable.")] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8, utf-8-sig, cp1251, latin-1 "
                                                 "(default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Field separator (default: "
                                                  "detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: first).")] = None,
    region: Annotated[str | None, typer.Option(help="Default region for national numbers "
                                               "(default: the campaign's, e.g. US).")] = None,
    list_name: Annotated[str | None, typer.Option(help="Name of the new lead list.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Rejects CSV (default: "
                                                 "FILE.rejects.csv).")] = None,
    batches: Annotated[bool, typer.Option(help="Commit in batches (reported, resumable "
                                          "with --start-line) instead of all or nothing.")]
    = False,
    batch_size: Annotated[int, typer.Option(help="Rows per batch.")] = 100_000,
    start_line: Annotated[int | None, typer.Option(help="Resume at this file line.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm the "
                                      "mapping.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a lead file into a new list of CAMPAIGN (mapping shown before commit)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from campaigns.lead_files import preview_lead_file, resolve_mapping

    explicit = _mapping_from_flags(map_)
    sheet_ref: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
    store = _open(db)
    store.campaign(campaign)  # fail early on an unknown campaign
    head = preview_lead_file(file, encoding=encoding, delimiter=delimiter, sheet=sheet_ref)
    mapping = resolve_mapping(list(head.frame.columns), explicit, file)
    interactive = not (yes or as_json) and sys.stdin.isatty()
    if not as_json:
        _show_preview(head, mapping, file)
    if interactive and not typer.confirm("Import with this mapping?", default=True):
        raise typer.Exit(1)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed:,}/{task.total:,}"), TimeElapsedColumn(),
            console=_console(stderr=True), disable=as_json, transient=True) as progress:
        task = progress.add_task("reading", total=1)

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=max(total, 1))

        report = store.import_file(
            campaign, file, at=_now(), mapping=mapping, encoding=encoding or head.encoding,
            delimiter=delimiter or head.delimiter, sheet=sheet_ref, default_region=region,
            list_name=list_name, rejects_path=rejects, mode="batches" if batches else "atomic",
            batch_size=batch_size, start_line=start_line, progress=advance)
    doc = {
        "file": report.path, "list_id": report.list_id, "rows": report.rows_read,
        "imported": report.imported, "rejected": report.rejected,
        "rejects_file": report.rejects_path, "reject_reasons": report.reject_reasons,
        "mapping": report.mapping, "encoding": report.encoding,
        "batches": [list(b) for b in report.batches], "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second),
    }
    if as_json:
        _emit(doc)
        return
    console = _console()
    console.print(f"imported [bold green]{report.imported:,}[/] of {report.rows_read:,} rows "
                  f"into list {report.list_id} in {report.seconds:.1f} s "
                  f"({report.rows_per_second:,.0f} rows/s)")
    if report.rejected:
        reasons = ", ".join(f"{k}: {v:,}" for k, v in report.reject_reasons.items())
        console.print(f"rejected [bold red]{report.rejected:,}[/] ({reasons}) → "
                      f"{report.rejects_path}")
    if batches:
        console.print("committed line ranges: " + ", ".join(f"{a}-{b}"
                                                           for a, b in report.batches))


@leads_app.command("list")
def leads_list(
    campaign: str,
    status: Annotated[str | None, typer.Option(help="Only this status (new, retry, "
                                               "callback, in_call, done, suppressed, "
                                               "invalid).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(help="Skip this many.")] = 0,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a campaign's leads."""
    from rich.table import Table

    store = _open(db)
    leads = store.leads(campaign, status=status, limit=limit, offset=offset)
    fields = ("id", "phone", "first_name", "last_name", "state", "timezone", "status",
              "attempts", "next_attempt_at", "priority", "block_reason")
    rows = [{f: getattr(lead, f) for f in fields} for lead in leads]
    if as_json:
        _emit({"campaign": campaign, "counts": store.lead_status_counts(campaign),
               "leads": rows})
        return
    table = Table(*fields)
    for row in rows:
        table.add_row(*("" if row[f] is None else str(row[f]) for f in fields))
    _console().print(table)
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(store.lead_status_counts(
        campaign).items()))
    _console().print(f"all leads: {counts}")


@leads_app.command("export")
def leads_export(
    campaign: str,
    output: Annotated[Path, typer.Argument(help="Output .csv or .xlsx file.")],
    results: Annotated[bool, typer.Option("--results", help="Export call results (one row "
                                          "per attempt) instead of leads.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export leads (or call results) to CSV or XLSX."""
    from campaigns.export import export_campaign

    what = "results" if results else "leads"
    count = export_campaign(_open(db), campaign, output, what)
    if as_json:
        _emit({"campaign": campaign, "what": what, "file": str(output), "rows": count})
    else:
        _console().print(f"wrote {count:,} {what} rows to {output}")


# -- report ------------------------------------------------------------------------------

def _parse_day(value: str | None, option: str) -> datetime | None:
    from campaigns.errors import CampaignError

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise CampaignError(f"{option} {value!r}: use YYYY-MM-DD or an ISO time") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def report(
    campaign: str,
    from_: Annotated[str | None, typer.Option("--from", help="Start (UTC date or ISO time; "
                                              "default: 7 days before --to).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End, exclusive (default: "
                                           "tomorrow 00:00 UTC).")] = None,
    format_: Annotated[str, typer.Option("--format", help="table, csv, xlsx or json.")]
    = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File for csv/xlsx "
                                                "(csv default: stdout).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG: hourly volume "
                                              "and abandonment trend against the limit.")]
    = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dials, answers, abandonment (daily and rolling 30 days), agents, dispositions."""
    from campaigns.errors import CampaignError
    from campaigns.reports import campaign_report

    format_ = "json" if as_json else format_
    if format_ not in ("table", "csv", "xlsx", "json"):
        raise CampaignError(f"--format {format_!r}: choose table, csv, xlsx or json")
    if format_ == "xlsx" and output is None:
        raise CampaignError("--format xlsx needs --output FILE.xlsx")
    end = _parse_day(to, "--to") or datetime.combine(
        _now().date() + timedelta(days=1), datetime.min.time(), UTC)
    start = _parse_day(from_, "--from") or end - timedelta(days=7)
    if start >= end:
        raise CampaignError("--from must be before --to")
    result = campaign_report(_open(db), campaign, start, end)
    if plot is not None:
        from campaigns.plot import plot_report

        plot_report(result, plot)
    if format_ == "json":
        _emit({**result.to_json(), "plot": str(plot) if plot else None})
    elif format_ == "csv":
        _write_csv(result, output)
    elif format_ == "xlsx":
        import pandas as pd

        with pd.ExcelWriter(output) as writer:
            for name, frame in result.sections().items():
                frame.to_excel(writer, sheet_name=name, index=False)
        _console().print(f"wrote {output}")
    else:
        _render_report(result)
        if plot is not None:
            _console().print(f"plot: {plot}")


def _write_csv(result: Any, output: Path | None) -> None:
    """Every section in one CSV: a ``section`` column says which table a row belongs to."""
    import pandas as pd

    frames = [frame.assign(section=name)[["section", *frame.columns]]
              for name, frame in result.sections().items() if len(frame)]
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if output is None:
        combined.to_csv(sys.stdout, index=False)
    else:
        combined.to_csv(output, index=False)


def _render_report(result: Any) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{result.campaign}[/]: {result.start:%Y-%m-%d %H:%M} to "
                  f"{result.end:%Y-%m-%d %H:%M} UTC")
    summary = Table("measure", "value", title="summary")
    for key, value in result.summary.items():
        shown = f"{value:.2%}" if (isinstance(value, float) and "rate" in key) or \
            (key == "list_penetration" and value is not None) else str(value)
        style = "bold red" if key.startswith("abandon_rate") and isinstance(value, float) \
            and value > result.abandon_limit else ""
        summary.add_row(key, f"[{style}]{shown}[/]" if style else shown)
    console.print(summary)
    for name in ("daily", "agents", "dispositions", "lists"):
        frame = result.sections()[name]
        if not len(frame):
            continue
        table = Table(*[str(c) for c in frame.columns], title=name)
        for row in frame.itertuples(index=False):
            table.add_row(*("" if v is None or (isinstance(v, float) and v != v) else
                            f"{v:.2%}" if isinstance(v, float) and "rate" in str(c)
                            else str(v) for c, v in zip(frame.columns, row, strict=True)))
        console.print(table)


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(campaign_app, name="campaign")
    app.add_typer(leads_app, name="leads")
    app.command("report")(report)
