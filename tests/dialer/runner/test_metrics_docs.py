"""docs/operations.md's Grafana dashboard and alert rules name only metrics the runner
serves (a renamed family would leave a dashboard panel empty and an alert silent)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from dialer.runner.metrics import RunnerMetrics

OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
_SUFFIXES = ("_total", "_bucket", "_count", "_sum")


def _block(after: str, fence: str) -> str:
    text = OPERATIONS.read_text(encoding="utf-8").split(after, 1)[1]
    return text.split(f"```{fence}\n", 1)[1].split("\n```", 1)[0]


def _served() -> set[str]:
    return {family.name for family in RunnerMetrics("c").registry.collect()}


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_dashboard_parses_and_queries_served_metrics() -> None:
    dashboard = json.loads(_block("### Grafana dashboard", "json"))
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = {_family(n) for e in expressions for n in re.findall(r"\bdialer_[a-z_]+", e)}
    assert names and names <= _served(), names - _served()
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_alert_rules_query_served_metrics() -> None:
    rules = _block("### Alert rules", "yaml")
    expressions = re.findall(r"^\s+expr: (.+)$", rules, re.MULTILINE)
    assert len(expressions) == len(re.findall(r"- alert: ", rules)) >= 5
    names = {_family(n) for e in expressions for n in re.findall(r"\bdialer_[a-z_]+", e)}
    assert names <= _served(), names - _served()
