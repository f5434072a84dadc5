"""``dialer recordings list|show|seal|export|purge``: the call recordings' catalogue.

Thin: parse, call ``campaigns.recordings``, render. ``--recordings-dir`` is the dialer's
view of the directory the switch records into (default ``<home>/recordings``).
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import Annotated

import typer

from campaigns.cli_common import DbOption, HomeOption, JsonOption, emit, make_console

recordings_app = typer.Typer(help="Call recordings: list, show one by attempt, checksum "
                             "(seal), export with a manifest, purge past retention.",
                             no_args_is_help=True)

CampaignOpt = Annotated[str | None, typer.Option("--campaign", help="Only this campaign.")]
FromOpt = Annotated[str | None, typer.Option("--from", help="Recordings started on or "
                                             "after this UTC date (YYYY-MM-DD).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Recordings started before this UTC "
                                           "date (exclusive).")]
DirOpt = Annotated[Path | None, typer.Option(
    "--recordings-dir", help="The directory the switch records into, as this machine sees "
    "it (default: <home>/recordings).")]


def _day(text: str | None, what: str) -> datetime | None:
    from campaigns.recordings import RecordingStoreError

    if text is None:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        raise RecordingStoreError(f"{what} {text!r}: a date like 2026-12-01") from None


def _root(directory: Path | None, home: Path | None) -> Path:
    from campaigns.cli_common import data_home

    return directory if directory is not None else (home or data_home()) / "recordings"


def _row(view: object) -> dict:
    doc = view.to_json()  # type: ignore[attr-defined]
    for key in ("started_at", "ended_at", "purged_at"):
        if doc[key] is not None:
            doc[key] = doc[key].isoformat()
    return doc


@recordings_app.command("list")
def recordings_list(
    campaign: CampaignOpt = None, from_: FromOpt = None, to: ToOpt = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="recorded, sealed, missing or purged.")] = None,
    limit: Annotated[int, typer.Option(
        "--limit", min=1, max=1_000_000_000, help="At most this many.")] = 1000,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Recordings with their attempt, consent, pauses and checksum (reads only)."""
    from rich.table import Table

    from campaigns.cli_common import read_store
    from campaigns.recordings import recordings

    views = recordings(read_store(db, home), campaign, since=_day(from_, "--from"),
                       until=_day(to, "--to"), status=status, limit=limit)
    if as_json:
        emit([_row(v) for v in views])
        return
    table = Table("started (UTC)", "campaign", "attempt", "status", "consent", "pauses",
                  "path")
    for v in views:
        table.add_row(f"{v.started_at:%Y-%m-%d %H:%M:%S}" if v.started_at else "",
                      v.campaign, v.call_uuid, v.status, v.consent, str(len(v.pauses)),
                      v.path)
    make_console().print(table)


@recordings_app.command("show")
def recordings_show(
    attempt: Annotated[str, typer.Argument(help="The attempt's call id (call_uuid).")],
    recordings_dir: DirOpt = None, db: DbOption = None, home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One attempt's recording: where the file is and whether it is there."""
    from campaigns.cli_common import read_store
    from campaigns.recordings import RecordingStoreError, file_of, recording_for_attempt

    view = recording_for_attempt(read_store(db, home), attempt)
    if view is None:
        raise RecordingStoreError(f"attempt {attempt} has no recording")
    doc = _row(view)
    path = file_of(_root(recordings_dir, home), view)
    doc["file"] = str(path)
    doc["file_present"] = path.is_file()
    if as_json:
        emit(doc)
        return
    console = make_console()
    for key, value in doc.items():
        console.print(f"{key}: {value}", highlight=False)


@recordings_app.command("seal")
def recordings_seal(campaign: CampaignOpt = None, recordings_dir: DirOpt = None,
                    db: DbOption = None, home: HomeOption = None,
                    as_json: JsonOption = False) -> None:
    """Keep the size and SHA-256 of each finished recording found on disk."""
    from campaigns.cli_common import open_store
    from campaigns.recordings import seal

    counts = seal(open_store(db, home), _root(recordings_dir, home), campaign=campaign)
    if as_json:
        emit(counts)
    else:
        typer.echo(f"{counts['sealed']} sealed, {counts['missing']} missing, "
                   f"{counts['waiting']} waiting for their file")


@recordings_app.command("export")
def recordings_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="A new (or empty) "
                                         "directory to copy into.")],
    campaign: CampaignOpt = None, from_: FromOpt = None, to: ToOpt = None,
    recordings_dir: DirOpt = None, db: DbOption = None, home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy recordings with manifest.json and SHA256SUMS (checksums verified first; exit 1
    if a file changed since it was sealed)."""
    from campaigns.cli_common import open_store
    from campaigns.recordings import RecordingStoreError, export

    manifest = export(open_store(db, home), _root(recordings_dir, home), output,
                      campaign=campaign, since=_day(from_, "--from"), until=_day(to, "--to"))
    if as_json:
        emit({k: v for k, v in manifest.items() if k != "recordings"}
             | {"exported": len(manifest["recordings"]), "output": str(output)})
    else:
        typer.echo(f"{len(manifest['recordings'])} recordings exported to {output} "
                   f"(manifest.json, SHA256SUMS); not sealed: {manifest['skipped'] or 0}")
    if manifest["changed"]:
        raise RecordingStoreError(f"{len(manifest['changed'])} recording(s) changed since "
                                  f"they were sealed, not exported: "
                                  f"{', '.join(manifest['changed'][:10])}")


@recordings_app.command("purge")
def recordings_purge(
    campaign: CampaignOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would go.")
                       ] = False,
    recordings_dir: DirOpt = None, db: DbOption = None, home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete the files of recordings past their campaign's retention (never inside the
    records period, compliance.retention_days)."""
    from campaigns.cli_common import open_store
    from campaigns.recordings import purge

    gone = purge(open_store(db, home), _root(recordings_dir, home), campaign=campaign,
                 dry_run=dry_run)
    if as_json:
        emit({"dry_run": dry_run, "purged": [_row(v) for v in gone]})
    else:
        typer.echo(f"{len(gone)} recording(s) {'would be ' if dry_run else ''}purged")


def register(app: typer.Typer) -> None:
    app.add_typer(recordings_app, name="recordings")
