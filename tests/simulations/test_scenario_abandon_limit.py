"""A scenario file's ``abandon_limit`` above the law's 3 % (0.03, 47 CFR 64.1200(a)(7)) is
refused in one line naming the file and line: 0.3 was simulated as 30 %, very likely a
percentage written as a fraction. A study of unlawful limits says so with
``allow_unlawful_limit = true``; every shipped scenario is lawful and loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import cli
from simulations.errors import ScenarioError
from simulations.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
OUTBOUND = (ROOT / "simulations/scenarios/outbound.toml").read_text()


def with_limit(tmp_path: Path, limit: str, extra: str = "") -> Path:
    assert "abandon_limit = 0.03\n" in OUTBOUND
    path = tmp_path / "s.toml"
    path.write_text(OUTBOUND.replace("abandon_limit = 0.03\n",
                                     f"abandon_limit = {limit}\n{extra}"))
    return path


def line_of_limit(path: Path) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.startswith("abandon_limit"))


@pytest.mark.parametrize("limit", ["0.3", "0.05", "0.0301"])
def test_a_limit_above_the_law_is_refused_with_its_line(tmp_path, limit):
    path = with_limit(tmp_path, limit)
    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)
    said = str(refused.value)
    assert said.startswith(f"{path}:{line_of_limit(path)}: [campaign].abandon_limit: {limit} ")
    assert "above the law's 0.03 = 3 % (47 CFR 64.1200(a)(7))" in said
    assert "allow_unlawful_limit = true" in said


def test_a_study_opts_in_and_the_limit_is_simulated(tmp_path):
    path = with_limit(tmp_path, "0.05", "allow_unlawful_limit = true\n")
    assert load_scenario(path).campaign.abandon_limit == 0.05


def test_the_opt_in_is_a_boolean(tmp_path):
    path = with_limit(tmp_path, "0.05", 'allow_unlawful_limit = "yes"\n')
    with pytest.raises(ScenarioError, match=r"\[campaign\]\.allow_unlawful_limit: true or "
                                            "false"):
        load_scenario(path)


def test_the_law_s_limit_and_below_load(tmp_path):
    assert load_scenario(with_limit(tmp_path, "0.03")).campaign.abandon_limit == 0.03
    assert load_scenario(with_limit(tmp_path, "0.01")).campaign.abandon_limit == 0.01


def test_every_shipped_scenario_loads():
    shipped = sorted((ROOT / "simulations/scenarios").glob("*.toml"))
    assert shipped
    for path in shipped:
        assert load_scenario(path).campaign.abandon_limit <= 0.03


def test_simulate_refuses_it_in_one_error_line(tmp_path):
    path = with_limit(tmp_path, "0.3")
    result = CliRunner().invoke(cli.app, ["simulate", str(path), "--policy", "progressive",
                                          "--workers", "1", "--replications", "1"])
    assert result.exit_code == 1, result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}:{line_of_limit(path)}: [campaign].abandon_limit: "
                           "0.3 is 30.0% of live answers, above the law's 0.03 = 3 %")
