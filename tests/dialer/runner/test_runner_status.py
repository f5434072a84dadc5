"""The runner explains itself: what it is doing and why it is not dialing, in plain words;
the dashboard and the snapshot ``dialer monitor`` reads."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from campaigns.availability import LeadAvailability, ZoneHours
from dialer.runner.dashboard import pacing_in_words, render, status_line
from dialer.runner.monitor import live_answer_rate
from dialer.runner.status import (
    Activity,
    Blocker,
    RunnerFacts,
    SwitchLink,
    diagnose,
    short_error,
)

AT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)
REFUSED = "cannot connect to esl://127.0.0.1:1: [Errno 111] Connect call failed ('127.0.0.1', 1)"


def _night_leads(n: int = 17) -> LeadAvailability:
    return LeadAvailability(
        at=AT, by_status={"new": n}, dialable=n, due=n, claimed=0, capped=0, next_due_at=None,
        zones=(ZoneHours("America/New_York", n, n, False,
                         datetime(2026, 11, 17, 14, 0, tzinfo=UTC)),))


def test_a_runner_that_cannot_dial_says_every_reason():
    facts = RunnerFacts(
        campaign="spring", started=True,
        switches=(SwitchLink("127.0.0.1:1", "disconnected", REFUSED),),
        agents_by_state={}, hopper=0, leads=_night_leads())
    diagnosis = diagnose(facts)
    assert diagnosis.activity is Activity.BLOCKED
    assert diagnosis.blockers == (Blocker.SWITCH, Blocker.AGENTS, Blocker.LEADS)
    assert diagnosis.reasons == (
        "switch 127.0.0.1:1: connection refused, retrying",
        "0 agents logged in (run with --login-agents, or `dialer agent login spring NAME`)",
        "all 17 leads are outside calling hours until 14:00 UTC (campaign schedule "
        "09:00–20:00 Mon–Sat in America/New_York)")


def test_one_switch_up_of_two_is_not_a_blocker_and_dialing_is_dialing():
    facts = RunnerFacts(
        campaign="spring", started=True, calls_in_progress=3, hopper=40,
        switches=(SwitchLink("a:1", "connected"), SwitchLink("b:1", "connecting", None)),
        agents_by_state={"ready": 1, "on_call": 2})
    assert diagnose(facts).activity is Activity.DIALING
    assert not diagnose(facts).blocked


def test_paused_agents_a_stop_and_a_finished_campaign():
    paused = RunnerFacts(campaign="s", started=True, agents_by_state={"paused": 3}, hopper=5)
    assert diagnose(paused).reasons == (
        "all 3 logged-in agents are paused (`dialer agent ready s NAME`)",)
    stopping = RunnerFacts(campaign="s", started=True, stopping=True, calls_in_progress=2,
                           agents_by_state={"on_call": 2}, hopper=5)
    assert diagnose(stopping).activity is Activity.STOPPING
    assert "Ctrl-C again hangs them up now" in diagnose(stopping).sentence()
    done = LeadAvailability(at=AT, by_status={"done": 4}, dialable=0, due=0, claimed=0,
                            capped=0, next_due_at=None)
    finished = RunnerFacts(campaign="s", started=True, agents_by_state={"ready": 2},
                           hopper=0, leads=done)
    assert diagnose(finished).activity is Activity.FINISHED
    assert not diagnose(finished).blocked


def test_connection_errors_in_a_few_words():
    assert short_error(REFUSED) == "connection refused"
    assert short_error("cannot connect to esl://nohost:8021: [Errno -2] Name or service not "
                       "known") == "cannot resolve the host name"
    assert short_error("esl://h:1 refused the password: -ERR invalid") == "password refused"


def test_live_answer_rate_counts_answered_calls_still_in_progress():
    # 10 finished (2 live), and 3 conversations still going: 5 of 13 answered by a person.
    rate = live_answer_rate(10, 2, {"bridged": 3, "ringing": 4, "answered": 1})
    assert rate == 5 / 13
    assert live_answer_rate(0, 0, {"ringing": 2}) is None


def _snapshot(**changes) -> dict:
    base = {
        "campaign": "spring", "at": AT.timestamp(), "uptime_s": 75.0,
        "status": {"activity": "dialing", "reasons": [], "blockers": []},
        "agents_by_state": {"ready": 1, "on_call": 1, "paused": 1}, "agents_logged_in": 3,
        "agents": {"ann": {"state": "on_call", "since_s": 65.0, "call": "0f3c9a2e-aaaa",
                           "reason": None},
                   "bob": {"state": "paused", "since_s": 600.0, "call": None,
                           "reason": "lunch"},
                   "cy": {"state": "ready", "since_s": 2.0, "call": None, "reason": None}},
        "calls_in_progress": 3, "calls_ringing": 2, "dials": 40, "bridges": 9,
        "abandon_rate": 0.0, "abandon_target": 0.03, "live_answers_in_window": 12,
        "abandons_in_window": 0, "hopper": 30, "outcomes": {"no_answer": 20, "network": 1},
        "pacing": {"policy": "predictive", "calls_to_launch": 1,
                   "explanation": "predictive: warming up (4/20 live answers): progressive"},
        "switches": {"127.0.0.1:8021": "connected"}, "answer_to_bridge": {},
    }
    base.update(changes)
    return base


def test_pacing_in_words_a_supervisor_reads():
    words = pacing_in_words(_snapshot())
    assert words.startswith("Dialing 1 new call for 1 free agent (2 already ringing).")
    assert "Still learning this campaign's answer and talk times" in words
    blocked = _snapshot(status={"activity": "blocked", "reasons": ["0 agents logged in"],
                                "blockers": ["agents"]})
    assert pacing_in_words(blocked) == "Not dialing: 0 agents logged in."


def test_dashboard_has_a_per_agent_table_and_fits_80_columns():
    console = Console(width=80, record=True, color_system=None)
    console.print(render(_snapshot()))
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    lines = {line.split("│")[2].strip(): line for line in text.splitlines()
             if line.count("│") >= 7}
    assert "on call" in lines["ann"] and "1m05s" in lines["ann"] and "0f3c9a2e" in lines["ann"]
    assert "lunch" in lines["bob"] and "10m00s" in lines["bob"]
    assert "policy:" not in text
    console = Console(width=80, record=True, color_system=None)
    console.print(render(_snapshot(), detail=True))
    assert "policy: predictive: warming up" in console.export_text()


def test_status_line_says_why_not_dialing():
    line = status_line(_snapshot(status={"activity": "blocked", "blockers": ["switch"],
                                         "reasons": ["switch 127.0.0.1:1: connection "
                                                     "refused, retrying"]}))
    assert "spring blocked" in line
    assert line.endswith("not dialing: switch 127.0.0.1:1: connection refused, retrying")


def test_the_dashboard_and_status_line_say_when_the_period_plan_set_the_aim():
    planned = ("predictive: 3 call(s) (model 3, progressive 1); live-answer p=0.180 (to "
               "agents 0.180), free 1, ringing 2; marginal abandon ≤ 0.02, E[abandons] 0.010 "
               "+0.004; aim 1.20% (setpoint 1.20%, set by the period plan: period 0/40, 750 "
               "more answers counted on to its end), model bias ×1.10; window 0.00% of 40 "
               "(target 3.00%)")
    snapshot = _snapshot(pacing={"policy": "predictive", "calls_to_launch": 3,
                                 "explanation": planned})
    assert "The period plan set the abandonment aim" in pacing_in_words(snapshot)
    assert status_line(snapshot).endswith("aim set by the period plan")
    console = Console(width=80, record=True, color_system=None)
    console.print(render(snapshot))
    assert "period plan set the abandonment aim" in " ".join(console.export_text().split())
    assert "period plan" not in pacing_in_words(_snapshot())
    assert "period plan" not in status_line(_snapshot())
