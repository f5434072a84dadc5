"""benchmarks/pacing_quality.py --predictive-params: checked as ``--policy predictive:...``."""

from __future__ import annotations

import argparse
import importlib.util
import pathlib

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pacing_quality.py"


def _module():
    spec = importlib.util.spec_from_file_location("pacing_quality_under_test", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_known_parameters_are_passed_as_numbers() -> None:
    pq = _module()
    params = pq._predictive_params(
        argparse.ArgumentParser(), "aim_cap=1,margin_z=1,reserve_abandons=1"
    )
    assert params == {"aim_cap": 1.0, "margin_z": 1.0, "reserve_abandons": 1.0}


@pytest.mark.parametrize(
    "text, word",
    [
        ("aim_kap=1", "aim_kap"),  # a misspelt name is refused, not dropped
        ("aim_cap=2", "aim_cap"),  # out of its range (0, 1]
        ("margin_z", "KEY=VALUE"),
    ],
)
def test_a_bad_parameter_is_refused_with_its_name(
    text: str, word: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pq = _module()
    with pytest.raises(SystemExit) as stop:
        pq._predictive_params(argparse.ArgumentParser(prog="pacing_quality.py"), text)
    assert stop.value.code == 2
    error = capsys.readouterr().err
    assert "--predictive-params" in error and word in error


def test_the_predictive_column_runs_with_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """``_one`` hands the parameters to the predictive policy (and only to it)."""
    pq = _module()
    seen: list[tuple[str, dict]] = []

    class Recording:
        def __init__(self, scenario, policy, seed, replication, params):
            seen.append((policy, dict(params)))

        def run(self):
            raise StopIteration

    import simulations.driver

    monkeypatch.setattr(simulations.driver, "Simulation", Recording)
    machines = {**pq.MACHINES, "predictive_params": {"aim_cap": 0.5}}
    for column in ("predictive", "progressive"):
        with pytest.raises(StopIteration):
            pq._one((5, 0.1, 90.0, (0.1, 1), column, 0, None, None, machines))
    assert seen == [("predictive", {"aim_cap": 0.5}), ("progressive", {})]
