"""The supervisor console's mistakes pass (docs/web.md, "Supervisor console: mistakes pass"),
the server's half, over HTTP against real runners and the switch simulator: a pacing typo
never dials more and names its field; a policy change from the console applies; a stale
page cannot overwrite a newer pacing change; a double click says it was already done; an
agent who just logged out is not "paused"; Resume does not restart a campaign stopped from
the command line. The browser's half is ``test_browser_supervisor_mistakes.py``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from web_kit import running_web


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with running_web(tmp_path_factory.mktemp("supervisor-mistakes")) as env:
        yield env


@pytest.fixture(scope="module")
def sam(env):
    return env.client("sam")


@pytest.fixture(scope="module")
def root(env):
    return env.client("root")


def _engine(env):
    return env.runners["spring"].engine


def _seen(client) -> str:
    page = client.http.get("/supervisor?campaign=spring").text
    return re.search(r'name="pacing_seen" value="([0-9a-f]+)"', page).group(1)  # type: ignore[union-attr]


def test_a_pacing_typo_never_dials_more_and_names_its_field(env, sam) -> None:
    before = env.store.settings("spring")
    lines, target = _engine(env).config.lines_per_agent, _engine(env).config.abandon_target
    for field, typo, says in (
            # float() reads "2_5" as 25: ten times the lines a supervisor meant (2.5).
            ("lines_per_agent", "2_5", "lines per agent '2_5' is not a number"),
            ("lines_per_agent", "1e1", "lines per agent '1e1' is not a number"),
            # int("²") raised after "²".isdigit() said yes: a 500.
            ("max_lines", "²", "max lines '²': write a whole number"),
            # 30 meaning 3 %: the refusal speaks the form's unit, not the model's 0.03.
            ("abandon_target", "30", "abandonment target '30': write a percentage from 0 to 3"),
            ("abandon_target", "-1", "abandonment target '-1': write a percentage from 0 to 3"),
            ("abandon_target", "3,5%", "abandonment target '3,5%' is not a number"),
            # float() of 400 nines is infinity: refused here, not handed to the runner.
            ("lines_per_agent", "9" * 400, "lines per agent: 400 digits is not a number")):
        answer = sam.supervise("spring", "pacing", **{field: typo})
        refused = answer.json()
        assert answer.status_code == 409 and not refused["ok"], refused
        assert says in refused["error"] and refused["field"] == field, refused
        assert "0.03" not in refused["error"], refused
    # The runner's own refusal names its field for the page too.
    refused = sam.supervise("spring", "pacing", lines_per_agent="51").json()
    assert not refused["ok"] and refused["field"] == "lines_per_agent", refused
    assert env.store.settings("spring") == before
    assert _engine(env).config.lines_per_agent == lines
    assert _engine(env).config.abandon_target == target


def test_a_policy_change_from_the_console_applies(env, sam) -> None:
    # The runner called build_policy without the campaign: every policy change from the
    # console was refused with "build_policy() missing 1 required positional argument".
    try:
        changed = sam.supervise("spring", "pacing", pacing_policy="power",
                                pacing_params='{"lines_per_agent": 1.0}').json()
        assert changed["ok"], changed
        assert changed["after"]["pacing_policy"] == "power"
        # Power, behind the abandonment-limit guard as every live campaign's (the spring
        # campaign is telemarketing: pacing_models/limit_guard.py).
        policy = env.runners["spring"].policy
        assert policy.name == "power" and getattr(policy, "guarded", False), policy
        assert type(policy.inner).__name__ == "PowerPolicy"
        assert env.store.settings("spring").pacing_policy == "power"
    finally:
        restored = sam.supervise("spring", "pacing", pacing_policy="progressive",
                                 pacing_params="{}").json()
        assert restored["ok"], restored
    assert env.store.settings("spring").pacing_policy == "progressive"


def test_a_stale_page_cannot_overwrite_a_newer_pacing_change(env, sam, root) -> None:
    stale = _seen(sam)
    assert stale == str(env.store.campaign("spring").pacing_version)
    target = env.store.settings("spring").abandon_target
    try:
        # Another supervisor changes the target from their page (same stored settings).
        newer = root.supervise("spring", "pacing", abandon_target="1.5", pacing_seen=_seen(root))
        assert newer.json()["ok"], newer.json()
        # sam's page still shows the old settings: the change is refused, showing the new ones.
        answer = sam.supervise("spring", "pacing", abandon_target="2.5", pacing_seen=stale)
        conflict = answer.json()
        assert answer.status_code == 409 and conflict["conflict"], conflict
        assert "abandonment target 1.5 %" in conflict["error"], conflict
        assert conflict["placeholders"]["abandon_target"] == "1.5%"
        assert _engine(env).config.abandon_target == pytest.approx(0.015)
        assert env.store.settings("spring").abandon_target == pytest.approx(0.015)
        # Sent again with the settings the answer showed, it stands.
        again = sam.supervise("spring", "pacing", abandon_target="2.5",
                              pacing_seen=conflict["seen"]).json()
        assert again["ok"] and again["seen"] == env.store.campaign("spring").pacing_version
        assert _engine(env).config.abandon_target == pytest.approx(0.025)
    finally:
        sam.supervise("spring", "pacing", abandon_target=f"{target * 100}")


def test_a_double_click_says_it_was_already_done(env, sam) -> None:
    ann = env.client("ann")
    try:
        first = sam.supervise("spring", "campaign_pause").json()
        second = sam.supervise("spring", "campaign_pause").json()
        assert first["message"] == "dialing paused", first
        assert second["ok"] and second["message"] == "dialing was already paused", second
        assert ann.act("spring", "login")["ok"]
        env.wait_state("spring", "ann", "ready")
        assert sam.supervise("spring", "pause", agent="ann").json()["ok"]
        env.wait_state("spring", "ann", "paused")
        again = sam.supervise("spring", "pause", agent="ann").json()
        assert again["ok"] and again["message"] == "agent ann was already paused", again
        assert sam.supervise("spring", "logout", agent="ann").json()["ok"]
        env.wait_state("spring", "ann", "logged_out")
        env.wait(lambda: (env.app.state.web.directory.agent_view("spring", "ann") or {}).get(
            "state") == "logged_out")
        # The row a supervisor still has open says "paused": the agent has just left.
        for action in ("pause", "logout"):
            gone = sam.supervise("spring", action, agent="ann").json()
            assert not gone["ok"] and "agent ann is logged out" in gone["error"], gone
        assert env.view("spring", "ann")["state"] == "logged_out"
    finally:
        sam.supervise("spring", "campaign_resume")


def test_resume_does_not_restart_a_campaign_stopped_from_the_command_line(env, sam,
                                                                          monkeypatch) -> None:
    # The runner itself ends a stopped campaign's run (dialer/runner/state_follow.py,
    # tests/dialer/runner/test_state_follow*.py); this test is about the console's refusal,
    # so the module's shared runner does not read its stored state meanwhile.
    follow = env.runners["spring"].state_follow

    async def not_read() -> None:
        return None

    monkeypatch.setattr(follow, "check_once", not_read)
    assert sam.supervise("spring", "campaign_pause").json()["ok"]
    # `dialer campaign stop spring`:
    env.store.transition_campaign("spring", "stopped", at=datetime.now(UTC))
    try:
        refused = sam.supervise("spring", "campaign_resume").json()
        assert not refused["ok"] and "campaign spring is stopped" in refused["error"], refused
        assert "dialer campaign start spring" in refused["error"]
        assert env.store.campaign("spring").state == "stopped"
        assert _engine(env).dialing_paused
        # Pausing dials less: still taken.
        assert sam.supervise("spring", "campaign_pause").json()["ok"]
    finally:
        env.store.transition_campaign("spring", "running", at=datetime.now(UTC))
        monkeypatch.undo()  # the runner reads its state again: running
        assert sam.supervise("spring", "campaign_resume").json()["ok"]


def test_a_deleted_campaign_is_no_longer_a_supervisors_console(env) -> None:
    from campaigns.removal import delete_campaign

    sue = env.client("sue")  # supervises autumn only
    assert sue.http.get("/supervisor").status_code == 200
    delete_campaign(env.store, env.store.campaign("autumn").id, at=datetime.now(UTC))
    # Before: her console opened "autumn#deleted-N" as if it were her live campaign.
    page = sue.http.get("/supervisor", headers={"accept": "text/html"})
    assert page.status_code == 403 and "you have no campaign" in page.text
    deleted = next(c.name for c in env.store.campaigns(include_deleted=True)
                   if c.name.startswith("autumn#deleted"))
    refused = sue.supervise(deleted, "campaign_resume")
    assert refused.status_code == 403, refused.text


def test_no_console_action_without_a_live_session_and_its_token(env, sam) -> None:
    # Already right (kept as a regression): signed out, expired or forged, nothing is done.
    anonymous = env.client()
    assert anonymous.supervise("spring", "campaign_pause").status_code == 401
    assert sam.post("/supervisor/action", csrf="forged", campaign="spring",
                    action="campaign_pause").status_code == 403
    gone = env.client("sam")
    gone.post("/logout")
    assert gone.supervise("spring", "campaign_pause").status_code == 401
    assert not _engine(env).dialing_paused
