"""``compliance.agent_guaranteed`` lifts Ofcom's repeat-call rules, so it must be a promise
the campaign's own settings keep, not a word: refused when set with a policy that dials
ahead of free agents, with AMD, or with inbound queues on the same agents; a campaign stored
before the check stays readable and editable but cannot start."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from campaigns.store import CampaignStore, SettingsError, missing_to_start, validate_settings
from cli import app

AT = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
UK = {"caller_ids": ["+442079460000"], "jurisdiction": "uk", "abandon_target": 0.02,
      "amd_false_positive_estimate": 0.01}
POLICIES = ("predictive", "adaptive", "power", "ratio", "progressive", "preview")


@given(policy=st.sampled_from(POLICIES), amd=st.booleans(),
       queues=st.lists(st.sampled_from(("sales", "support")), max_size=2, unique=True))
def test_a_guaranteed_agent_is_accepted_only_where_every_call_has_one(
        policy: str, amd: bool, queues: list[str]) -> None:
    values = {**UK, "pacing_policy": policy, "amd_enabled": amd, "queues": queues,
              "compliance": {"agent_guaranteed": True}}
    keeps_it = policy in ("progressive", "preview") and not amd and not queues
    if keeps_it:
        assert validate_settings(values).compliance.agent_guaranteed
        return
    with pytest.raises(SettingsError, match=r"compliance\.agent_guaranteed: ") as caught:
        validate_settings(values)
    assert "\n" not in str(caught.value)
    # Without the declaration the same settings are a valid campaign: only the promise is.
    assert not validate_settings({**values, "compliance": {}}).compliance.agent_guaranteed


def test_an_edit_that_would_break_the_promise_is_refused_and_so_is_the_promise_itself(
        tmp_path) -> None:
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_campaign("a", {**UK, "pacing_policy": "progressive",
                                "compliance": {"agent_guaranteed": True}}, at=AT)
    for change, reason in (({"pacing_policy": "predictive"}, "paces 'predictive'"),
                           ({"amd_enabled": True}, "AMD is on"),
                           ({"queues": ["sales"]}, r"also serve inbound queues \(sales\)")):
        with pytest.raises(SettingsError, match=reason):
            store.edit_campaign("a", change, at=AT)
    assert store.settings(store.campaign("a").id).pacing_policy == "progressive"
    store.create_campaign("b", {**UK}, at=AT)
    with pytest.raises(SettingsError, match="paces 'predictive'"):
        store.edit_campaign("b", {"compliance": {"agent_guaranteed": True}}, at=AT)
    store.close()


def test_a_campaign_stored_with_a_broken_promise_is_readable_but_cannot_start(
        tmp_path) -> None:
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_campaign("a", {**UK}, at=AT)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE campaign SET settings = json_set(settings, "
            "'$.compliance.agent_guaranteed', json('true'))")
    settings = store.settings(store.campaign("a").id)
    assert settings.compliance.agent_guaranteed and settings.pacing_policy == "predictive"
    assert any("compliance.agent_guaranteed: the campaign paces 'predictive'" in line
               and "--set compliance.agent_guaranteed=false" in line
               for line in missing_to_start("a", settings))
    store.edit_campaign("a", {"compliance": {"agent_guaranteed": False}}, at=AT)
    assert not any("agent_guaranteed" in line for line in
                   missing_to_start("a", store.settings(store.campaign("a").id)))
    store.close()


def test_the_command_line_refuses_the_promise_in_one_line(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 'd.db'}"
    runner = CliRunner()
    created = runner.invoke(app, ["campaign", "create", "a", "--db", db, "--caller-id",
                                  "+12015550123"])
    assert created.exit_code == 0, created.output
    edited = runner.invoke(app, ["campaign", "edit", "a", "--db", db, "--set",
                                 "compliance.agent_guaranteed=true"])
    assert edited.exit_code == 1 and "Traceback" not in edited.output
    assert "compliance.agent_guaranteed: the campaign paces 'predictive'" in " ".join(
        edited.output.split()), edited.output


def test_the_runner_hands_the_promise_to_the_engine() -> None:
    """The engine holds a promised agent's pause only when told (``CampaignConfig``)."""
    from dialer.runner.campaign_link import campaign_config

    kept = validate_settings({**UK, "pacing_policy": "progressive",
                              "compliance": {"agent_guaranteed": True}})
    assert campaign_config("a", kept, ("fs1",)).agent_guaranteed
    assert not campaign_config("a", validate_settings(UK), ("fs1",)).agent_guaranteed
