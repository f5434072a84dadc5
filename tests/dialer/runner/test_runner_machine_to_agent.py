"""Machine verdicts to free agents through the runner: the agent's disposition says who
answered, and a person becomes a live, connected answer in the store's ledger and reports."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from campaigns.reports import campaign_report
from dialer.commands import AgentState, AgentStateChanged
from dialer.runner.demo import demo_switch_files
from dialer.runner.errors import RunnerError
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import check_journal_invariants, make_store, settings_for

SAYS = {"agent1": "SALE", "agent2": "NA"}
"""What each agent disposes every call as: a person (a contact), and a code that says
neither person nor machine (the verdict must stay a machine's)."""


def test_a_person_an_agent_disposes_after_a_machine_verdict_is_a_live_connected_answer(
        tmp_path):
    store = make_store(tmp_path, agents=2, leads=40, pacing_policy="progressive",
                       amd_enabled=True, machine_to_free_agent=True,
                       # stated, as a UK campaign with AMD must (the hours no US zone is open)
                       amd_false_positive_estimate=0.05)
    disposed: dict[str, str] = {}

    async def scenario() -> Runner:
        # Everyone who answers is a person, and the detector takes every one for a machine
        # (mod_amd wrong every time; every greeting too long for the silence check): each
        # call the runner connects went to a free agent on a machine verdict.
        callees = SimpleCallees(live_answer=1.0, machine=0.0, busy=0.0, failed=0.0,
                                time_to_answer=1.0, talk=1.5, patience=30.0,
                                patience_shape=3.0)
        settings = SwitchSettings(speed=4.0, playback_seconds=1.0,
                                  sound_files=demo_switch_files(), amd_false_positive=1.0,
                                  long_hello_probability=1.0)
        async with running_switch(settings=settings, fate_source=callees, seed=7) as sim:
            runner = Runner(settings_for(tmp_path, sim.url), store, login_agents=True)

            def desk(change: AgentStateChanged) -> None:
                if change.state is not AgentState.WRAP_UP or not change.call_id:
                    return
                code, call_id = SAYS[change.agent_id], change.call_id

                def dispose() -> None:
                    try:
                        runner.dispose(change.agent_id, call_id, code)
                    except RunnerError:
                        return  # the wrap-up ended first (the run's stop)
                    disposed[call_id] = code

                asyncio.get_running_loop().call_later(0.05, dispose)

            runner.on_agent_change = desk
            await runner.run(duration=4.0)
        return runner

    runner = asyncio.run(scenario())
    attempts = check_journal_invariants(store)
    connected = [a for a in attempts if a["bridged_at"] is not None]
    people = [a for a in connected if disposed.get(a["call_uuid"]) == "SALE"]
    neither = [a for a in connected if disposed.get(a["call_uuid"]) == "NA"]
    assert people and neither, (len(people), len(neither))
    for attempt in people:
        # A live answer, connected, not abandoned; the lead follows the disposition.
        assert (attempt["answer_kind"], attempt["outcome"], attempt["abandoned"],
                attempt["disposition"]) == ("live", "answered", False, "SALE")
        assert store.lead(attempt["lead_id"]).status == "done"
    for attempt in neither:
        assert (attempt["answer_kind"], attempt["outcome"], attempt["abandoned"]) == \
            ("machine", "answered", False)
    # The campaign's ledger (shared by every process, read by reports and pacing) counts
    # the people: live answers, none abandoned.
    now = datetime.now(UTC) + timedelta(minutes=1)
    counts = store.ledger_counts("demo", now=now)
    assert counts.live_answers == len(people) and counts.abandons == 0
    summary = campaign_report(store, "demo", now - timedelta(hours=1), now).summary
    assert (summary["live_answers"], summary["abandons"]) == (len(people), 0)
    routed = runner.engine.agent_work.routed
    assert routed.confirmed_people == len(people) and len(routed) == 0
    # The same figures reach the Prometheus view (the engine snapshot's routed_verdicts).
    from dialer.runner.telemetry import MetricSources, Telemetry

    telemetry = Telemetry("demo", MetricSources(runner.switch_side, runner.db,
                                                runner.config.abandon_target,
                                                bool(runner.inbound.served)))
    telemetry.attach(runner.engine)
    view = telemetry.view(runner.clock())
    assert view.routed_verdicts is not None
    assert (view.routed_verdicts.confirmed_person, view.routed_verdicts.awaiting) == \
        (len(people), 0)
    counts = view.routed_verdicts
    assert counts.kept == (counts.confirmed_person + counts.confirmed_machine
                           + counts.expired_unconfirmed)
    assert runner.execution.awaiting_word == set()
    store.close()


def test_the_disposition_says_person_machine_or_neither_and_neither_claims_nothing(tmp_path):
    from campaigns.models import Disposition
    from campaigns.settings import DEFAULT_DISPOSITIONS
    from dialer.events import AnswerKind
    from dialer.runner.campaign_link import CampaignLink

    store = make_store(tmp_path, agents=1, leads=1, allowed_dispositions=[
        *DEFAULT_DISPOSITIONS, "SURVEY", "LINEBAD"])
    store.add_disposition(Disposition(code="SURVEY", label="Survey done", final=True,
                                      contact=True))
    store.add_disposition(Disposition(code="LINEBAD", label="Bad line", final=False,
                                      contact=False))
    link = CampaignLink(store, "demo", "test")
    heard = {code: link.heard(code) for code in
             ("SALE", "NI", "CALLBK", "DNC", "WRONG", "AM", "NA", "DROP", "TIMEOUT",
              "SURVEY", "LINEBAD", "NOSUCH", "FAX")}
    assert heard == {
        "SALE": AnswerKind.HUMAN, "NI": AnswerKind.HUMAN, "CALLBK": AnswerKind.HUMAN,
        "DNC": AnswerKind.HUMAN, "WRONG": AnswerKind.HUMAN, "AM": AnswerKind.MACHINE,
        # A campaign's own code: a contact is a person.
        "SURVEY": AnswerKind.HUMAN,
        # Neither said: the machine verdict stays (fail closed).
        "NA": None, "DROP": None, "TIMEOUT": None, "LINEBAD": None,
        # A code the campaign does not have says nothing either.
        "NOSUCH": None, "FAX": None}
    store.close()


def test_todays_abandonment_rate_metric_counts_the_confirmed_person():
    from dialer.commands import AttemptFinished, CallOutcome, Direction
    from dialer.events import AnswerKind
    from dialer.hangup import HangupCause
    from dialer.runner.telemetry import Telemetry

    telemetry = Telemetry("demo")
    day = 20_000 * 86400.0
    telemetry.finished(AttemptFinished(day + 10, "a", "demo", Direction.OUTBOUND,
                                       CallOutcome.HUNG_UP_ANSWERED, HangupCause.NORMAL_CLEARING,
                                       answer_kind=AnswerKind.HUMAN, abandoned=True))
    telemetry.finished(AttemptFinished(day + 20, "b", "demo", Direction.OUTBOUND,
                                       CallOutcome.CONNECTED, HangupCause.NORMAL_CLEARING,
                                       answer_kind=AnswerKind.MACHINE))
    assert (telemetry._live_today, telemetry._abandons_today) == (1, 1)
    telemetry.live_answer_confirmed(day + 30)  # b's agent said a person: 1 abandon in 2
    assert (telemetry._live_today, telemetry._abandons_today) == (2, 1)
    telemetry.live_answer_confirmed(day + 86400 + 5)  # a call of a day already over
    assert telemetry._live_today == 2
