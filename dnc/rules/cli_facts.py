"""``dialer compliance revoke|revocations|line-types|rnd|emergency``: the facts an officer
records about numbers and areas. Thin commands over ``dnc.facts`` and
``dnc.rules.area_bans``; every change takes effect at the next decision (the dialer reads
revocations at every dial, and line types, RND results and emergencies at each claim)."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from dnc.errors import ComplianceError
from dnc.rules.cli import HomeOption, JsonOption, compliance_app, data_home, parse_time

revocations_app = typer.Typer(help="Consent revocations received by any reasonable means.",
                              no_args_is_help=True)
line_types_app = typer.Typer(help="The line-type registry (carrier look-up exports).",
                             no_args_is_help=True)
rnd_app = typer.Typer(help="FCC Reassigned Numbers Database query results.",
                      no_args_is_help=True)
emergency_app = typer.Typer(help="Declared emergencies that ban calls to an area.",
                            no_args_is_help=True)
compliance_app.add_typer(revocations_app, name="revocations")
compliance_app.add_typer(line_types_app, name="line-types")
compliance_app.add_typer(rnd_app, name="rnd")
compliance_app.add_typer(emergency_app, name="emergency")

DataDir = HomeOption
Region = Annotated[str, typer.Option(help="Region of numbers written without +.")]


def _facts(data_dir: Path | None):
    from dnc.facts import FACTS_NAME, NumberFactsStore
    return NumberFactsStore((data_dir or data_home()) / "dnc" / FACTS_NAME)


def _read(path: Path) -> str:
    """The file's text, refused when it changed while read (a revocations file still being
    saved: the revocations after that point were never recorded, and their consents
    counted)."""
    from dnc.whole_files import changed_while_read, file_states, still_being_written

    before = file_states([path])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ComplianceError(f"{path}: cannot read: {error}") from error
    if (changed := changed_while_read(before)) is not None:
        raise ComplianceError(f"{path}: {still_being_written(*changed)}")
    return text


def _done(as_json: bool, document: dict[str, object], line: str) -> None:
    typer.echo(json.dumps(document) if as_json else line)


LATEST_AHEAD = timedelta(hours=50)
"""How far a date's latest reading (its end at UTC−12) lies after its earliest (its start at
UTC+14): a date-only ``--at`` is in the future only when even its earliest reading is."""


@compliance_app.command("revoke")
def revoke(
    number: Annotated[str | None, typer.Argument(help="The number whose consents end.")] = None,
    contact: Annotated[str | None, typer.Option(help="The person (every number of theirs).")]
    = None,
    channel: Annotated[str, typer.Option(help="How it was received: sms STOP, email, letter, "
                                         "web form, agent ...")] = "",
    by: Annotated[str, typer.Option(help="Who records it.")] = "",
    at: Annotated[str | None, typer.Option(help="When it was received (default now).")]
    = None,
    source: Annotated[str, typer.Option(help="Where the proof is (message id, ticket).")] = "",
    region: Region = "US",
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Record a revocation of consent: every consent given before it stops counting at once
    (47 CFR 64.1200(a)(10): any reasonable means; honoured within 10 business days at most)."""
    from dnc.facts import _number, received_instant
    from dnc.interfaces import Revocation

    if number is None and contact is None:
        raise ComplianceError("revoke: give a NUMBER or --contact")
    if not channel.strip() or not by.strip():
        raise ComplianceError("revoke: --channel (how it was received) and --by (who records "
                              "it) are required")
    now = datetime.now(UTC)
    e164 = _number(number, region, {"field": "number"}) if number else None
    received, unclear = now, ""
    if at:
        # Read as a revocations file's cell is (``dnc.facts.received_instant``): a date alone
        # or a time without an offset at its latest reading, so a consent given the same
        # day is ended, not kept; honoured from now, when it is recorded.
        parse_time(at, "--at")  # the CLI's own message for a cell that is no time at all
        received, unclear = received_instant(at, {"field": "--at"})
    if received - (LATEST_AHEAD if unclear else timedelta(0)) > now:
        raise ComplianceError("revoke: --at is in the future")
    if unclear:
        source = f"{source}, {unclear}" if source else unclear
    store = _facts(data_dir)
    try:
        store.revoke([Revocation(e164, contact, received, channel.strip(), source)], now, by)
    finally:
        store.close()
    who = e164 or f"contact {contact}"
    _done(as_json, {"number": e164, "contact_id": contact, "at": received.isoformat(),
                    "channel": channel, "recorded_at": now.isoformat()},
          f"revocation recorded for {who} (received {received.isoformat()} by {channel}): "
          "consents given before it no longer count")


@revocations_app.command("import")
def revocations_import(
    file: Annotated[Path, typer.Argument(help="CSV: number and/or contact_id, at, channel[, "
                                         "source].")],
    by: Annotated[str, typer.Option(help="Who records them.")] = "",
    region: Region = "US",
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Record a file of revocations (all or nothing; a bad cell names line and field)."""
    from dnc.facts import parse_revocations

    if not by.strip():
        raise ComplianceError("revocations import: --by (who records them) is required")
    rows = parse_revocations(_read(file), str(file), region)
    store = _facts(data_dir)
    try:
        count = store.revoke(rows, datetime.now(UTC), by)
    finally:
        store.close()
    _done(as_json, {"file": str(file), "recorded": count},
          f"{count} revocations recorded from {file}")


@line_types_app.command("import")
def line_types_import(
    file: Annotated[Path, typer.Argument(help="CSV: number or block, line_type[, ported, "
                                         "as_of].")],
    region: Region = "US",
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Record line types (wireless / landline / voip) for numbers and number blocks; an entry
    for a number (a ported number) beats its block's."""
    from dnc.facts import parse_line_types

    rows = parse_line_types(_read(file), str(file), region)
    store = _facts(data_dir)
    try:
        count = store.record_line_types(rows, datetime.now(UTC), f"{file.name}")
    finally:
        store.close()
    numbers = sum(1 for row in rows if row[1])
    _done(as_json, {"file": str(file), "recorded": count, "numbers": numbers,
                    "blocks": count - numbers},
          f"{count} line types recorded from {file} ({numbers} numbers, "
          f"{count - numbers} blocks)")


@rnd_app.command("import")
def rnd_import(
    file: Annotated[Path, typer.Argument(help="RND bulk results CSV: number, date, answer "
                                         "(yes / no / no data)[, queried_at].")],
    region: Region = "US",
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Record Reassigned Numbers Database results: a consented number the RND says was
    permanently disconnected after the consent is refused (47 CFR 64.1200(m))."""
    from dnc.facts import parse_rnd_results

    rows = parse_rnd_results(_read(file), str(file), region)
    store = _facts(data_dir)
    try:
        count = store.record_rnd(rows, datetime.now(UTC))
    finally:
        store.close()
    yes = sum(1 for r in rows if r.answer.value == "yes")
    _done(as_json, {"file": str(file), "recorded": count, "reassigned": yes},
          f"{count} RND results recorded from {file} ({yes} permanently disconnected)")


def _emergencies_file(data_dir: Path | None) -> Path:
    return (data_dir or data_home()) / "rules" / "emergencies.csv"


def _append_emergencies(path: Path, text: str) -> int:
    """Validate the rows and append them to the officer's file (written whole, then
    renamed: a reader sees the old file or the new one)."""
    from dnc.rules.area_bans import EMERGENCY_COLUMNS, parse_emergencies
    from dnc.rules.tables import RuleTables

    states = RuleTables().state_zones
    new = parse_emergencies(text, str(path), states)
    existing = path.read_text(encoding="utf-8") if path.exists() else ""
    parse_emergencies(existing, str(path), states)  # refuse to add to a broken file
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if not existing.strip():
        out.write("# Declared emergencies (dialer compliance emergency add|import).\n")
        writer.writerow(EMERGENCY_COLUMNS)
    else:
        out.write(existing if existing.endswith("\n") else existing + "\n")
    for ban in new:
        writer.writerow([ban.state, ban.name, ban.first.isoformat(),
                         ban.last.isoformat() if ban.last else "", ";".join(ban.areas),
                         ban.calls, ban.citation, ban.source])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".csv.tmp")
    temporary.write_text(out.getvalue(), encoding="utf-8")
    os.replace(temporary, path)
    return len(new)


@emergency_app.command("add")
def emergency_add(
    state: Annotated[str, typer.Option(help="Two-letter state, e.g. LA.")],
    start: Annotated[str, typer.Option("--from", help="First day (local, YYYY-MM-DD).")],
    citation: Annotated[str, typer.Option(help="The declaration (order, proclamation).")],
    until: Annotated[str | None, typer.Option(help="Last day; omit while it lasts.")] = None,
    areas: Annotated[str, typer.Option(help="county:NAME;zip:NNNNN;zip3:NNN (default: "
                                       "statewide).")] = "",
    calls: Annotated[str, typer.Option(help="telemarketing or all (default: all in LA, "
                                       "whose emergency ban covers every call; "
                                       "telemarketing elsewhere).")] = "",
    name: Annotated[str, typer.Option(help="A name for it.")] = "declared emergency",
    source: Annotated[str, typer.Option(help="Where it was read.")] = "",
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Declare an emergency during which calls to the area are banned (La. PSC; N.Y. GBL
    399-z(5-a)): the dialer refuses them from its next claim."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("state", "name", "from", "until", "areas", "calls", "citation", "source"))
    writer.writerow((state, name, start, until or "", areas, calls, citation, source))
    path = _emergencies_file(data_dir)
    count = _append_emergencies(path, out.getvalue())
    _done(as_json, {"file": str(path), "added": count},
          f"emergency in {state.upper()} from {start} "
          f"{'until ' + until if until else 'until lifted'} recorded in {path}")


@emergency_app.command("import")
def emergency_import(
    file: Annotated[Path, typer.Argument(help="CSV with columns state,name,from,until,areas,"
                                         "calls,citation,source.")],
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """Add the emergencies of a file (all or nothing)."""
    path = _emergencies_file(data_dir)
    count = _append_emergencies(path, _read(file))
    _done(as_json, {"file": str(path), "added": count}, f"{count} emergencies added to {path}")


@emergency_app.command("list")
def emergency_list(
    on: Annotated[str | None, typer.Option(help="Only those in force on this date.")] = None,
    data_dir: DataDir = None,
    as_json: JsonOption = False,
) -> None:
    """The declared emergencies (built-in and the officer's)."""
    from dnc.rules.tables import tables_for_data

    day = date.fromisoformat(on) if on else None
    bans = [b for b in tables_for_data(data_dir or data_home()).area_bans.all()
            if day is None or b.on(day)]
    records = [{"state": b.state, "name": b.name, "from": b.first.isoformat(),
                "until": b.last.isoformat() if b.last else None, "areas": list(b.areas),
                "calls": b.calls, "citation": b.citation} for b in bans]
    if as_json:
        typer.echo(json.dumps({"emergencies": records}))
        return
    if not records:
        typer.echo("no declared emergencies")
    for r in records:
        typer.echo(f"{r['state']} {r['name']}: {r['from']} to {r['until'] or 'lifted'}; "
                   f"{', '.join(r['areas']) or 'statewide'}; {r['calls']} calls; "
                   f"{r['citation']}")
