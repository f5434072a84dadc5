"""Safe defaults: a pacing typo is refused where it is typed, a campaign has no caller ID it
did not choose, and the default policy is predictive (progressive until it has learned)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from campaigns.settings import CampaignSettings, build_pacing_policy, check_pacing
from campaigns.store import CampaignStore, SettingsError, validate_settings
from cli import app
from dnc.errors import ComplianceError
from dnc.rules.profiles import JURISDICTION_ALIASES
from pacing_models.interface import PacingState

AT = datetime(2026, 11, 17, 15, 0, tzinfo=UTC)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_DB", raising=False)
    return tmp_path


def dialer(*args: str):
    return CliRunner().invoke(app, list(args))


def error_line(result) -> str:
    assert result.exit_code == 1, (result.output, result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    return lines[0]


def test_an_unknown_policy_is_refused_at_create_with_the_choices(home):
    line = error_line(dialer("campaign", "create", "x", "--caller-id", "+12015550123",
                             "--pacing", "foo"))
    assert "'foo'" in line and "preview, progressive, power, ratio, predictive, adaptive" in line
    assert json.loads(dialer("campaign", "list", "--json").stdout) == []


@pytest.mark.parametrize("args", [
    ("--pacing", "foo"),
    ("--set", "pacing_policy=predictiv"),
    ("--set", 'pacing_params={"margn_z": 1}'),
    ("--pacing", "power", "--set", 'pacing_params={"lines_per_agent": 99}'),
    ("--set", 'pacing_params={"lines_per_agent": "two"}'),
])
def test_a_bad_policy_or_parameter_is_refused_at_edit_and_nothing_changes(home, args):
    assert dialer("campaign", "create", "x", "--caller-id", "+12015550123").exit_code == 0
    line = error_line(dialer("campaign", "edit", "x", *args))
    assert "pacing" in line
    shown = json.loads(dialer("campaign", "show", "x", "--json").stdout)
    assert shown["settings"]["pacing_policy"] == "predictive"
    assert shown["settings"]["pacing_params"] == {}


def test_a_misspelled_parameter_is_named_with_the_valid_ones():
    with pytest.raises(ValueError) as caught:
        check_pacing("predictive", {"margn_z": 1.0})
    message = str(caught.value)
    assert "'margn_z'" in message and "margin_z" in message and "\n" not in message
    with pytest.raises(ValueError, match=r"lines_per_agent must be a number in \[1, 50\]"):
        check_pacing("power", {"lines_per_agent": 70})
    assert check_pacing("Progressive", {}) == "progressive"
    assert check_pacing("power", {"lines_per_agent": 2}) == "power"


def test_the_store_refuses_a_bad_policy_on_create_and_edit(tmp_path):
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    with pytest.raises(SettingsError, match="unknown pacing policy 'answer-ratio'"):
        store.create_campaign("a", {"pacing_policy": "answer-ratio"}, at=AT)
    store.create_campaign("a", {"caller_ids": ["+12015550123"]}, at=AT)
    with pytest.raises(SettingsError, match="not a parameter of the progressive policy"):
        store.edit_campaign("a", {"pacing_policy": "progressive",
                                  "pacing_params": {"margin_z": 2}}, at=AT)
    edited = store.edit_campaign("a", {"pacing_policy": "POWER"}, at=AT)
    assert edited.settings["pacing_policy"] == "power"
    store.close()


def test_the_default_policy_is_predictive_and_starts_progressive():
    settings = CampaignSettings()
    assert settings.pacing_policy == "predictive"
    policy = build_pacing_policy(settings.pacing_policy, settings.pacing_params)
    decision = policy.decide(PacingState(now=0.0, agents_free=5, agents_logged_in=5,
                                         busy_elapsed=(), ringing_elapsed=()))
    # Nothing learned yet: one line per free agent, and it says why.
    assert decision.calls_to_launch == 5
    assert "warming up" in decision.explanation


def test_no_caller_id_is_invented_and_a_campaign_without_one_cannot_start(home):
    assert CampaignSettings().caller_ids == ()
    created = dialer("campaign", "create", "x")
    assert created.exit_code == 0, created.output
    assert "+12015550100" not in created.output
    assert "no caller ID" in created.output and "cannot start" in created.output
    doc = json.loads(dialer("campaign", "show", "x", "--json").stdout)
    assert doc["settings"]["caller_ids"] == [] and doc["cannot_start"]
    line = error_line(dialer("campaign", "start", "x"))
    assert "no caller ID" in line and "--caller-id" in line
    assert dialer("campaign", "edit", "x", "--caller-id", "+12015550123").exit_code == 0
    # A US telemarketing campaign also declares its seller, a do-not-call number and what its
    # abandoned-call message says (47 CFR 64.1200(a)(7)(i)(B)) before it may start.
    line = error_line(dialer("campaign", "start", "x"))
    assert "compliance.seller_name" in line and "compliance.dnc_number" in line
    assert dialer("campaign", "edit", "x", "--seller", "Acme Solar", "--dnc-number",
                  "+18005550100", "--safe-harbor-declared").exit_code == 0
    started = dialer("campaign", "start", "x", "--json")
    assert json.loads(started.stdout)["state"] == "running"
    # A running campaign keeps a caller ID.
    assert "no caller ID" in error_line(dialer("campaign", "edit", "x", "--set",
                                               "caller_ids=[]"))


# -- jurisdiction ------------------------------------------------------------------------

def test_a_misspelled_jurisdiction_is_refused_at_edit_and_doctor_still_answers(home):
    """'usa' used to be stored; `dialer doctor` then stopped with a ValueError traceback
    from the rules engine at dial time."""
    assert dialer("campaign", "create", "x", "--caller-id", "+12015550123").exit_code == 0
    line = error_line(dialer("campaign", "edit", "x", "--jurisdiction", "usa"))
    assert "jurisdiction" in line and "'usa'" in line and "us_state" in line
    shown = json.loads(dialer("campaign", "show", "x", "--json").stdout)
    assert shown["settings"]["jurisdiction"] == "us"
    doctor = dialer("doctor", "x")
    assert not isinstance(doctor.exception, ValueError), doctor.output


@given(st.text(max_size=12))
@settings(max_examples=200, deadline=None)
def test_any_jurisdiction_text_is_either_known_profiles_or_refused(text):
    """Never a silent default: an accepted text names only known profiles and at least one
    (an empty one used to mean the federal rules alone, without the state overlays). The
    abandonment target is one every profile accepts (the UK's refuses the US default 3 %:
    hypothesis found 'UK' refused for that, rightly, and not for its name)."""
    parts = [p for p in text.lower().replace(" ", "").split(",") if p]
    known = bool(parts) and all(p in JURISDICTION_ALIASES for p in parts)
    try:
        validate_settings({"jurisdiction": text, "abandon_target": 0.02})
    except SettingsError as error:
        assert not known and "jurisdiction" in str(error)
    else:
        assert known


def test_a_campaign_stored_with_a_bad_jurisdiction_or_region_stays_readable_and_editable(
        tmp_path):
    """Checked when set, like the pacing policy: a campaign stored before the check must
    not become unreadable, and an edit repairs it."""
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_campaign("a", {"caller_ids": ["+12015550123"]}, at=AT)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE campaign SET settings = json_set(settings, '$.jurisdiction', 'usa', "
            "'$.default_region', 'ZZ')")
    assert store.campaign("a").settings["jurisdiction"] == "usa"
    # Its rules cannot be chosen: the gate, doctor and the hopper get one clear refusal
    # naming the setting and its repair, never a default set of rules.
    from campaigns.compliance import campaign_rules
    with pytest.raises(ComplianceError, match=r"campaign 'a': setting jurisdiction: unknown "
                       r"jurisdiction 'usa'.*campaign edit a --jurisdiction"):
        campaign_rules("a", store.settings(store.campaign("a").id))
    doctor = dialer("doctor", "a", "--db", f"sqlite:///{tmp_path / 'd.db'}", "--home",
                    str(tmp_path), "--switch", "esl://:ClueCon@127.0.0.1:9")
    assert doctor.exit_code != 0 and "Traceback" not in doctor.output, doctor.output
    assert "setting jurisdiction: unknown jurisdiction 'usa'" in " ".join(
        doctor.output.split()), doctor.output
    with pytest.raises(SettingsError, match="default_region: region 'ZZ' is not a region"):
        store.edit_campaign("a", {"default_region": "ZZ"}, at=AT)
    edited = store.edit_campaign("a", {"jurisdiction": "us", "default_region": "US"}, at=AT)
    assert (edited.settings["jurisdiction"], edited.settings["default_region"]) == ("us", "US")
    store.close()


@pytest.mark.parametrize(("key", "value", "expected"), [
    ("lines_per_agent", 1e300, "lines_per_agent: 1e+300 is outside its range (0, 50]"),
    ("max_lines", 10**12, "max_lines: 1000000000000 is outside its range [1, 100000]"),
    ("abandon_window_hours", 1e300, "abandon_window_hours: 1e+300 is outside its range (0, 720]"),
    ("pacing_params", {"margin_z": 1e300},
     "parameter margin_z must be a number in [0, 10], got 1e+300"),
])
def test_an_absurd_pacing_setting_is_refused_naming_it_its_value_and_range(
        key, value, expected) -> None:
    with pytest.raises(SettingsError) as caught:
        validate_settings({"caller_ids": ["+12015550123"], key: value})
    assert expected in str(caught.value) and "\n" not in str(caught.value)
    base = validate_settings({"caller_ids": ["+12015550123"]})
    with pytest.raises(SettingsError, match=r"outside its range|must be a number in"):
        validate_settings({key: value}, base)
    edited = validate_settings({"lines_per_agent": 50, "max_lines": 100_000,
                                "abandon_window_hours": 720}, base)  # the ends are in range
    assert (edited.lines_per_agent, edited.max_lines) == (50, 100_000)


def test_a_campaign_stored_with_an_absurd_dial_level_stays_readable_but_cannot_start(
        tmp_path) -> None:
    """Checked when set, like the jurisdiction; at start (doctor, run, campaign start) it is
    one line naming the setting and its repair, never a power policy at 1e300 lines."""
    from campaigns.store import missing_to_start
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_campaign("a", {"caller_ids": ["+12015550123"]}, at=AT)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE campaign SET settings = json_set(settings, '$.lines_per_agent', 1e300)")
    settings = store.settings(store.campaign("a").id)
    assert settings.lines_per_agent == 1e300
    assert any("lines_per_agent: 1e+300 is outside its range (0, 50]" in line
               and "campaign edit a --set lines_per_agent=VALUE" in line
               for line in missing_to_start("a", settings))
    edited = store.edit_campaign("a", {"lines_per_agent": 2.0}, at=AT)
    assert edited.settings["lines_per_agent"] == 2.0
    store.close()


def test_a_uk_campaign_must_measure_abandons_per_24_hours(tmp_path) -> None:
    """Ofcom's rate is per 24 hours and the dial-time rule ``uk.abandon_rate`` gets a rate
    only from a 24-hour ledger: a UK campaign with another window is refused when set (on
    creation, when the window or the jurisdiction changes) with its repair, and one stored
    before the check is readable but named at start, instead of starting and dialing no one."""
    from campaigns.store import missing_to_start
    uk = {"caller_ids": ["+442079460000"], "jurisdiction": "uk", "abandon_target": 0.02}
    with pytest.raises(SettingsError, match=r"abandon_window_hours: 720 h, but Ofcom measures "
                       r"a UK campaign's abandoned calls per 24 hours") as caught:
        validate_settings({**uk, "abandon_window_hours": 720})
    assert "\n" not in str(caught.value)
    assert validate_settings({**uk, "abandon_window_hours": 24}).abandon_window_seconds == 86400
    us = validate_settings({"caller_ids": ["+12015550123"], "abandon_window_hours": 720})
    with pytest.raises(SettingsError, match="per 24 hours"):
        validate_settings({"jurisdiction": "uk", "abandon_target": 0.02}, us)
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    store.create_campaign("a", uk, at=AT)
    with pytest.raises(SettingsError, match="per 24 hours"):
        store.edit_campaign("a", {"abandon_window_hours": 12}, at=AT)
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE campaign SET settings = json_set(settings, '$.abandon_window_hours', 12)")
    settings = store.settings(store.campaign("a").id)
    assert settings.abandon_window_hours == 12
    assert any("abandon_window_hours: 12 h" in line
               and "campaign edit a --set abandon_window_hours=24" in line
               for line in missing_to_start("a", settings))
    edited = store.edit_campaign("a", {"abandon_window_hours": 24}, at=AT)
    assert edited.settings["abandon_window_hours"] == 24
    assert not any("abandon_window_hours" in line
                   for line in missing_to_start("a", store.settings(store.campaign("a").id)))
    store.close()
