"""``dialer leads import|list|export|delete|purge|lists|enable|disable|fix-zones|edit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import (
    DbOption,
    HomeOption,
    JsonOption,
    check_output_path,
    emit,
    make_console,
    now,
    open_store,
    read_store,
)
from dialer.words import counted, meant_name

leads_app = typer.Typer(help="Import, list, export and remove leads; enable or disable lead "
                        "lists.", no_args_is_help=True)
CampaignArg = Annotated[str, typer.Argument(help="Campaign name (or id).")]


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
    campaign: CampaignArg,
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
    new_seller: Annotated[bool, typer.Option(
        "--new-seller", help="Accept consents naming a seller that is not the campaign's "
        "(refused otherwise: they would never count for its calls).")] = False,
    consent_date_order: Annotated[str | None, typer.Option(
        help="How the consent column's numeric dates are written: dmy (03/04/2025 is 3 "
        "April) or mdy (4 March). Without it such a date, day and month both 12 or less, "
        "is no consent (a warning names its line); ISO dates (2025-04-03) and 13/04/2025 "
        "are read as written.")] = None,
    encoding: Annotated[str | None, typer.Option(help="utf-8, utf-8-sig, cp1251, cp1252, "
                                                 "latin-1 (default: detected).")] = None,
    delimiter: Annotated[str | None, typer.Option(help="Field separator (default: "
                                                  "detected).")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet (default: first).")] = None,
    region: Annotated[str | None, typer.Option(help="Default region for national numbers "
                                               "(default: the campaign's, e.g. US).")] = None,
    list_name: Annotated[str | None, typer.Option(
        "--list", "--list-name", help="Name of the new lead list (default: the file's "
        "name); the name leads delete --list and leads enable/disable take.")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Rejected rows with line, field and "
                                                 "reason, in the input's encoding and "
                                                 "delimiter (default: FILE.rejects.csv).")]
    = None,
    batches: Annotated[bool, typer.Option(help="Commit in batches (reported, resumable "
                                          "with --start-line) instead of all or nothing.")]
    = False,
    batch_size: Annotated[int, typer.Option(help="Rows per batch.")] = 100_000,
    start_line: Annotated[int | None, typer.Option(help="Resume at this file line.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask to confirm the "
                                      "mapping.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a lead file into a new list of CAMPAIGN (mapping shown before commit)."""
    from rich.markup import escape
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from campaigns.consent_dates import date_order_problem
    from campaigns.errors import LeadImportError
    from campaigns.lead_files import preview_lead_file, resolve_mapping

    if problem := date_order_problem(consent_date_order):
        raise LeadImportError(problem)
    for option, value, meaning in (
            ("--list", list_name, "the list's name, shown by leads list and reports; "
             "leave the option out for one made from the file's name"),
            ("--consent-seller", consent_seller, "the seller the consents were given to (an "
             "empty one counted as none given); leave the option out for the file's "
             "consent_seller column"),
            ("--contact-by", contact_by, "the column that says which leads are one "
             "person"),
            ("--region", region, "the region of national numbers, e.g. US; leave the option "
             "out for the campaign's"),
            ("--sheet", sheet, "the workbook's sheet by name or number; leave the option out "
             "for the first"),
            ("--encoding", encoding, "the file's encoding, e.g. utf-8 or cp1252; leave the "
             "option out to detect it")):
        if value is not None and not value.strip():
            raise LeadImportError(f"{option} is empty: give {meaning}")
    if delimiter == "":
        raise LeadImportError("--delimiter is empty: give the field separator, e.g. ';' or "
                              "$'\\t'; leave the option out to detect it")
    check_output_path("--rejects", rejects)  # was pandas' traceback, after the work
    explicit = _mapping_from_flags(map_)
    sheet_ref: str | int | None = int(sheet) if sheet and sheet.isdigit() else sheet
    store = open_store(db, home)
    store.campaign(campaign)  # fail early on an unknown campaign
    head = preview_lead_file(file, encoding=encoding, delimiter=delimiter, sheet=sheet_ref)
    mapping = resolve_mapping(list(head.frame.columns), explicit, file)
    interactive = not (yes or as_json) and sys.stdin.isatty()
    if not as_json:
        _show_preview(head, mapping, file)
    if interactive and not typer.confirm("Import with this mapping?", default=True):
        make_console(stderr=True).print("nothing imported")
        raise typer.Exit(1)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn(
            "{task.completed:,}/{task.total:,}"), TimeElapsedColumn(),
            console=make_console(stderr=True), disable=as_json, transient=True) as progress:
        task = progress.add_task("reading", total=1)

        def advance(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=max(total, 1))

        try:
            report = store.import_file(
                campaign, file, at=now(), mapping=mapping, encoding=encoding or head.encoding,
                delimiter=delimiter or head.delimiter, sheet=sheet_ref, default_region=region,
                list_name=list_name, rejects_path=rejects,
                mode="batches" if batches else "atomic", batch_size=batch_size,
                start_line=start_line, progress=advance, contact_by=contact_by,
                consent_seller=consent_seller, consent_date_order=consent_date_order,
                new_seller=new_seller)
        except KeyboardInterrupt:
            # Interrupted batches that committed some say so themselves (LeadImportError).
            raise LeadImportError("interrupted before any row was committed: nothing was "
                                  "imported", path=str(file)) from None
    doc = {
        "file": report.path, "list_id": report.list_id, "rows": report.rows_read,
        "imported": report.imported, "rejected": report.rejected,
        "rejects_file": report.rejects_path, "reject_reasons": report.reject_reasons,
        "rejects_replaced": report.rejects_replaced, "rejects_removed": report.rejects_removed,
        "mapping": report.mapping, "encoding": report.encoding,
        "batches": [list(b) for b in report.batches], "seconds": round(report.seconds, 3),
        "rows_per_second": round(report.rows_per_second), "extensions": report.extensions,
        "warnings": list(report.warnings), "blank_rows": report.blank_rows,
        "first_reject": report.first_reject,
    }
    if as_json:
        emit(doc)
        return
    console = make_console()
    if report.list_id is None and not report.rows_read:
        console.print("nothing imported: the file has no row with a field filled in, so no "
                      "lead list was created")
    elif report.list_id is None:
        rows = ("the file's one row could not" if report.rows_read == 1 else
                f"none of the {counted(report.rows_read, 'row')} could")
        console.print(f"nothing imported: {rows} be added, so no lead list was created")
    else:
        console.print(f"imported [bold green]{report.imported:,}[/] of "
                      f"{counted(report.rows_read, 'row')} into list {report.list_id} in "
                      f"{report.seconds:.1f} s "
                      f"({report.rows_per_second:,.0f} rows/s)")
    if report.blank_rows:
        console.print(f"skipped {report.blank_rows:,} blank row"
                      f"{'s' * (report.blank_rows != 1)} (every field empty, as a "
                      "spreadsheet saves past its data)")
    if report.extensions:
        console.print(f"{counted(report.extensions, 'number')} had an extension: the main "
                      "number is dialed, the extension is kept in the custom field "
                      "phone_extension")
    if report.rejected:
        reasons = ", ".join(f"{k}: {v:,}" for k, v in report.reject_reasons.items())
        console.print(f"rejected [bold red]{report.rejected:,}[/] ({escape(reasons)}) → "
                      f"{escape(str(report.rejects_path))}"
                      + (" (replacing an earlier import's file)" if report.rejects_replaced
                         else ""))
        if report.first_reject:
            console.print(f"  the first: {escape(report.first_reject)}")
    elif report.rejects_removed:
        console.print(f"no row rejected: removed {escape(report.rejects_removed)}, the "
                      "rejects of an earlier import")
    if batches:
        console.print("committed line ranges: " + ", ".join(f"{a}-{b}"
                                                           for a, b in report.batches))
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}")


@leads_app.command("list")
def leads_list(
    campaign: CampaignArg,
    status: Annotated[str | None, typer.Option(help="Only this status (new, retry, "
                                               "callback, in_call, done, suppressed, "
                                               "invalid).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000_000, help="At most this many.")] = 50,
    offset: Annotated[int, typer.Option(min=0, max=1_000_000_000, help="Skip this many.")] = 0,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a campaign's leads (reads only)."""
    from rich.table import Table

    _check_status(status)
    store = read_store(db, home)
    leads = store.leads(campaign, status=status, limit=limit, offset=offset)
    fields = ("id", "phone", "first_name", "last_name", "state", "timezone", "status",
              "attempts", "next_attempt_at", "priority", "block_reason")
    rows = [{f: getattr(lead, f) for f in fields} for lead in leads]
    counts = store.lead_status_counts(campaign)
    if as_json:
        emit({"campaign": campaign, "counts": counts, "leads": rows})
        return
    console = make_console()
    # At 80 columns the table keeps what identifies a lead and its state; the rest is in
    # --json and `dialer leads export`.
    shown = fields if console.width >= 140 else ("id", "phone", "first_name", "status",
                                                 "attempts", "next_attempt_at")
    table = Table(*shown)
    for row in rows:
        table.add_row(*("" if row[f] is None else
                        f"{row[f]:%Y-%m-%d %H:%M}" if f == "next_attempt_at" else str(row[f])
                        for f in shown))
    console.print(table)
    console.print("all leads: " + (", ".join(f"{k} {v:,}" for k, v in sorted(counts.items()))
                                   or "none"))


@leads_app.command("export")
def leads_export(
    campaign: CampaignArg,
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="Output file: .csv or .xlsx.")],
    results: Annotated[bool, typer.Option("--results", help="Export call results (one row "
                                          "per attempt) instead of leads.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export leads (or call results) to CSV or XLSX (reads only)."""
    from campaigns.export import export_campaign

    check_output_path("--output", output)  # was a pandas traceback
    what = "results" if results else "leads"
    count = export_campaign(read_store(db, home), campaign, output, what)
    if as_json:
        emit({"campaign": campaign, "what": what, "file": str(output), "rows": count})
    else:
        make_console().print(f"wrote {counted(count, what[:-1] + ' row')} to {output}",
                             highlight=False)


def _check_status(status: str | None) -> None:
    """A status no lead can have selected none, and the command said so as an empty
    answer (``leads list --status nwe``: "none"; ``leads delete``: "deleted 0")."""
    from campaigns.errors import CampaignError
    from campaigns.models import LeadStatus

    known = [s.value for s in LeadStatus]
    if status is not None and status not in known:
        meant = meant_name(status, known)
        raise CampaignError(f"--status {status!r}: choose {', '.join(known)}"
                            + (f" (did you mean {meant}?)" if meant else ""))


YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking "
                                         "(required when not on a terminal).")]


def _confirm(question: str, yes: bool, as_json: bool) -> None:
    from campaigns.errors import CampaignError

    if yes:
        return
    if as_json or not sys.stdin.isatty():
        raise CampaignError(f"{question} needs --yes")
    if not typer.confirm(f"{question}?", default=False):
        make_console(stderr=True).print("nothing changed")
        raise typer.Exit(1)


def _removal_doc(campaign: str, removal: Any) -> dict[str, Any]:
    return {"campaign": campaign, "deleted": removal.deleted, "retired": removal.retired,
            "skipped_in_use": removal.skipped_in_use, "lists_deleted": removal.lists_deleted,
            "callbacks_cancelled": removal.callbacks_cancelled}


@leads_app.command("delete")
def leads_delete(
    campaign: CampaignArg,
    list_ref: Annotated[str | None, typer.Option(
        "--list", "--list-name", help="Only the leads of this list (name or id; "
        "`dialer leads lists` shows them).")] = None,
    phone: Annotated[list[str] | None, typer.Option(
        "--phone", help="Only this E.164 number (repeatable).")] = None,
    status: Annotated[str | None, typer.Option(
        help="Only leads with this status (new, retry, callback, done, suppressed, "
        "invalid).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every lead of the campaign.")] = False,
    yes: YesOption = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Remove leads: never-dialed ones are deleted; dialed ones are retired (never dialed
    again) and kept with their call records. Leads a running dialer holds are skipped."""
    from campaigns.removal import remove_leads

    _check_status(status)
    store = open_store(db, home)
    store.campaign(campaign)
    _confirm(f"Remove the selected leads of {campaign!r}", yes, as_json)
    removal = remove_leads(store, campaign, at=now(), list_ref=list_ref,
                           phones=phone or (), status=status, everything=all_)
    if as_json:
        emit(_removal_doc(campaign, removal))
        return
    make_console().print(
        f"deleted {counted(removal.deleted, 'lead')} never dialed; retired "
        f"{counted(removal.retired, 'dialed lead')} (kept with their call records)"
        + (f"; skipped {removal.skipped_in_use:,} held by a running dialer"
           if removal.skipped_in_use else "")
        + (f"; removed {counted(removal.lists_deleted, 'empty list')}"
           if removal.lists_deleted else ""),
        highlight=False)


@leads_app.command("purge")
def leads_purge(
    campaign: CampaignArg,
    yes: YesOption = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete the leads that can never be dialed and never were (invalid, suppressed, or
    done without an attempt), and the lists left empty."""
    from campaigns.removal import purge_leads

    store = open_store(db, home)
    store.campaign(campaign)
    _confirm(f"Purge the undialable leads of {campaign!r}", yes, as_json)
    removal = purge_leads(store, campaign)
    if as_json:
        emit(_removal_doc(campaign, removal))
        return
    make_console().print(f"purged {counted(removal.deleted, 'lead')} that could never be "
                         "dialed"
                         + (f"; removed {counted(removal.lists_deleted, 'empty list')}"
                            if removal.lists_deleted else ""), highlight=False)


@leads_app.command("lists")
def leads_lists(campaign: CampaignArg, db: DbOption = None, home: HomeOption = None,
                as_json: JsonOption = False) -> None:
    """A campaign's lead lists: enabled or not, imported and rejected rows, leads by status
    (reads only)."""
    from rich.table import Table

    from campaigns.removal import list_counts

    rows = list_counts(read_store(db, home), campaign)
    if as_json:
        emit({"campaign": campaign, "lists": rows})
        return
    table = Table("id", "list", "enabled", "leads by status")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], "yes" if row["active"] else "no",
                      ", ".join(f"{k} {v:,}" for k, v in sorted(row["leads"].items()))
                      or "none")
    make_console().print(table)


def _list_switch(active: bool) -> Any:
    def command(campaign: CampaignArg,
                list_ref: Annotated[str, typer.Argument(help="List name or id.")],
                db: DbOption = None, home: HomeOption = None,
                as_json: JsonOption = False) -> None:
        from campaigns.removal import set_list_active

        lead_list = set_list_active(open_store(db, home), campaign, list_ref, active)
        if as_json:
            emit({"campaign": campaign, "list": lead_list.name, "id": lead_list.id,
                  "active": lead_list.active})
        else:
            make_console().print(
                f"list {lead_list.name} (id {lead_list.id}) "
                + ("enabled: its leads are dialed again" if active else
                   "disabled: its leads are not handed out until it is enabled"),
                highlight=False)

    command.__doc__ = ("Enable a lead list: its leads are dialed again." if active else
                       "Disable a lead list: the hopper hands out none of its leads.")
    return command


leads_app.command("enable")(_list_switch(True))
leads_app.command("disable")(_list_switch(False))


@leads_app.command("fix-zones")
def leads_fix_zones(
    campaign: CampaignArg,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show what would change; write nothing.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Rewrite leads' stored time zones an import now refuses (EST, EST5EDT, Etc/GMT+5...)
    to the one zone meant, only when that is unambiguous and the number's area code agrees;
    the rest are listed for a human. One transaction: all written or none."""
    from campaigns.stored_zones import apply_fixes, plan_fixes

    store = read_store(db, home) if dry_run else open_store(db, home)
    fixes = plan_fixes(store, campaign)
    fixable = [f for f in fixes if f.fixed is not None]
    left = [f for f in fixes if f.fixed is None]
    written = 0 if dry_run else apply_fixes(store, fixable)
    if as_json:
        emit({"campaign": campaign, "dry_run": dry_run, "written": written,
              "fixes": [{"lead": f.lead_id, "from": f.stored, "to": f.fixed}
                        for f in fixable],
              "left": [{"lead": f.lead_id, "zone": f.stored, "reason": f.reason}
                       for f in left]})
        return
    console = make_console()
    for fix in fixable:
        console.print(f"lead {fix.lead_id}: {fix.stored} -> {fix.fixed}", highlight=False)
    for fix in left:
        console.print(f"lead {fix.lead_id}: {fix.stored} left as it is: {fix.reason}",
                      highlight=False)
    verb = "would rewrite" if dry_run else "rewrote"
    console.print(f"{verb} the zone of {counted(len(fixable), 'lead')}; {len(left):,} left "
                  "for a human "
                  f"(set each with `dialer leads edit {campaign} LEAD --timezone ZONE`)"
                  if fixes else "no lead is stored with a refused time zone", highlight=False)


@leads_app.command("edit")
def leads_edit(
    campaign: CampaignArg,
    lead: Annotated[str, typer.Argument(help="The lead's id (`dialer leads list`) or its "
                                        "number in E.164 (+12015550123).")],
    timezone: Annotated[str | None, typer.Option(
        "--timezone", help="The callee's IANA time zone, e.g. America/Chicago (never an "
        "abbreviation such as EST: it has no summer time).")] = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change one lead: its time zone (the campaign's schedule reads it; the calling-hours
    rules use it with the number's area code and the lead's state)."""
    from campaigns.lead_edits import LeadEditError, edit_lead_zone

    if timezone is None:
        raise LeadEditError("nothing to change: give --timezone ZONE")
    store = open_store(db, home)
    edit = edit_lead_zone(store, campaign, lead, timezone)
    if as_json:
        emit({"campaign": campaign, "lead": edit.lead_id, "phone": edit.phone,
              "timezone": {"before": edit.before, "after": edit.after},
              "warnings": list(edit.warnings)})
        return
    console = make_console()
    console.print(f"lead {edit.lead_id} ({edit.phone}): timezone {edit.before or 'none'} -> "
                  f"{edit.after}", highlight=False)
    for warning in edit.warnings:
        make_console(stderr=True).print(f"warning: lead {edit.lead_id}: {warning}",
                                        highlight=False, soft_wrap=True)
