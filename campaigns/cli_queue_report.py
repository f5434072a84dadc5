"""``dialer report --queue NAME`` / ``--queues``: queue and agent figures per interval."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from campaigns.cli_common import emit, make_console, now, read_store


def queue_report_command(campaign: str | None, from_: str | None, to: str | None,
                         format_: str, output: Path | None, plot: Path | None,
                         queues: list[str] | None, interval: str, fcr_days: int,
                         db: str | None, home: Path | None, as_json: bool) -> None:
    import pandas as pd

    from campaigns.cli_report import _parse_day, check_period
    from campaigns.errors import CampaignError
    from campaigns.queue_reports import DEFAULT_WITHIN, plot_queue_report, queue_report
    from campaigns.queue_store import QueueStore
    from dnc.whole_files import written_whole

    if format_ == "xlsx" and output is None:
        raise CampaignError("--format xlsx needs --output FILE.xlsx")
    end = _parse_day(to, "--to") or datetime.combine(
        now().date() + timedelta(days=1), datetime.min.time(), UTC)
    start = _parse_day(from_, "--from") or end - timedelta(days=1)
    check_period(start, end)
    store = read_store(db, home)
    # A queue stored before a check this version makes still has its records reported,
    # against its own service level; only one whose very target does not read is refused
    # where asked for, and named (not hidden) in a report of every queue.
    levels, unreadable = QueueStore(store).service_levels()
    for name in queues or ():
        if name in unreadable:
            raise CampaignError(unreadable[name])
        if name not in levels:
            raise CampaignError(f"no queue named {name!r} (see `dialer queue list`)")
    for name, problem in unreadable.items():
        if not queues:
            make_console(stderr=True).print(
                f"note: queue {name}'s service level is measured against "
                f"{DEFAULT_WITHIN:g} s (the default): {problem}", highlight=False, soft_wrap=True)
    campaign_id = store.campaign(campaign).id if campaign is not None else None
    from campaigns.queue_backlog import unserved_callbacks

    for backlog in unserved_callbacks(store):
        if not queues or backlog.queue in queues:
            make_console(stderr=True).print(f"note: {backlog.sentence()}", highlight=False,
                                            soft_wrap=True)
    result = queue_report(
        store, start, end, interval=interval, queues=queues, fcr_days=fcr_days,
        within={n: level.within for n, level in levels.items()},
        targets={n: level.target for n, level in levels.items()},
        campaign=campaign_id)
    if plot is not None:
        plot_queue_report(result, plot)
    if format_ == "json":
        emit({**result.to_json(), "plot": str(plot) if plot else None})
    elif format_ == "csv":
        frames = [frame.assign(section=name)[["section", *frame.columns]]
                  for name, frame in result.sections().items() if len(frame)]
        combined = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if output is None:
            combined.to_csv(sys.stdout, index=False)
        else:
            with written_whole(output) as partial:
                combined.to_csv(partial, index=False)
    elif format_ == "xlsx":
        with written_whole(output) as partial, pd.ExcelWriter(partial) as writer:
            for name, frame in result.sections().items():
                _naive(frame).to_excel(writer, sheet_name=name, index=False)
        make_console().print(f"wrote {output}")
    else:
        _render(result)
        if plot is not None:
            make_console().print(f"plot: {plot}")


def _naive(frame: Any) -> Any:
    """Excel cannot hold time zones: UTC times are written as plain times."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None)
        elif values.dtype == object and values.map(
                lambda v: isinstance(v, pd.Timestamp) and v.tzinfo is not None).any():
            frame[column] = pd.to_datetime(values, utc=True).dt.tz_localize(None)
    return frame


_SHOWN = {
    "queues": {"queue": "queue", "offered": "offered", "answered": "answered",
               "abandoned": "abandoned", "short_abandoned": "short abandons (< 5 s)",
               "service_level": "service level", "asa": "ASA (s)", "aht": "AHT (s)",
               "longest_wait": "longest wait (s)", "callbacks_requested": "callbacks asked",
               "callbacks_completed": "callbacks completed", "voicemails": "voicemails",
               "ivr_abandoned": "left in the menu", "overflowed_out": "overflowed out",
               "first_contact_resolution": "first-contact resolution"},
    "intervals": {"interval": "interval", "queue": "queue", "offered": "offered",
                  "answered": "answered", "abandoned": "aband.", "service_level": "SL",
                  "asa": "ASA s", "aht": "AHT s", "longest_wait": "longest s"},
    "agents": {"interval": "interval", "agent": "agent", "inbound": "in", "outbound": "out",
               "occupancy": "occupancy", "paused_s": "paused s"},
}
"""The terminal shows the main columns; csv, xlsx and json have every column."""


def _cell(column: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if column in ("service_level", "occupancy", "first_contact_resolution"):
        return f"{value:.1%}"
    if hasattr(value, "strftime"):
        return value.strftime("%m-%d %H:%M")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _render(result: Any) -> None:
    from rich.table import Table

    console = make_console()
    per = "day" if result.interval == "day" else f"{result.interval} min"
    console.print(f"queues: {result.start:%Y-%m-%d %H:%M} to {result.end:%Y-%m-%d %H:%M} UTC, "
                  f"per {per}; first-contact resolution over {result.fcr_days} days "
                  "(every column: --format csv, xlsx or json)")
    summary = result.summary
    if len(summary):
        # One column per queue: the measures read down, however many there are.
        table = Table("measure", *summary["queue"], title="queues")
        for column, label in _SHOWN["queues"].items():
            if column != "queue":
                table.add_row(label, *(_cell(column, v) for v in summary[column]))
        console.print(table)
    for name, columns in _SHOWN.items():
        frame = result.sections()[name]
        if not len(frame) or name == "queues":
            continue
        table = Table(*columns.values(), title=name)
        for row in frame[list(columns)].itertuples(index=False):
            table.add_row(*(_cell(c, v) for c, v in zip(columns, row, strict=True)))
        console.print(table)
