"""The report's picture: hourly call volume, and the abandonment trend against the limit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from campaigns.reports import CampaignReport


def plot_report(report: CampaignReport, path: str | Path) -> Path:
    """Write a PNG with two panels: hourly dials/live answers/abandons, and the daily and
    rolling-30-day abandonment rate against the campaign's limit."""
    import matplotlib.pyplot as plt

    path = Path(path)
    figure = draw_report(report)
    from dnc.whole_files import written_whole

    with written_whole(path) as partial:
        figure.savefig(partial, dpi=110)
    plt.close(figure)
    return path


def draw_report(report: CampaignReport) -> Figure:
    """The report's figure (the caller saves and closes it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    import pandas as pd

    figure, (volume, trend) = plt.subplots(2, 1, figsize=(11, 7.5), constrained_layout=True)
    last_day = report.end - timedelta(microseconds=1)
    figure.suptitle(f"Campaign {report.campaign}: {report.start:%Y-%m-%d} through "
                    f"{last_day:%Y-%m-%d} (UTC)", fontsize=13)

    hourly = report.hourly
    if len(hourly):
        hours = pd.to_datetime(hourly["hour"] + ":00")
        # Each bar spans its own hour (from HH:00, 90 % of the hour wide), not half of the
        # hour before: a bar centred on its label's time reads as the previous hour.
        width = 1 / 24 * 0.9
        for column, colour, label in (("dials", "#c6dbef", "dials"),
                                      ("live_answers", "#4292c6", "live answers"),
                                      ("abandons", "#d62728", "abandons")):
            volume.bar(hours, hourly[column], width=width, align="edge", color=colour,
                       label=label)
        volume.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d %H:%M"))
        volume.legend(loc="upper left")
    else:
        volume.text(0.5, 0.5, "no dials in this period", ha="center", va="center",
                    transform=volume.transAxes)
    volume.set_title("Hourly call volume")
    volume.set_ylabel("calls per hour")
    volume.grid(axis="y", alpha=0.3)

    daily = report.daily
    limit = report.abandon_limit * 100
    if len(daily):
        days = pd.to_datetime(daily["day"])
        trend.bar(days, daily["abandon_rate"].fillna(0) * 100, width=0.8, color="#fdae6b",
                  label="abandonment rate that day")
        trend.plot(days, daily["abandon_rate_30d"] * 100, color="#d62728", marker="o",
                   linewidth=2, label="rolling 30-day rate (legal measure)")
        trend.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    trend.axhline(limit, color="black", linestyle="--", linewidth=1.5,
                  label=f"limit {limit:g} %")
    trend.set_title("Abandonment: abandoned calls ÷ live answers")
    trend.set_ylabel("percent of live answers")
    top = max([limit * 1.6] + ([float(daily["abandon_rate"].max() * 110)]
                               if len(daily) and daily["abandon_rate"].notna().any() else []))
    trend.set_ylim(0, top)
    trend.legend(loc="upper left")
    trend.grid(axis="y", alpha=0.3)
    return figure
