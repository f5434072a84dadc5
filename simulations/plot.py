"""Pictures of simulation results: policies side by side, and a sweep's frontier.

Built on ``matplotlib.figure.Figure`` with the Agg renderer, without pyplot: no global
figure state, safe in worker processes and tests. ``*_figure`` functions build the figure
(tests inspect it), ``write_png`` renders it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_LIMIT_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.5}


def _ci(value: Mapping[str, float]) -> float:
    half = value.get("ci95", math.nan)
    return 0.0 if half is None or not math.isfinite(half) else half


def _bars(ax: Any, policies: list[str], colours: list[str], values: list[float],
          halves: list[float]) -> None:
    """Bars (means) with 95 % CI whiskers, each labelled ``mean ± half``."""
    x = list(range(len(policies)))
    ax.bar(x, values, yerr=halves, color=colours, capsize=6, error_kw={"elinewidth": 1.5})
    for xi, value, half in zip(x, values, halves, strict=True):
        ax.annotate(f"{value:.2f} ± {half:.2f}", (xi, value + half),
                    textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    ax.set_xticks(x, policies)
    ax.grid(axis="y", alpha=0.3)


def simulation_figure(summaries: Mapping[str, Mapping[str, Any]], abandon_limit: float,
                      title: str, talk_limit: float | None = None) -> Figure:
    """Per policy: talk fraction and abandonment rate (bars: means; whiskers: 95 % CI), and,
    for a run of several days, each day's abandonment rate against the limit.

    ``summaries``: policy name → ``metrics.summarise`` output. ``talk_limit``: the talk
    fraction no policy can pass, E[talk] ÷ (E[talk] + E[wrap]), drawn when given.
    """
    from matplotlib.ticker import MaxNLocator

    policies = list(summaries)
    days = len(next(iter(summaries.values()))["abandon_rate_per_day"]) if policies else 0
    panels = 3 if days > 1 else 2
    figure = Figure(figsize=(5.2 * panels, 5.0), layout="constrained")
    axes = figure.subplots(1, panels)
    figure.suptitle(title, fontsize=12)
    colours = [_COLOURS[i % len(_COLOURS)] for i in range(len(policies))]

    talk = axes[0]
    _bars(talk, policies, colours,
          [summaries[p]["talk_fraction"]["mean"] * 100 for p in policies],
          [_ci(summaries[p]["talk_fraction"]) * 100 for p in policies])
    if talk_limit is not None:
        talk.axhline(talk_limit * 100, color="grey", linestyle=":", linewidth=1.5,
                     label=f"upper bound talk ÷ (talk + wrap) = {talk_limit:.1%}")
        talk.legend(loc="upper left", fontsize=8)
    talk.set_title("Talk fraction (bars: mean, whiskers: 95 % CI)", fontsize=10)
    talk.set_ylabel("talk time, percent of logged-in time")
    talk.set_ylim(0, 105)

    abandon = axes[1]
    rates = [summaries[p]["abandon_rate"]["mean"] * 100 for p in policies]
    halves = [_ci(summaries[p]["abandon_rate"]) * 100 for p in policies]
    _bars(abandon, policies, colours, rates, halves)
    abandon.axhline(abandon_limit * 100, **_LIMIT_STYLE, label=f"limit {abandon_limit:.1%}")
    abandon.set_title("Abandonment (bars: mean, whiskers: 95 % CI)", fontsize=10)
    abandon.set_ylabel("abandoned calls, percent of live answers")
    top = max([abandon_limit * 100 * 1.6] + [(r + h) * 1.25 for r, h in
                                               zip(rates, halves, strict=True)])
    abandon.set_ylim(0, top)
    abandon.legend(loc="upper left", fontsize=8)

    if panels == 3:
        daily = axes[2]
        day_numbers = list(range(1, days + 1))
        for policy, colour in zip(policies, colours, strict=True):
            daily.plot(day_numbers, [r * 100 for r in summaries[policy]["abandon_rate_per_day"]],
                       color=colour, marker="o", markersize=3, label=policy)
        daily.axhline(abandon_limit * 100, **_LIMIT_STYLE, label=f"limit {abandon_limit:.1%}")
        daily.set_title("Abandonment per day (mean over replications)", fontsize=10)
        daily.set_xlabel("day")
        daily.set_ylabel("abandoned calls, percent of that day's live answers")
        daily.xaxis.set_major_locator(MaxNLocator(integer=True))
        daily.set_ylim(0, max([top] + [r * 125 for p in policies
                                      for r in summaries[p]["abandon_rate_per_day"]]))
        daily.legend(loc="upper left", fontsize=8)
        daily.grid(alpha=0.3)
    return figure


def pareto_front(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """The (abandonment, talk fraction) points no other point beats on both (lower
    abandonment and higher talk fraction), by increasing abandonment."""
    front: list[tuple[float, float]] = []
    for abandon, talk in sorted(points, key=lambda p: (p[0], -p[1])):
        if not front or talk > front[-1][1]:
            front.append((abandon, talk))
    return front


def _point_value(value: Any) -> str:
    """A grid value as a point label ("—" where a policy axis does not apply)."""
    if value is None:
        return "—"
    return f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) \
        else str(value)


def _groups(rows: Sequence[Mapping[str, Any]], scenario_keys: Sequence[str]
            ) -> dict[tuple[Any, ...], list[Mapping[str, Any]]]:
    """Rows of one policy grouped by their scenario point (the values of the scenario axes)."""
    groups: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(key) for key in scenario_keys), []).append(row)
    return groups


_LABEL_POINTS = 7.0
"""Font size of the point labels; their boxes are estimated from it (Agg's default font)."""


def place_labels(points: Sequence[tuple[float, float]], texts: Sequence[str],
                 size: tuple[float, float]) -> list[tuple[float, float]]:
    """Offsets (in points) for labels at ``points`` (in points inside an axes of ``size``)
    such that no two label boxes overlap, tried nearest first: right, below, above, left,
    then further down and up. A label that finds no free place keeps the last candidate,
    which only happens when the axes are full of labels (the caller labels few points)."""
    height = _LABEL_POINTS * 1.25
    placed: list[tuple[float, float, float, float]] = []
    offsets = []
    for (x, y), text in zip(points, texts, strict=True):
        width = _LABEL_POINTS * 0.62 * max(1, len(text))
        candidates = [(5.0, 3.0), (5.0, -3.0 - height), (-5.0 - width, 3.0),
                      (-5.0 - width, -3.0 - height)]
        for step in range(1, 12):
            candidates += [(5.0, 3.0 + step * height), (5.0, -3.0 - (step + 1) * height),
                           (-5.0 - width, 3.0 + step * height)]
        chosen = candidates[-1]
        for dx, dy in candidates:
            box = (x + dx, y + dy, x + dx + width, y + dy + height)
            inside = box[0] >= 0 and box[2] <= size[0] and box[1] >= 0 and box[3] <= size[1]
            if inside and not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3]
                                  and b[1] < box[3] for b in placed):
                chosen = (dx, dy)
                break
        dx, dy = chosen
        placed.append((x + dx, y + dy, x + dx + width, y + dy + height))
        offsets.append(chosen)
    return offsets


def sweep_figure(rows: Sequence[Mapping[str, Any]], axes_names: Sequence[str],
                 abandon_limit: float, title: str,
                 policy_keys: Sequence[str] = ()) -> Figure:
    """Talk fraction against abandonment, one colour per policy: every grid point with its
    95 % CI bars (labelled with its grid values when there are few, without overlaps), the
    policy's frontier, and the abandonment limit.

    A frontier is a trade-off one policy offers on ONE scenario: it joins the non-dominated
    points of the policy's parameter values (``policy_keys``, e.g. ``predictive.margin_z``)
    at the same scenario point. Points of different scenarios (every other axis: agents,
    rates...) are never joined, so a sweep over scenario keys alone draws no frontier."""
    scenario_keys = [name for name in axes_names if name not in set(policy_keys)]
    figure = Figure(figsize=(9.5, 6.5), layout="constrained")
    ax = figure.subplots()
    policies = list(dict.fromkeys(str(row["policy"]) for row in rows))
    label_points = len(rows) <= 24
    right = max([abandon_limit * 100 * 1.5] + [
        (row["abandon_rate"] + _ci({"ci95": row.get("abandon_rate_ci95")})) * 105
        for row in rows])
    left = -0.03 * right  # room for the markers of policies that never abandon
    top = max([1.0] + [(row["talk_fraction"] + _ci({"ci95": row.get("talk_fraction_ci95")}))
                       * 108 for row in rows])
    ax.set_xlim(left, right)
    ax.set_ylim(0, top)
    labels: list[tuple[float, float, str, str]] = []
    for index, policy in enumerate(policies):
        colour = _COLOURS[index % len(_COLOURS)]
        mine = [row for row in rows if row["policy"] == policy]
        xs = [row["abandon_rate"] * 100 for row in mine]
        ys = [row["talk_fraction"] * 100 for row in mine]
        ax.errorbar(xs, ys, xerr=[_ci({"ci95": r.get("abandon_rate_ci95")}) * 100 for r in mine],
                    yerr=[_ci({"ci95": r.get("talk_fraction_ci95")}) * 100 for r in mine],
                    fmt="o", color=colour, ecolor=colour, alpha=0.8, capsize=3,
                    label=f"{policy}: grid points ± 95 % CI")
        named = False
        for group in _groups(mine, scenario_keys).values():
            if len(group) < 2:
                continue
            front = pareto_front([(r["abandon_rate"] * 100, r["talk_fraction"] * 100)
                                  for r in group])
            ax.plot([p[0] for p in front], [p[1] for p in front], color=colour,
                    linewidth=1.8, gid="frontier",
                    label=f"{policy}: frontier" if not named else "_nolegend_")
            named = True
        if label_points:
            for row, x, y in zip(mine, xs, ys, strict=True):
                text = "/".join(_point_value(row.get(name)) for name in axes_names)
                labels.append((x, y, text, colour))
    if labels:
        # The axes' size in points, from the figure's size less the constrained margins
        # (an estimate good to a few points: enough to keep labels apart).
        width_pt, height_pt = figure.get_size_inches() * 72 * (0.86, 0.84)
        to_pt = [((x - left) / (right - left) * width_pt, y / top * height_pt)
                 for x, y, _, _ in labels]
        offsets = place_labels(to_pt, [text for _, _, text, _ in labels],
                               (width_pt, height_pt))
        for (x, y, text, colour), offset in zip(labels, offsets, strict=True):
            ax.annotate(text, (x, y), textcoords="offset points", xytext=offset,
                        fontsize=_LABEL_POINTS, color=colour)
    ax.axvline(abandon_limit * 100, **_LIMIT_STYLE, label=f"abandon limit {abandon_limit:.1%}")
    if label_points and axes_names:
        title = f"{title}\npoints labelled {'/'.join(axes_names)}"
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("abandonment rate (percent of live answers)")
    ax.set_ylabel("talk fraction (percent of logged-in time)")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return figure


def write_png(figure: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Render ``figure`` to a PNG file (Agg)."""
    path = Path(path)
    figure.savefig(path, dpi=dpi, format="png")
    return path
