"""``dialer leads import|list|export``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import DbOption, JsonOption, emit, make_console, now, open_store

leads_app = typer.Typer(help="Import, list and export leads.", no_args_is_help=True)


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

    console = make_console(stderr=True)
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
        "postal_code, timezone, priority, consent, consent_seller, line_type, contact_id). "
        "Repeatable.")] = None,
    contact_by: Annotated[str | None, typer.Option(
        help="Leads with the same value in this column are one person (per-person call "
        "limits count across their numbers), e.g. --contact-by Email.")] = None,
    consent_seller: Annotated[str | None, typer.Option(
        help="The seller the file's consents were given to (a written consent must name "
        "it; else a consent_seller column).")] = None,
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
    store = open_store(db)
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
            console=make_console(stderr=True), disable=as_json, transient=True) as progress:
        task = progress.add_task("reading", total=1)

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=max(total, 1))

        report = store.import_file(
            campaign, file, at=now(), mapping=mapping, encoding=encoding or head.encoding,
            delimiter=delimiter or head.delimiter, sheet=sheet_ref, default_region=region,
            list_name=list_name, rejects_path=rejects, mode="batches" if batches else "atomic",
            batch_size=batch_size, start_line=start_line, progress=advance,
            contact_by=contact_by, consent_seller=consent_seller)
    doc = {
        "file": report.path, "list_id": report.list_id, "rows": report.rows_read,
        "imported": report.imported, "rejected": report.rejected,
        "rejects_file": report.rejects_path, "reject_reasons": report.reject_reasons,
        "mapping": report.mapping, "encoding": report.encoding,
        "batches": [list(b) for b in report.batches], "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second),
        "warnings": list(report.warnings),
    }
    if as_json:
        emit(doc)
        return
    console = make_console()
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
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


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

    store = open_store(db)
    leads = store.leads(campaign, status=status, limit=limit, offset=offset)
    fields = ("id", "phone", "first_name", "last_name", "state", "timezone", "status",
              "attempts", "next_attempt_at", "priority", "block_reason")
    rows = [{f: getattr(lead, f) for f in fields} for lead in leads]
    if as_json:
        emit({"campaign": campaign, "counts": store.lead_status_counts(campaign),
               "leads": rows})
        return
    table = Table(*fields)
    for row in rows:
        table.add_row(*("" if row[f] is None else str(row[f]) for f in fields))
    make_console().print(table)
    counts = ", ".join(f"{k} {v:,}" for k, v in sorted(store.lead_status_counts(
        campaign).items()))
    make_console().print(f"all leads: {counts}")


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
    count = export_campaign(open_store(db), campaign, output, what)
    if as_json:
        emit({"campaign": campaign, "what": what, "file": str(output), "rows": count})
    else:
        make_console().print(f"wrote {count:,} {what} rows to {output}")


