"""The abandonment-limit guard as a campaign setting (``compliance.abandon_limit_guard``):
on by default, switched off only where the limit does not bind, and wired where a live
campaign's policy is built (settings, runner, console retune, doctor, ``campaign show``,
the engine's ``policy_for``)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from cli_kit import READY_SPRING, dialer, ok, refused, use_home
from pydantic import ValidationError

from campaigns.settings import (
    CampaignSettings,
    build_pacing_policy,
    limit_guard_on,
    limit_guard_words,
)
from pacing_models.limit_guard import LimitGuard
from pacing_models.policies import PowerPolicy
from tests.campaigns.ready import DECLARED

NOT_TELEMARKETING = {**DECLARED, "telemarketing": False}


def settings(**values) -> CampaignSettings:
    return CampaignSettings.model_validate({"caller_ids": ["+12015550100"], **values})


def test_the_guard_is_on_unless_a_campaign_says_otherwise() -> None:
    assert limit_guard_on(settings())
    assert limit_guard_on(settings(compliance=NOT_TELEMARKETING))


@pytest.mark.parametrize(("values", "why"), [
    ({"compliance": {**DECLARED, "abandon_limit_guard": False}},
     "a telemarketing campaign must keep abandoned calls within 3 %"),
    ({"jurisdiction": "uk", "abandon_target": 0.02, "caller_ids": ["+442079460999"],
      "compliance": {**NOT_TELEMARKETING, "abandon_limit_guard": False}},
     "a UK campaign's abandoned calls count whatever their purpose"),
    ({"jurisdiction": "us,uk", "abandon_target": 0.02, "caller_ids": ["+12015550100"],
      "compliance": {**DECLARED, "abandon_limit_guard": False}},
     "a telemarketing campaign"),
])
def test_switching_it_off_where_the_limit_binds_is_refused_in_one_line(values, why) -> None:
    with pytest.raises(ValidationError) as refusal:
        CampaignSettings.model_validate(values)
    (error,) = refusal.value.errors()
    assert error["msg"].startswith(
        "Value error, compliance.abandon_limit_guard: cannot be switched off: ")
    assert why in error["msg"] and "\n" not in error["msg"]


def test_a_campaign_that_is_not_telemarketing_may_switch_it_off() -> None:
    off = settings(pacing_policy="power", compliance={**NOT_TELEMARKETING,
                                                      "abandon_limit_guard": False})
    assert not limit_guard_on(off)
    assert limit_guard_words(off).startswith("off")
    with pytest.raises(ValidationError, match="abandon_limit_guard"):
        off.with_changes(compliance={"telemarketing": True})
    with pytest.raises(ValidationError, match="abandon_limit_guard"):
        settings(compliance={**NOT_TELEMARKETING, "abandon_limit_guard": "no"})


def test_a_live_campaigns_ratio_policies_are_built_behind_the_guard() -> None:
    for name in ("power", "ratio", "adaptive"):
        policy = build_pacing_policy(name, {})
        assert isinstance(policy, LimitGuard) and policy.name == name
        assert not isinstance(build_pacing_policy(name, {}, guard=False), LimitGuard)
    for name in ("progressive", "preview", "predictive"):
        assert not isinstance(build_pacing_policy(name, {}), LimitGuard)
    assert isinstance(build_pacing_policy("power", {"lines_per_agent": 3}).inner, PowerPolicy)


def test_the_engines_policy_for_is_guarded_too() -> None:
    from dialer.engine import policy_for
    from dialer.engine.config import CampaignConfig

    config = CampaignConfig("c", "+12015550000", pacing_policy="power",
                            pacing_params={"lines_per_agent": 3})
    assert isinstance(policy_for(config), LimitGuard)
    assert isinstance(policy_for(config, guard=False), PowerPolicy)


def test_words_for_each_kind_of_policy() -> None:
    assert limit_guard_words(settings(pacing_policy="power")) == (
        "on: power is held to the 3 % abandonment limit (progressive while the window has "
        "no slack)")
    assert limit_guard_words(settings(pacing_policy="adaptive", abandon_target=0.025)) \
        .startswith("on: adaptive is held to the 2.5 % abandonment limit")
    assert limit_guard_words(settings()).startswith("not needed: predictive keeps its own")
    assert limit_guard_words(settings(pacing_policy="progressive")).startswith(
        "not needed: progressive never dials ahead")


def test_the_cli_refuses_it_stores_nothing_and_show_and_doctor_say_it(tmp_path, monkeypatch
                                                                       ) -> None:
    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    ok("campaign", "create", "spring", *READY_SPRING, "--pacing", "power")
    line = refused("campaign", "edit", "spring", "--set", "compliance.abandon_limit_guard=false")
    assert "compliance.abandon_limit_guard: cannot be switched off" in line
    shown = ok("campaign", "show", "spring")
    assert shown["settings"]["compliance"]["abandon_limit_guard"] is True
    assert shown["limit_guard"].startswith("on: power is held")
    assert "limit guard: on: power is held" in " ".join(
        dialer("campaign", "show", "spring").output.split())
    assert "limit guard on: power is held" in _doctor_pacing()
    ok("campaign", "edit", "spring", "--set", "compliance.telemarketing=false",
       "--set", "compliance.abandon_limit_guard=false")
    assert ok("campaign", "show", "spring")["limit_guard"].startswith("off")
    assert "limit guard off" in _doctor_pacing()


def _doctor_pacing() -> str:
    result = dialer("doctor", "spring", "--json")
    checks = json.loads(result.stdout)["checks"]
    (pacing,) = [check for check in checks if check["check"] == "pacing"]
    assert pacing["verdict"] == "ok", pacing
    return pacing["message"]


def test_the_runner_builds_the_campaigns_policy_behind_the_guard(tmp_path) -> None:
    """`dialer run`: the policy the engine gets is guarded unless the campaign switched the
    guard off (the console's pacing change rebuilds it the same way: dialer/runner/desk.py)."""
    from dialer.runner.runner import Runner
    from simulations.switch.embedded import running_switch
    from tests.dialer.runner.runner_kit import make_store, settings_for, us_hours_clock

    async def policy_of(store) -> object:
        async with running_switch() as sim:
            return Runner(settings_for(tmp_path, sim.url), store).policy

    clock = us_hours_clock()
    store = make_store(tmp_path, agents=1, leads=5, clock=clock, pacing_policy="power",
                       lines_per_agent=3.0)
    assert isinstance(asyncio.run(policy_of(store)), LimitGuard)
    store.edit_campaign("demo", {"compliance": {"telemarketing": False,
                                                "abandon_limit_guard": False}},
                        at=datetime.now(UTC))
    assert isinstance(asyncio.run(policy_of(store)), PowerPolicy)
    store.close()
