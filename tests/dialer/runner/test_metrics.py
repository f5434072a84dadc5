"""The Prometheus endpoint: every family the operations page lists, served over HTTP on
loopback and parsed back with prometheus-client's own parser."""

from __future__ import annotations

import math
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from dialer.engine.gateways import GatewayRouter, GatewaySpec
from dialer.engine.routed_verdicts import RoutedVerdictCounts
from dialer.hangup import HangupCause
from dialer.runner.errors import RunnerSettingsError
from dialer.runner.metrics import MetricsView, RunnerMetrics, parse_metrics_address

FAMILIES = {
    "dialer_calls", "dialer_channels", "dialer_attempts", "dialer_call_outcomes",
    "dialer_failovers", "dialer_calls_per_second", "dialer_answer_to_bridge_seconds",
    "dialer_abandon_rate", "dialer_abandon_target", "dialer_agents", "dialer_queue_waiting",
    "dialer_queue_longest_wait_seconds", "dialer_gateway_up",
    "dialer_gateway_channels_in_use", "dialer_gateway_channels", "dialer_gateway_asr",
    "dialer_gateway_post_dial_delay_seconds", "dialer_gateway_carrier_failure_ratio",
    "dialer_gateway_short_call_ratio", "dialer_esl_connected",
    "dialer_journal_pending_operations", "dialer_journal_lag_seconds",
    "dialer_event_loop_lag_seconds", "dialer_amd_routed_verdicts_kept",
    "dialer_amd_routed_verdicts_confirmed", "dialer_amd_routed_words_ignored",
    "dialer_amd_routed_verdicts_expired_unconfirmed", "dialer_amd_routed_verdicts_awaiting_word",
    "dialer_dials_not_sent_late",
}


def _view(router: GatewayRouter, calls: dict[str, int]) -> MetricsView:
    return MetricsView(
        calls_by_state=calls, channels_by_switch={"fs:8021": 7},
        agents_by_state={"ready": 2, "on_call": 3}, abandon_rate_today=0.012,
        abandon_rate_rolling=0.021, abandon_target=0.03, queues=[("sales", 4, 31.5)],
        gateways=router.figures(5.0), switches={"fs:8021": True, "fs2:8021": False},
        journal_pending=12, journal_lag=0.004, loop_lag=0.001,
        routed_verdicts=RoutedVerdictCounts(kept=5, awaiting=1, confirmed_person=2,
                                            confirmed_machine=1, ignored_late=1,
                                            expired_unconfirmed=1))


def test_every_family_is_served_and_parses() -> None:
    router = GatewayRouter([GatewaySpec("carrier1", "fs:8021", 30, 5)])
    router.route("c1", "+12015550100", ["fs:8021"], 0.0)
    metrics = RunnerMetrics("spring")
    metrics.dialed("carrier1", 1.0)
    metrics.dialed("carrier1", 2.0)
    metrics.finished("network", "NORMAL_CIRCUIT_CONGESTION", failed_over_gateway="carrier1")
    metrics.finished("no_answer", HangupCause.NO_ANSWER.name)
    metrics.bridged(0.0042)
    metrics.bridged(1.7)
    metrics.refresh(_view(router, {"ringing": 3, "bridged": 2}), 5.0)
    server = metrics.serve("127.0.0.1:0")
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert set(families) >= FAMILIES, FAMILIES - set(families)
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in families.values() for s in f.samples}
    spring = ("campaign", "spring")
    assert samples[("dialer_attempts_total", (spring, ("gateway", "carrier1")))] == 2
    assert samples[("dialer_failovers_total", (spring, ("gateway", "carrier1")))] == 1
    assert samples[("dialer_calls", (spring, ("state", "ringing")))] == 3
    assert samples[("dialer_calls_per_second", (spring,))] == 0.2
    assert samples[("dialer_abandon_rate", (spring, ("window", "rolling")))] == 0.021
    assert samples[("dialer_esl_connected", (spring, ("switch", "fs2:8021")))] == 0
    gateway = (spring, ("gateway", "carrier1"), ("switch", "fs:8021"))
    assert samples[("dialer_gateway_channels_in_use", gateway)] == 1
    assert samples[("dialer_gateway_up", (spring, ("gateway", "carrier1"), ("state", "healthy"),
                                          ("switch", "fs:8021")))] == 1
    assert math.isnan(samples[("dialer_gateway_asr", gateway)])  # not judged yet
    assert samples[("dialer_answer_to_bridge_seconds_bucket", (spring, ("le", "0.005")))] == 1
    assert samples[("dialer_answer_to_bridge_seconds_count", (spring,))] == 2
    assert samples[("dialer_queue_longest_wait_seconds", (spring, ("queue", "sales")))] == 31.5


def test_states_that_empty_leave_the_scrape() -> None:
    router = GatewayRouter([])
    metrics = RunnerMetrics("spring")
    metrics.refresh(_view(router, {"ringing": 3, "bridged": 2}), 1.0)
    metrics.refresh(_view(router, {"bridged": 1}), 2.0)
    names = {tuple(sorted(s.labels.items())) for f in metrics.registry.collect()
             if f.name == "dialer_calls" for s in f.samples}
    assert names == {(("campaign", "spring"), ("state", "bridged"))}


@pytest.mark.parametrize("bad", ["9464", "host:", "host:99999", "host:x"])
def test_bad_metrics_address(bad: str) -> None:
    with pytest.raises(RunnerSettingsError, match="HOST:PORT"):
        parse_metrics_address(bad)
    assert parse_metrics_address("[::1]:9464") == ("::1", 9464)
    assert parse_metrics_address(":9464") == ("0.0.0.0", 9464)


def _samples(metrics: RunnerMetrics) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted((k, v) for k, v in s.labels.items() if k != "campaign"))):
            s.value for f in metrics.registry.collect() for s in f.samples
            if s.name.startswith("dialer_amd_routed")}


def test_the_routed_verdicts_counters_follow_the_engine_and_survive_a_new_engine() -> None:
    metrics = RunnerMetrics("spring")
    metrics.refresh(MetricsView(routed_verdicts=RoutedVerdictCounts(
        kept=3, awaiting=1, confirmed_person=1, confirmed_machine=0, ignored_unknown=2,
        ignored_duplicate=1, expired_unconfirmed=1)), 1.0)
    first = _samples(metrics)
    assert first[("dialer_amd_routed_verdicts_kept_total", ())] == 3
    assert first[("dialer_amd_routed_verdicts_confirmed_total", (("word", "person"),))] == 1
    assert first[("dialer_amd_routed_verdicts_confirmed_total", (("word", "machine"),))] == 0
    assert first[("dialer_amd_routed_words_ignored_total", (("reason", "unknown"),))] == 2
    assert first[("dialer_amd_routed_words_ignored_total", (("reason", "late"),))] == 0
    assert first[("dialer_amd_routed_words_ignored_total", (("reason", "duplicate"),))] == 1
    assert first[("dialer_amd_routed_verdicts_expired_unconfirmed_total", ())] == 1
    assert first[("dialer_amd_routed_verdicts_awaiting_word", ())] == 1
    # The same engine a second later: the counters move by what it counted meanwhile.
    metrics.refresh(MetricsView(routed_verdicts=RoutedVerdictCounts(
        kept=4, confirmed_person=2, confirmed_machine=1, ignored_unknown=2,
        ignored_duplicate=1, expired_unconfirmed=1)), 2.0)
    second = _samples(metrics)
    assert second[("dialer_amd_routed_verdicts_kept_total", ())] == 4
    assert second[("dialer_amd_routed_verdicts_confirmed_total", (("word", "machine"),))] == 1
    assert second[("dialer_amd_routed_verdicts_awaiting_word", ())] == 0
    # A new engine counts from zero: its count adds, the counter never goes down.
    metrics.refresh(MetricsView(routed_verdicts=RoutedVerdictCounts(kept=1, awaiting=1)), 3.0)
    third = _samples(metrics)
    assert third[("dialer_amd_routed_verdicts_kept_total", ())] == 5
    assert third[("dialer_amd_routed_verdicts_confirmed_total", (("word", "person"),))] == 2
