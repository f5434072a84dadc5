"""``--plot`` pictures: valid PNG files holding the expected series."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.image import imread
from typer.testing import CliRunner

import cli
from simulations.metrics import replicate, summarise
from simulations.plot import (
    pareto_front,
    place_labels,
    simulation_figure,
    sweep_figure,
    write_png,
)
from simulations.scenario import scenario_from_tables

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

SCENARIO = """
[campaign]
agents = 3
shift_hours = 0.25
days = {days}
abandon_limit = 0.03

[callees]
live_answer = 0.3
busy = 0.1
time_to_answer = {{ dist = "fixed", value = 6.0 }}

[agents]
talk = {{ dist = "exponential", mean = 40.0 }}
wrap = 5
"""


def _summaries(days: int, policies: tuple[str, ...] = ("progressive", "power")) -> dict:
    scenario = scenario_from_tables({
        "campaign": {"agents": 3, "shift_hours": 0.25, "days": days},
        "callees": {"live_answer": 0.3, "time_to_answer": {"dist": "fixed", "value": 6.0}},
        "agents": {"talk": {"dist": "exponential", "mean": 40.0}, "wrap": 5.0}})
    params = {"power": {"lines_per_agent": 2.0}}
    return {p: summarise(replicate(scenario, p, 2, 1, params.get(p))) for p in policies}


def assert_png(path: Path, width: int, height: int) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (width, height)
    pixels = imread(path)
    assert pixels.shape[:2] == (height, width)
    assert float(np.std(pixels)) > 0.05  # something is drawn, not a blank canvas


def _limit_lines(ax, value: float, vertical: bool = False) -> int:
    """Dashed straight lines at ``value`` (axhline / axvline)."""
    count = 0
    for line in ax.get_lines():
        data = line.get_xdata() if vertical else line.get_ydata()
        if line.get_linestyle() == "--" and all(np.isclose(d, value) for d in data):
            count += 1
    return count


def test_simulation_figure_one_day(tmp_path: Path) -> None:
    summaries = _summaries(1)
    figure = simulation_figure(summaries, 0.03, "test", talk_limit=40 / 45)
    talk, abandon = figure.axes
    for ax, key in ((talk, "talk_fraction"), (abandon, "abandon_rate")):
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert len(bars) == 1 and len(bars[0]) == 2  # one bar per policy
        heights = [bar.get_height() for bar in bars[0]]
        assert heights == pytest.approx([summaries[p][key]["mean"] * 100 for p in summaries])
        assert bars[0].errorbar is not None  # the 95 % CI whiskers
        assert [t.get_text() for t in ax.get_xticklabels()] == ["progressive", "power"]
    assert _limit_lines(abandon, 3.0) == 1
    path = write_png(figure, tmp_path / "one.png", dpi=50)
    width, height = figure.get_size_inches() * 50
    assert_png(path, round(width), round(height))


def test_simulation_figure_several_days_adds_the_daily_panel() -> None:
    summaries = _summaries(3)
    figure = simulation_figure(summaries, 0.03, "test")
    assert len(figure.axes) == 3
    daily = figure.axes[2]
    series = [line for line in daily.get_lines() if line.get_linestyle() == "-"]
    assert len(series) == 2 and all(len(line.get_xdata()) == 3 for line in series)
    assert _limit_lines(daily, 3.0) == 1
    assert len(daily.get_legend().get_texts()) == 3  # two policies and the limit


def _rows() -> list[dict]:
    rows = []
    for policy, shift in (("progressive", 0.0), ("adaptive", 0.02)):
        for agents in (5, 10, 20):
            rows.append({"agents": agents, "policy": policy,
                         "abandon_rate": shift * agents / 10, "abandon_rate_ci95": 0.004,
                         "talk_fraction": 0.5 + agents / 100, "talk_fraction_ci95": 0.01})
    return rows


def test_sweep_figure_has_points_frontier_and_limit(tmp_path: Path) -> None:
    figure = sweep_figure(_rows(), ["agents"], 0.03, "sweep")
    (ax,) = figure.axes
    points = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(points) == 2  # one series of grid points per policy
    assert all(len(c.lines[0].get_xdata()) == 3 for c in points)
    # agents is a scenario key: points of different scenarios are never joined
    frontiers = [line for line in ax.get_lines() if line.get_gid() == "frontier"]
    assert frontiers == []
    assert _limit_lines(ax, 3.0, vertical=True) == 1
    assert len(ax.get_legend().get_texts()) == 3
    path = write_png(figure, tmp_path / "sweep.png", dpi=40)
    width, height = figure.get_size_inches() * 40
    assert_png(path, round(width), round(height))


def test_sweep_frontier_joins_policy_values_within_one_scenario_only() -> None:
    rows = []
    for agents in (5, 10):
        for margin in (2.0, 3.0, 4.0):
            rows.append({"agents": agents, "predictive.margin_z": margin,
                         "policy": "predictive", "abandon_rate": 0.01 * (5 - margin) + agents
                         / 1000, "abandon_rate_ci95": 0.001,
                         "talk_fraction": 0.6 - 0.02 * margin + agents / 100,
                         "talk_fraction_ci95": 0.01})
    figure = sweep_figure(rows, ["agents", "predictive.margin_z"], 0.03, "sweep",
                          policy_keys=["predictive.margin_z"])
    (ax,) = figure.axes
    lines = [line for line in ax.get_lines() if line.get_gid() == "frontier"]
    assert len(lines) == 2  # one per scenario point, each over that point's margins only
    for line, agents in zip(lines, (5, 10), strict=True):
        wanted = sorted(r["abandon_rate"] * 100 for r in rows if r["agents"] == agents)
        assert sorted(line.get_xdata()) == pytest.approx(wanted)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend.count("predictive: frontier") == 1


@given(st.lists(st.tuples(st.floats(0, 600), st.floats(0, 400)), min_size=1, max_size=12),
       st.lists(st.text(alphabet="0123456789./—", min_size=1, max_size=9), min_size=12,
                max_size=12))
def test_point_labels_never_overlap_when_there_is_room(points: list, texts: list) -> None:
    texts = texts[:len(points)]
    size = (650.0, 420.0)
    offsets = place_labels(points, texts, size)
    height = 7.0 * 1.25
    boxes = []
    for (x, y), text, (dx, dy) in zip(points, texts, offsets, strict=True):
        width = 7.0 * 0.62 * len(text)
        boxes.append((x + dx, y + dy, x + dx + width, y + dy + height))
    for i, a in enumerate(boxes):
        for b in boxes[:i]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a, b)


@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=30))
def test_pareto_front_is_exactly_the_undominated_points(points: list) -> None:
    front = pareto_front(points)

    def dominated(p: tuple[float, float]) -> bool:
        return any(q[0] <= p[0] and q[1] >= p[1] and q != p for q in points)

    assert all(not dominated(p) for p in front)
    assert all(p in front or dominated(p) for p in points)
    assert [p[0] for p in front] == sorted(p[0] for p in front)


@pytest.mark.parametrize("command", ["simulate", "sweep"])
def test_cli_plot_writes_a_png(tmp_path: Path, command: str) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.format(days=2))
    out = tmp_path / f"{command}.png"
    args = [command, str(scenario), "--policy", "progressive", "--replications", "2",
            "--plot", str(out)]
    if command == "sweep":
        args += ["--vary", "agents=2,3", "--workers", "1"]
    result = CliRunner().invoke(cli.app, args)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) > 5000


def test_sweep_compares_progressive_and_predictive_by_default_with_intervals(
        tmp_path: Path) -> None:
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.format(days=1))
    out = tmp_path / "rows.csv"
    result = CliRunner().invoke(cli.app, [
        "sweep", str(scenario), "--vary", "agents=2", "--replications", "2", "--workers", "1",
        "--output", str(out)])
    assert result.exit_code == 0, result.output
    import csv

    policies = [row["policy"] for row in csv.DictReader(out.open())]
    assert policies == ["progressive", "predictive"]
    assert "±" in result.output
    assert "95 % confidence interval" in result.output
