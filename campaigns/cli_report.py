"""``dialer report``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import (
    DbOption,
    HomeOption,
    JsonOption,
    emit,
    make_console,
    now,
    read_store,
)

# Below this width the tables keep their most telling columns (all of them are in
# --format csv/xlsx/json): 80 columns stay readable.
NARROW = 120
NARROW_COLUMNS = {
    "daily": ("day", "dials", "live_answers", "abandons", "abandon_rate", "abandon_rate_30d"),
    "agents": ("agent", "calls", "contacts", "logged_in_hours", "occupancy",
               "talk_fraction", "avg_talk_s"),
}
PERCENT = ("rate", "occupancy", "talk_fraction", "penetration", "asr")
ABANDONED_SHOWN = 20
"""Abandoned calls listed in the text report (the latest; csv, xlsx and json list all)."""
ABANDONED_COLUMNS = ("answered_at", "call_uuid", "message", "message_after_answer_s",
                     "within_2s")


FIRST_YEAR, LAST_YEAR = 1970, 2199
MAX_PERIOD = timedelta(days=3660)
"""A report's dates and span: ``--from 0001-01-01`` overflowed the 30-day abandonment
window before it (a traceback), and ``--to 9999-12-31`` took a minute and 3 GB to report
eight thousand empty years."""


def _parse_day(value: str | None, option: str) -> datetime | None:
    from campaigns.errors import CampaignError

    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise CampaignError(f"{option} {value!r}: use YYYY-MM-DD or an ISO time") from error
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise CampaignError(f"{option} {value!r}: outside the years {FIRST_YEAR}-{LAST_YEAR}"
                            " (the dialer's records are dated within them)")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def check_period(start: datetime, end: datetime) -> None:
    """Refuse a report period that is empty, reversed or longer than ``MAX_PERIOD``."""
    from campaigns.errors import CampaignError

    if start >= end:
        raise CampaignError("--from must be before --to")
    if end - start > MAX_PERIOD:
        raise CampaignError(f"--from {start:%Y-%m-%d} to --to {end:%Y-%m-%d} spans "
                            f"{(end - start).days:,} days: a report covers at most "
                            f"{MAX_PERIOD.days:,} (ten years); split it")


def report(
    campaign: Annotated[str | None, typer.Argument(
        help="Campaign (not needed for --queue/--queues).")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="Start (UTC date or ISO time; "
                                              "default: 7 days before --to).")] = None,
    to: Annotated[str | None, typer.Option("--to", help="End, exclusive (default: "
                                           "tomorrow 00:00 UTC).")] = None,
    format_: Annotated[str | None, typer.Option(
        "--format", help="table (default), csv, xlsx or json; with --output alone, the "
        "file's suffix (.csv or .xlsx).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File for csv/xlsx "
                                                "(csv default: stdout).")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG: hourly volume "
                                              "and abandonment trend against the limit.")]
    = None,
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", help="Queue report for this queue (repeatable).")] = None,
    queues: Annotated[bool, typer.Option(
        "--queues", help="Queue report for every queue.")] = False,
    interval: Annotated[str | None, typer.Option(
        "--interval", help="With --queue/--queues: queue and agent intervals: 15, 30 "
        "(default), 60 (minutes) or day.")] = None,
    fcr_days: Annotated[int | None, typer.Option(
        "--fcr-days", metavar="DAYS", help="With --queue/--queues: first-contact "
        "resolution, no new call "
        "within N days (default 7).")] = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Dials, answers, abandonment (daily and rolling 30 days), agents, dispositions with
    what each code means; with --queue/--queues, the queue and agent report per interval
    (docs/inbound.md). Reads only."""
    from campaigns.errors import CampaignError
    from campaigns.reports import campaign_report

    for option, path in (("--output", output), ("--plot", plot)):
        _check_writable(option, path)
    format_ = report_format(format_, output, as_json)
    if queue or queues:
        from campaigns.cli_queue_report import queue_report_command

        queue_report_command(campaign, from_, to, format_, output, plot, queue or None,
                             "30" if interval is None else interval,
                             7 if fcr_days is None else fcr_days, db, home, as_json)
        return
    # The campaign report is per day: these shape only the queue report, and were ignored.
    given = [option for option, value in (("--interval", interval), ("--fcr-days", fcr_days))
             if value is not None]
    if given:
        raise CampaignError(f"{' and '.join(given)} {'shape' if len(given) > 1 else 'shapes'} "
                            "the queue report: add --queue NAME or --queues (the campaign "
                            "report is per day)")
    if campaign is None:
        raise CampaignError("name a campaign, or give --queue NAME / --queues")
    if format_ == "xlsx" and output is None:
        raise CampaignError("--format xlsx needs --output FILE.xlsx")
    end = _parse_day(to, "--to") or datetime.combine(
        now().date() + timedelta(days=1), datetime.min.time(), UTC)
    start = _parse_day(from_, "--from") or end - timedelta(days=7)
    check_period(start, end)
    result = campaign_report(read_store(db, home), campaign, start, end)
    if plot is not None:
        from campaigns.plot import plot_report

        plot_report(result, plot)
    if format_ == "json":
        emit({**result.to_json(), "plot": str(plot) if plot else None})
    elif format_ == "csv":
        _write_csv(result, output)
    elif format_ == "xlsx":
        write_workbook(result, output)  # type: ignore[arg-type]
        make_console().print(f"wrote {output}")
    else:
        _render_report(result)
        if plot is not None:
            make_console().print(f"plot: {plot}")


REPORT_SUFFIXES = {".csv": "csv", ".xlsx": "xlsx", ".xls": "xlsx", ".json": "json"}
"""What a report file's suffix says it holds (what a spreadsheet or editor opens it as)."""


def report_format(format_: str | None, output: Path | None, as_json: bool) -> str:
    """The format ``report`` writes: ``--json``, else ``--format``, else the suffix of
    ``--output`` (.csv, .xlsx), else the table. A file is written only as csv or xlsx, in
    the format its suffix says: ``--format csv -o r.xlsx`` wrote CSV into a file Excel
    refused to open, and ``--format table|json -o r.csv`` printed to the terminal and
    wrote nothing, both silently."""
    from campaigns.errors import CampaignError

    if as_json:
        chosen = "json"
    elif format_ is not None:
        chosen = format_
    elif output is not None:
        chosen = {".csv": "csv", ".xlsx": "xlsx"}.get(output.suffix.lower(), "")
        if not chosen:
            raise CampaignError(f"--output {output}: a report file is .csv or .xlsx (its "
                                "suffix says which), or give --format csv")
    else:
        chosen = "table"
    if chosen not in ("table", "csv", "xlsx", "json"):
        from dialer.words import did_you_mean

        raise CampaignError(f"--format {chosen!r}: choose table, csv, xlsx or json"
                            + did_you_mean(chosen.lower(), ["table", "csv", "xlsx", "json"]))
    if output is None:
        return chosen
    if chosen not in ("csv", "xlsx"):
        option = "--json" if as_json else f"--format {chosen}"
        raise CampaignError(f"--output {output}: {option} prints to the terminal and writes "
                            "no file; a report file is --format csv or xlsx")
    said = REPORT_SUFFIXES.get(output.suffix.lower())
    if said is not None and said != chosen:
        raise CampaignError(
            f"--format {chosen} writes {chosen.upper()}, but --output {output} is named "
            f"{output.suffix}: name it {output.with_suffix('.' + chosen)}"
            + (f", or give --format {said}" if said in ("csv", "xlsx") else ""))
    return chosen


def _check_writable(option: str, path: Path | None) -> None:
    """Refuse an output whose directory is missing before any report is computed (pandas
    and matplotlib ended such a run in a traceback after the work was done)."""
    from campaigns.cli_common import check_output_path

    check_output_path(option, path)


def write_workbook(result: Any, output: Path) -> None:
    """The report as an XLSX workbook, one sheet per section (``dialer report --format
    xlsx``; ``dialer simulate --report`` writes a simulated campaign's with it)."""
    import pandas as pd

    from dnc.whole_files import written_whole

    with written_whole(output) as partial, pd.ExcelWriter(partial) as writer:
        for name, frame in result.sections().items():
            frame.to_excel(writer, sheet_name=name, index=False)


def _write_csv(result: Any, output: Path | None) -> None:
    """Every section in one CSV: a ``section`` column says which table a row belongs to.
    Counts stay integers (a section without a column leaves it empty, not 4.0)."""
    import pandas as pd

    frames = [frame.assign(section=name)[["section", *frame.columns]]
              for name, frame in result.sections().items() if len(frame)]
    whole = {column for frame in frames for column in frame.columns
             if pd.api.types.is_integer_dtype(frame[column])}
    combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for column in whole:
        combined[column] = combined[column].astype("Int64")
    if output is None:
        combined.to_csv(sys.stdout, index=False)
    else:
        from dnc.whole_files import written_whole

        with written_whole(output) as partial:
            combined.to_csv(partial, index=False)


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and any(word in column for word in PERCENT):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _render_report(result: Any) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = make_console()
    narrow = console.width < NARROW
    console.print(f"[bold]{escape(result.campaign)}[/]: {result.start:%Y-%m-%d %H:%M} to "
                  f"{result.end:%Y-%m-%d %H:%M} UTC")
    summary = Table("measure", "value", title="summary")
    for key, value in result.summary.items():
        shown = _cell(key, value) if not (key.startswith("list_penetration") and value is None) \
            else ""
        style = "bold red" if key.startswith("abandon_rate") and isinstance(value, float) \
            and value > result.abandon_limit else ""
        summary.add_row(key.replace("_", " "), f"[{style}]{shown}[/]" if style else shown)
    console.print(summary)
    # Per caller ID (a number carriers label as spam shows as a falling answer rate) and
    # per gateway (legs, ASR, failovers).
    for name in ("daily", "agents", "dispositions", "lists", "caller_ids", "gateways"):
        frame = result.sections()[name]
        if not len(frame):
            continue
        columns = [c for c in frame.columns
                   if not narrow or c in NARROW_COLUMNS.get(name, frame.columns)]
        table = Table(*[str(c).replace("_", " ") for c in columns],
                      title=name.replace("_", " "))
        for row in frame[columns].itertuples(index=False):
            table.add_row(*(escape(_cell(str(c), v)) for c, v in zip(columns, row,
                                                                     strict=True)))
        console.print(table)
    _render_abandoned(console, result.abandoned)
    if narrow:
        console.print("[dim]narrow terminal: some columns left out; --format csv or json "
                      "has them all[/]")


def _render_abandoned(console: Any, frame: Any) -> None:
    """The abandoned calls with their safe-harbour message: how it ended and how many
    seconds after the answer it started (the legal limit is 2)."""
    from rich.markup import escape
    from rich.table import Table

    if not len(frame):
        return
    shown = frame.tail(ABANDONED_SHOWN)
    table = Table(*[c.replace("_", " ") for c in ABANDONED_COLUMNS],
                  title="abandoned calls and their safe-harbour message")
    for row in shown[list(ABANDONED_COLUMNS)].itertuples(index=False):
        cells = [escape(_cell(c, v)) for c, v in zip(ABANDONED_COLUMNS, row, strict=True)]
        # Red: no message proved to start within 2 s (failed, unconfirmed, late).
        table.add_row(*cells, style="" if row.within_2s else "red")
    console.print(table)
    if len(frame) > len(shown):
        console.print(f"[dim]the latest {len(shown)} of {len(frame)} abandoned calls; "
                      "--format csv or json lists them all[/]")
