"""``dialer voicemail``: the messages left in the queues: list, export, call back.

Filters that name nothing (a ``--status`` that is no status, a ``--queue`` that never
existed) are refused: an empty list would read as "no message".
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import DbOption, HomeOption, JsonOption, emit, make_console, now
from campaigns.cli_queues import known_queue, queue_store

voicemail_app = typer.Typer(help="Voicemail left in the queues: list, export, call back.",
                            no_args_is_help=True)


def _voicemail_rows(db: str | None, home: Path | None, queue: str | None,
                    status: str | None, since: str | None) -> list[dict[str, Any]]:
    from campaigns.cli_report import _parse_day
    from campaigns.models import VoicemailStatus
    from campaigns.queue_store import QueueError
    from campaigns.voicemail_store import VoicemailStore

    start = _parse_day(since, "--since")
    if status is not None and status not in set(VoicemailStatus):
        raise QueueError(f"--status {status!r}: choose "
                         f"{', '.join(s.value for s in VoicemailStatus)}")
    store = queue_store(db, home, write=False)
    known_queue(store, queue)
    return [{"id": v.id, "queue": v.queue, "caller_number": v.caller_number,
             "started_at": v.started_at, "seconds": round(v.seconds, 1), "path": v.path,
             "status": v.status, "callback_id": v.callback_id, "call_uuid": v.call_uuid}
            for v in VoicemailStore(store.store).voicemails(queue, status, start)]


QueueFilter = Annotated[str | None, typer.Option("--queue", help="Only this queue.")]
StatusFilter = Annotated[str | None, typer.Option("--status", help="new, callback or done.")]
SinceFilter = Annotated[str | None, typer.Option("--since", help="UTC date or ISO time.")]


@voicemail_app.command("list")
def voicemail_list(queue: QueueFilter = None, status: StatusFilter = None,
                   since: SinceFilter = None, db: DbOption = None, home: HomeOption = None,
                   as_json: JsonOption = False) -> None:
    """Messages left in the queues (newest last)."""
    rows = _voicemail_rows(db, home, queue, status, since)
    if as_json:
        emit(rows)
        return
    from rich.table import Table

    table = Table("id", "queue", "caller", "left at (UTC)", "seconds", "status", "file")
    for row in rows:
        table.add_row(str(row["id"]), row["queue"], row["caller_number"] or "unknown",
                      f"{row['started_at']:%Y-%m-%d %H:%M:%S}", f"{row['seconds']:g}",
                      row["status"], row["path"])
    make_console().print(table)


@voicemail_app.command("export")
def voicemail_export(
    output: Annotated[Path, typer.Option("--output", "-o", help=".csv, .json or .xlsx")],
    queue: QueueFilter = None, status: StatusFilter = None, since: SinceFilter = None,
    audio: Annotated[Path | None, typer.Option(
        "--audio", help="Also copy the recordings (when this host can read them) here.")]
    = None,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Write the messages' records (and optionally copy their audio files)."""
    import shutil

    import pandas as pd

    from campaigns.cli_report import _check_writable
    from campaigns.queue_store import QueueError

    suffix = output.suffix.lower()
    if suffix not in (".csv", ".json", ".xlsx"):
        raise QueueError(f"{output}: export to .csv, .json or .xlsx")
    _check_writable("--output", output)  # pandas ended in a traceback
    if audio is not None and audio.exists() and not audio.is_dir():
        raise QueueError(f"--audio {audio}: is a file; name a directory")
    rows = _voicemail_rows(db, home, queue, status, since)
    frame = pd.DataFrame(rows, columns=["id", "queue", "caller_number", "started_at",
                                        "seconds", "path", "status", "callback_id",
                                        "call_uuid"])
    if suffix == ".json":
        output.write_text(json.dumps(rows, default=str, indent=1), encoding="utf-8")
    elif suffix == ".csv":
        frame.to_csv(output, index=False)
    else:
        frame.assign(started_at=frame["started_at"].map(
            lambda t: t.replace(tzinfo=None) if t is not None else None)).to_excel(
            output, index=False)
    copied, missing = 0, []
    if audio is not None:
        audio.mkdir(parents=True, exist_ok=True)
        for row in rows:
            source = Path(row["path"])
            if source.is_file():
                shutil.copy2(source, audio / f"{row['id']}-{source.name}")
                copied += 1
            else:
                missing.append(row["path"])
    result = {"output": str(output), "messages": len(rows), "audio_copied": copied,
              "audio_missing": missing}
    if as_json:
        emit(result)
    else:
        make_console().print(f"wrote {len(rows)} messages to {output}" + (
            f"; copied {copied} recordings to {audio}" if audio is not None else "") + (
            f"; {len(missing)} recordings not found on this host" if missing else ""))


@voicemail_app.command("callback")
def voicemail_callback(
    voicemail_id: Annotated[int, typer.Argument(min=1, max=2**63 - 1, help="The message's id.")],
    priority: Annotated[int, typer.Option(help="Priority in the queue's line.")] = 0,
    queue: Annotated[str | None, typer.Option(
        "--queue", help="Call back from this queue (the message's own may be retired).")]
    = None,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Turn a message into a queue callback (in its queue's line from now)."""
    from campaigns.voicemail_store import VoicemailStore

    callback = VoicemailStore(queue_store(db, home).store).voicemail_to_callback(
        voicemail_id, str(uuid.uuid4()), at=now(), priority=priority, queue=queue)
    result = {"voicemail": voicemail_id, "callback": callback.id, "queue": callback.queue,
              "number": callback.number}
    emit(result) if as_json else make_console().print(
        f"voicemail {voicemail_id}: callback {callback.id} to {callback.number} in queue "
        f"{callback.queue}")


@voicemail_app.command("done")
def voicemail_done(
    voicemail_ids: Annotated[list[int], typer.Argument(help="The messages' ids.")],
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Mark messages dealt with (`voicemail list --status new` is then what is left to do);
    an unknown id, or one done already, is refused and nothing is marked."""
    from campaigns.voicemail_store import VoicemailStore

    marked = VoicemailStore(queue_store(db, home).store).mark_done(voicemail_ids)
    result = {"done": [m.id for m in marked]}
    emit(result) if as_json else make_console().print(
        f"voicemail {', '.join(str(m.id) for m in marked)}: done")
