"""Caller IDs on entry (E.164, dialable, not premium-rate) and the pool the runner builds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from campaigns.settings import CampaignSettings
from dialer.engine.caller_ids import CallerIdPolicy
from dialer.runner.carriers import area_prefix, caller_id_pool, state_of


@pytest.mark.parametrize("number, message", [
    ("+19005550100", "premium-rate"),
    ("+449098790100", "premium-rate"),
    ("+15555550100", "not a dialable number"),
    ("2015550100", "not an E.164 number"),
])
def test_bad_caller_ids_are_refused_on_entry(number: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CampaignSettings(caller_ids=(number,))


def test_caps_and_attestation_name_known_numbers() -> None:
    with pytest.raises(ValidationError, match="not among caller_ids"):
        CampaignSettings(caller_ids=("+12015550100",), caller_id_caps={"+13125550100": 5})
    with pytest.raises(ValidationError):
        CampaignSettings(caller_ids=("+12015550100",),
                         caller_id_attestation={"+12015550100": "D"})
    with pytest.raises(ValidationError, match="listed twice"):
        CampaignSettings(caller_ids=("+12015550100", "+12015550100"))


def test_pool_from_settings_local_presence() -> None:
    settings = CampaignSettings(
        caller_ids=("+18005550100", "+12015550100", "+13125550100", "+442079460100"),
        caller_id_policy="local_presence", caller_id_daily_cap=100,
        caller_id_caps={"+13125550100": 1}, caller_id_attestation={"+12015550100": "A"})
    pool = caller_id_pool(settings, {"+12015550100": 7}, 0.0)
    assert pool.policy is CallerIdPolicy.LOCAL_PRESENCE and pool.used["+12015550100"] == 7
    assert area_prefix("+12015550100") == "1201" and area_prefix("+442079460100") == "4420"
    assert area_prefix("+18005550100") == "" and state_of("+16095550123") == "NJ"
    choice = pool.choose("+19735550123", 10.0)  # 973 is New Jersey too: same state
    assert (choice.number, choice.reason) == ("+12015550100", "state NJ")
    assert choice.variables == {"caller_id": "+12015550100", "attestation": "A"}
    assert pool.choose("+442079461234", 10.0).number == "+442079460100"
    assert pool.choose("+13125550123", 10.0).number == "+13125550100"
    assert pool.choose("+13125550123", 10.0).reason == "default"  # 312's number at its cap


def test_gateway_health_goes_to_the_alerts_book(tmp_path) -> None:
    import json

    from dialer.alerts import AlertBook, AlertLog
    from dialer.engine.gateways import GatewayRouter, GatewaySpec, HealthThresholds
    from dialer.hangup import HangupCause
    from dialer.runner.carriers import gateway_readings

    health = HealthThresholds(window_calls=5, min_calls=5, quarantine_seconds=10)
    router = GatewayRouter([GatewaySpec("g", "fs:8021", 10, 10, health=health)])
    book = AlertBook([AlertLog(tmp_path / "alerts.jsonl")])
    assert book.update(0.0, gateway_readings(router, 0.0)) == []  # nothing judged yet
    for i in range(5):
        router.route(f"c{i}", "+1201", ["fs:8021"], i * 0.2)
        router.ended(f"c{i}", i * 0.2 + 0.1, HangupCause.GATEWAY_DOWN)
    raised = book.update(1.0, gateway_readings(router, 1.0))
    assert {(e.measure, e.state) for e in raised} == {
        ("in service", "raised"), ("carrier failures", "raised"),
        ("answer-seizure ratio", "raised")}
    # Probing after the quarantine, then three good calls: back in service, cleared.
    for i in range(3):
        router.route(f"p{i}", "+1201", ["fs:8021"], 12.0)
        router.ended(f"p{i}", 13.0, HangupCause.NORMAL_CLEARING)
    cleared = book.update(14.0, gateway_readings(router, 14.0))
    assert ("in service", "cleared") in {(e.measure, e.state) for e in cleared}
    book.close()
    lines = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
    assert lines[0]["subject"] == "gateway g (fs:8021)"
