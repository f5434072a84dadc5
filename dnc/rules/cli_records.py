"""``dialer compliance records export|purge``: call detail and consent records for an officer
(16 CFR 310.5, kept 5 years). Reads the campaign store lazily, like ``explain --campaign``."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from dnc.errors import ComplianceError
from dnc.rules.cli import HomeOption, compliance_app, data_home, parse_time
from dnc.whole_files import written_whole

records_app = typer.Typer(help="Call detail and consent records (kept 5 years).",
                          no_args_is_help=True)
compliance_app.add_typer(records_app, name="records")


def _store(db: str | None, home: Path | None = None):
    from campaigns.store import CampaignStore
    url = db or os.environ.get("DIALER_DB") or f"sqlite:///{data_home(home) / 'dialer.db'}"
    return CampaignStore.open(url)


@records_app.command("export")
def records_export(
    start: Annotated[str, typer.Option("--from", help="From this time (ISO, inclusive).")],
    end: Annotated[str, typer.Option("--to", help="Before this time (ISO).")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    what: Annotated[str, typer.Option(help="calls, consents or all (csv: one of calls or "
                                      "consents).")] = "all",
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Write here (xlsx: "
                                             "required; csv with --what all: FILE.calls.csv "
                                             "and FILE.consents.csv).")] = None,
    db: Annotated[str | None, typer.Option(help="Campaign database URL (or DIALER_DB).")]
    = None,
    data_dir: HomeOption = None,
) -> None:
    """Export the call detail records (calling and called number, date, time, duration,
    disposition, telemarketer, seller, good or service) and the consent records (consents
    and revocations) of a period."""
    import pandas as pd

    from campaigns.records import CALL_COLUMNS, CONSENT_COLUMNS, call_records, consent_records
    from dnc.facts import FACTS_NAME, NumberFactsStore

    since, until = parse_time(start, "--from"), parse_time(end, "--to")
    if until <= since:
        raise ComplianceError("--to must be after --from")
    if format not in ("csv", "xlsx", "json"):
        raise ComplianceError("--format must be csv, xlsx or json")
    if what not in ("calls", "consents", "all"):
        raise ComplianceError("--what must be calls, consents or all")
    if format == "csv" and what == "all" and out is None:
        raise ComplianceError("CSV to the terminal holds one kind: --what calls or consents "
                              "(or --output FILE.csv writes FILE.calls.csv and FILE.consents.csv)")
    if format == "xlsx" and out is None:
        raise ComplianceError("--format xlsx needs --output FILE.xlsx")
    facts_path = (data_dir or data_home()) / "dnc" / FACTS_NAME
    revocations = []
    if facts_path.exists():
        facts = NumberFactsStore(facts_path)
        revocations = facts.all_revocations()
        facts.close()
    store = _store(db, data_dir)
    try:
        calls = list(call_records(store, since, until, campaign)) \
            if what in ("calls", "all") else []
        consents = list(consent_records(store, since, until, campaign, revocations)) \
            if what in ("consents", "all") else []
    finally:
        store.close()
    tables = {"calls": pd.DataFrame(calls, columns=list(CALL_COLUMNS)),
              "consents": pd.DataFrame(consents, columns=list(CONSENT_COLUMNS))}
    chosen = ("calls", "consents") if what == "all" else (what,)
    if format == "json":
        document = {"from": since.isoformat(), "to": until.isoformat(),
                    "exported_at": datetime.now(UTC).isoformat(),
                    **{name: json.loads(tables[name].to_json(orient="records"))
                       for name in chosen}}
        text = json.dumps(document)
        if out is None:
            typer.echo(text)
        else:
            with written_whole(out) as partial:
                partial.write_text(text + "\n", encoding="utf-8")
    elif format == "xlsx":
        with written_whole(out) as partial, pd.ExcelWriter(partial) as writer:
            for name in chosen:
                tables[name].to_excel(writer, sheet_name=name, index=False)
    elif out is None:
        tables[chosen[0]].to_csv(sys.stdout, index=False)
    else:
        targets = {name: out if len(chosen) == 1 else out.with_name(
            f"{out.stem}.{name}{out.suffix or '.csv'}") for name in chosen}
        for name, target in targets.items():
            with written_whole(target) as partial:
                tables[name].to_csv(partial, index=False)
        if len(chosen) > 1:  # each kind in its own file: name the files written
            for name, target in targets.items():
                typer.echo(f"exported {len(tables[name])} {name} to {target}", err=True)
            return
    if out is not None:
        counts = ", ".join(f"{len(tables[name])} {name}" for name in chosen)
        typer.echo(f"exported {counts} to {out}", err=True)


@records_app.command("purge")
def records_purge(
    campaign: Annotated[str, typer.Argument(help="The campaign.")],
    older_than_days: Annotated[int, typer.Option(min=0, max=36_500, help="Delete call "
                                                 "records that ended more than this many "
                                                 "days ago (at most a century).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it (no question).")] = False,
    db: Annotated[str | None, typer.Option(help="Campaign database URL (or DIALER_DB).")]
    = None,
    home: HomeOption = None,
) -> None:
    """Delete old call records, never inside the retention period (5 years at least)."""
    from campaigns.records import purge_call_records

    store = _store(db, home)
    try:
        if not yes:
            raise ComplianceError("records purge deletes records for good: add --yes")
        deleted = purge_call_records(store, campaign, older_than_days, datetime.now(UTC))
    finally:
        store.close()
    typer.echo(f"deleted {deleted} call records older than {older_than_days} days")
