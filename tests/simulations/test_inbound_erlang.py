"""Inbound-only scenarios reproduce Erlang C (no abandonment) and Erlang A (exponential
patience) within the replications' confidence intervals."""

from __future__ import annotations

from pacing_models.erlang import erlang_a, erlang_c
from simulations.metrics import replicate, summarise
from simulations.scenario import scenario_from_tables


def _inbound(patience: dict | None) -> dict:
    inbound: dict = {"calls_per_hour": 120.0}
    if patience is not None:
        inbound["patience"] = patience
    return {
        "campaign": {"agents": 3, "shift_hours": 6.0, "outbound": False},
        "callees": {"live_answer": 0.0},
        "agents": {"talk": {"dist": "exponential", "mean": 60.0}, "wrap": 0.0},
        "inbound": inbound,
    }


def _share(runs: list[dict], key: str) -> dict:
    return summarise([{**r, "dials": r[key] / max(r["inbound_offered"], 1)} for r in runs])[
        "dials"]


def test_erlang_c_probability_of_waiting() -> None:
    runs = replicate(scenario_from_tables(_inbound(None)), "progressive", 6, 11)
    assert all(r["dials"] == 0 for r in runs)
    waited = _share(runs, "inbound_waited")
    expected = erlang_c(3, 2.0)
    assert abs(waited["mean"] - expected) <= max(waited["ci95"], 0.02)


def test_erlang_a_abandonment() -> None:
    runs = replicate(scenario_from_tables(_inbound({"dist": "exponential", "mean": 60.0})),
                     "progressive", 6, 12)
    abandoned = _share(runs, "inbound_abandoned")
    expected = erlang_a(3, 2.0, 60.0, 60.0).p_abandon
    assert abs(abandoned["mean"] - expected) <= max(abandoned["ci95"], 0.01)
