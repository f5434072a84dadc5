"""benchmarks/pacing_policy_search.py: its objective punishes a window over the limit, and
its held-out replications cannot be the training ones."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import pytest

_PATH = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "pacing_policy_search.py"


def _module():
    spec = importlib.util.spec_from_file_location("pacing_policy_search_under_test", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_window_over_the_limit_loses_to_any_legal_result() -> None:
    ps = _module()
    legal = {(10, 0.1, 90.0): [(0.70, 0.029), (0.70, 0.030)]}
    over = {(10, 0.1, 90.0): [(0.99, 0.029), (0.99, 0.0301)]}
    assert ps.objective(legal) == pytest.approx((0.70 / 0.85, 0.030))
    assert ps.objective(over)[0] < ps.objective(legal)[0]


def test_targets_by_size() -> None:
    ps = _module()
    assert ps._target(10) == 0.85 and ps._target(20) == 0.85 and ps._target(50) == 0.95


@pytest.mark.parametrize("argv, word", [
    (["--train-seed", "1", "--test-seed", "1"], "--test-seed"),
    (["--evaluate", "1/2/3"], "--evaluate"),
    (["--evaluate", "9/0/0/0/0/0"], "--evaluate"),
    (["--evaluate", "a/0/0/0/0/0"], "--evaluate"),
])
def test_bad_arguments_are_refused_before_any_run(argv, word, monkeypatch, capsys) -> None:
    ps = _module()
    monkeypatch.setattr(sys, "argv", ["pacing_policy_search.py", *argv])
    ran = []
    monkeypatch.setattr(ps, "_run", lambda job: ran.append(job))
    with pytest.raises(SystemExit):
        ps.main()
    assert ran == []
    assert word in capsys.readouterr().err
