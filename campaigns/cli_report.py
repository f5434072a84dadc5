"""``dialer report``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import DbOption, JsonOption, emit, make_console, now, open_store


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
        now().date() + timedelta(days=1), datetime.min.time(), UTC)
    start = _parse_day(from_, "--from") or end - timedelta(days=7)
    if start >= end:
        raise CampaignError("--from must be before --to")
    result = campaign_report(open_store(db), campaign, start, end)
    if plot is not None:
        from campaigns.plot import plot_report

        plot_report(result, plot)
    if format_ == "json":
        emit({**result.to_json(), "plot": str(plot) if plot else None})
    elif format_ == "csv":
        _write_csv(result, output)
    elif format_ == "xlsx":
        import pandas as pd

        with pd.ExcelWriter(output) as writer:
            for name, frame in result.sections().items():
                frame.to_excel(writer, sheet_name=name, index=False)
        make_console().print(f"wrote {output}")
    else:
        _render_report(result)
        if plot is not None:
            make_console().print(f"plot: {plot}")


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

    console = make_console()
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


