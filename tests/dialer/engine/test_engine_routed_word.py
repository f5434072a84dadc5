"""The agent's word on a machine verdict sent to them (``machine_to_free_agent``) after the
call has ended: kept until their wrap-up ends (dialer/engine/routed_verdicts.py), a person
then counts as a live, connected answer; anything else leaves the machine verdict."""

from __future__ import annotations

import pytest
from engine_kit import Fixed, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_machine_to_agent import MachineAware

from dialer.commands import (
    AgentState,
    AttemptFinished,
    Bridge,
    Hangup,
    LiveAnswerConfirmed,
    Originate,
)
from dialer.engine.calls import CallState, RoutedVerdict
from dialer.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReady,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
)

HUMAN, MACHINE = AnswerKind.HUMAN, AnswerKind.MACHINE


def _routed_call_ended(wrap_up_timeout: float = 30.0, **config: object):
    """Ann takes a machine verdict at 7.0, bridged at 7.1; the call ends at 40.0 and her
    wrap-up starts: the engine no longer knows the call."""
    settings: dict[str, object] = {"amd_enabled": True, "machine_to_free_agent": True,
                                   "wrap_up_timeout": wrap_up_timeout}
    settings.update(config)
    engine, _, policy, _ = make_engine(policy=MachineAware(), **settings)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    call_id = originate.call_id
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(7.0, call_id, MACHINE)), Bridge)
    engine.handle(CallBridged(7.1, call_id, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(40.0, call_id)), AttemptFinished)
    assert finished.answer_kind is MACHINE and call_id not in engine.calls
    assert engine.pool.agents["ann"].state is AgentState.WRAP_UP
    return engine, policy, call_id


def test_a_person_the_agent_names_after_the_hang_up_is_a_live_connected_answer() -> None:
    engine, policy, call_id = _routed_call_ended()
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    out = engine.handle(CallClassified(45.0, call_id, HUMAN))
    (confirmed,) = of_type(out, LiveAnswerConfirmed)
    assert (confirmed.call_id, confirmed.agent_id, confirmed.answered_at) == \
        (call_id, "ann", 5.0)
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 0)
    assert engine.agent_work.routed.confirmed_people == 1
    assert len(engine.agent_work.routed) == 0
    # Her handle is a person's now, not a machine's.
    engine.handle(CallDisposed(46.0, "ann", call_id, "SALE"))
    assert len(policy.handles) == 1 and policy.machine_handles == []
    assert engine.pool.agents["ann"].state is AgentState.READY


def test_a_machine_named_after_the_hang_up_changes_nothing() -> None:
    engine, policy, call_id = _routed_call_ended()
    assert of_type(engine.handle(CallClassified(45.0, call_id, MACHINE)),
                   LiveAnswerConfirmed) == []
    engine.handle(CallDisposed(46.0, "ann", call_id, "AM"))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    assert engine.agent_work.routed.confirmed_machines == 1 and len(engine.agent_work.routed) == 0
    assert policy.handles == [] and len(policy.machine_handles) == 1


def test_a_word_after_the_wrap_up_timed_out_is_ignored_and_counted() -> None:
    engine, _, call_id = _routed_call_ended(wrap_up_timeout=5.0)
    engine.tick(45.5)  # the wrap-up ends at 45.0 without a word: the record goes
    assert engine.pool.agents["ann"].state is AgentState.READY
    counts = engine.agent_work.routed.counts(45.5)
    assert (counts.awaiting, counts.expired_unconfirmed) == (0, 1)
    assert len(engine.agent_work.routed) == 0
    out = engine.handle(CallClassified(46.0, call_id, HUMAN))
    assert of_type(out, LiveAnswerConfirmed) == []
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    assert engine.agent_work.routed.ignored == engine.agent_work.routed.ignored_late == 1


@pytest.mark.parametrize("ends", ["ready", "pause", "logout", "disposed"])
def test_a_wrap_up_ended_any_way_drops_the_record(ends: str) -> None:
    engine, _, call_id = _routed_call_ended()
    engine.handle({"ready": AgentReady(41.0, "ann"), "pause": AgentPaused(41.0, "ann", "lunch"),
                   "logout": AgentLoggedOut(41.0, "ann"),
                   "disposed": CallDisposed(41.0, "ann", call_id, "NA")}[ends])
    assert len(engine.agent_work.routed) == 0
    assert of_type(engine.handle(CallClassified(42.0, call_id, HUMAN)), LiveAnswerConfirmed) == []
    assert engine.ledger.live_answers == 0


def test_a_word_on_an_unknown_or_already_confirmed_call_is_ignored_and_counted() -> None:
    engine, _, call_id = _routed_call_ended()
    assert engine.handle(CallClassified(41.0, "no-such-call", HUMAN)) == []
    assert of_type(engine.handle(CallClassified(42.0, call_id, HUMAN)), LiveAnswerConfirmed)
    assert of_type(engine.handle(CallClassified(43.0, call_id, HUMAN)),
                   LiveAnswerConfirmed) == []
    assert engine.handle(CallClassified(43.5, call_id, MACHINE)) == []
    routed = engine.agent_work.routed
    assert (routed.ignored_unknown, routed.ignored_duplicate, routed.ignored_late) == (1, 2, 0)
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 0)


def test_a_word_during_the_call_stands_and_a_second_one_is_ignored() -> None:
    engine, _, _, _ = make_engine(policy=MachineAware(), amd_enabled=True,
                                  machine_to_free_agent=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    call_id = originate.call_id
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallClassified(7.0, call_id, MACHINE))
    engine.handle(CallBridged(7.1, call_id, "ann"))
    engine.handle(CallClassified(8.0, call_id, HUMAN))  # the ground truth, during the call
    engine.handle(CallClassified(9.0, call_id, MACHINE))  # a second word: the first stands
    assert engine.calls[call_id].routed is RoutedVerdict.PERSON
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 0)
    assert engine.agent_work.routed.ignored == 1
    (finished,) = of_type(engine.handle(CallHungUp(20.0, call_id)), AttemptFinished)
    assert finished.answer_kind is HUMAN
    assert len(engine.agent_work.routed) == 0  # confirmed: nothing to keep


def test_without_the_setting_nothing_is_kept() -> None:
    engine, _, _, _ = make_engine(amd_enabled=True, wrap_up_timeout=30.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    assert of_type(engine.handle(CallClassified(7.0, originate.call_id, MACHINE)), Hangup)
    engine.handle(CallHungUp(7.2, originate.call_id))
    assert engine.handle(CallClassified(8.0, originate.call_id, HUMAN)) == []
    assert len(engine.agent_work.routed) == 0 and engine.agent_work.routed.ignored == 0


# --- the invariants, over random event orders ------------------------------------------------

WRAP_UP = 3.0
_STEP = st.sampled_from(["tick", "advance", "advance", "advance", "hang_up", "word", "word",
                         "dispose", "ready", "pause", "stray_word"])


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(st.tuples(_STEP, st.integers(0, 7), st.booleans()), min_size=10,
                     max_size=80),
       agents=st.integers(1, 3))
def test_the_agents_word_never_hides_an_abandon_and_records_never_outlive_the_wrap_up(
    steps: list[tuple[str, int, bool]], agents: int,
) -> None:
    """With routing on, whatever the order of answers, verdicts (AMD wrong about people at
    random), hang-ups, agents' words (in time, late, about unknown calls, or none),
    dispositions, and wrap-ups ended by ready or pause (time moves 0.25 s a step; the switch
    confirms bridges at once):

    - the ledger counts at least the abandons the ground truth has (a person answered and
      never connected to an agent), told of the truth as the simulator tells it (people hung
      up on as machines, or routed and gone before the bridge);
    - a live answer confirmed after the call is a person who was connected, not abandoned,
      and every word the agent gave in their wrap-up on such a person is taken;
    - a kept record always belongs to an agent wrapping that very call up, inside the
      campaign's wrap-up timeout from its hang-up (at most one per agent).
    """
    engine, _, _, _ = make_engine(
        policy=Fixed(n=1), amd_enabled=True, machine_to_free_agent=True,
        wrap_up_timeout=WRAP_UP, connect_window=2.0)
    for i in range(agents):
        engine.handle(AgentLoggedIn(0.0, f"a{i}"))
    now = 0.0
    person: dict[str, bool] = {}  # call → the ground truth: a person answered
    finished: dict[str, AttemptFinished] = {}
    confirmed: list[LiveAnswerConfirmed] = []
    words_in_time: set[str] = set()  # person calls whose agent said so during the wrap-up
    routed: set[str] = set()

    def run(out: list) -> None:
        """Execute commands as a switch that confirms bridges and hang-ups at once."""
        while out:
            command = out.pop(0)
            if isinstance(command, Bridge):
                out += engine.handle(CallBridged(now, command.call_id, command.agent_id))
            elif isinstance(command, Hangup) and command.call_id in engine.calls:
                out += hang_up(command.call_id)
            elif isinstance(command, AttemptFinished):
                finished[command.call_id] = command
            elif isinstance(command, LiveAnswerConfirmed):
                confirmed.append(command)

    def hang_up(call_id: str) -> list:
        call = engine.calls[call_id]
        out: list = []
        if person.get(call_id) and (
                call.state is CallState.MACHINE
                or (call.routed is RoutedVerdict.UNCONFIRMED
                    and call.state is not CallState.BRIDGED)):
            # The ground truth, told while the call is up (the simulator's switch does).
            out += engine.handle(CallClassified(now, call_id, HUMAN))
        return out + engine.handle(CallHungUp(now, call_id))

    def check_records() -> None:
        records = engine.agent_work.routed.records
        assert len(records) <= agents
        for record in records.values():
            agent = engine.pool.agents[record.agent_id]
            assert agent.state is AgentState.WRAP_UP and agent.call_id == record.call_id
            assert record.ended_at <= now <= record.expires_at
            assert record.expires_at - record.ended_at <= WRAP_UP + 1e-9

    def dispose(agent_id: str, word: bool) -> None:
        call_id = engine.pool.agents[agent_id].call_id or ""
        if word and call_id in person:
            # The driver posts the disposition's word, then the disposition.
            if call_id in engine.agent_work.routed.records and person[call_id]:
                words_in_time.add(call_id)
            run(engine.handle(CallClassified(now, call_id, HUMAN if person[call_id]
                                             else MACHINE)))
        run(engine.handle(CallDisposed(now, agent_id, call_id, "X")))

    for action, pick, flag in steps:
        now += 0.25
        calls = sorted(engine.calls)
        call = engine.calls[calls[pick % len(calls)]] if calls else None
        wrapping = sorted(a.agent_id for a in engine.pool.agents.values()
                          if a.state is AgentState.WRAP_UP)
        agent_id = wrapping[pick % len(wrapping)] if wrapping else None
        if action == "advance" and call is not None \
                and call.state in (CallState.DIALING, CallState.RINGING):
            run(engine.handle(CallAnswered(now, call.call_id)))
        elif action == "advance" and call is not None and call.state is CallState.ANSWERED:
            # AMD never misses a machine here; it takes a person for one when ``flag``.
            is_person = pick % 2 == 0
            person[call.call_id] = is_person
            kind = MACHINE if (not is_person or flag) else HUMAN
            out = engine.handle(CallClassified(now, call.call_id, kind))
            if engine.calls[call.call_id].routed is not None:
                routed.add(call.call_id)
            run(out)
        elif action == "hang_up" and call is not None:
            bridged = [c for c in calls if engine.calls[c].state is CallState.BRIDGED]
            run(hang_up(bridged[pick % len(bridged)] if flag and bridged else call.call_id))
        elif action in ("word", "dispose") and agent_id is not None:
            dispose(agent_id, word=action == "word")
        elif action == "ready" and agent_id is not None:
            run(engine.handle(AgentReady(now, agent_id)))
        elif action == "pause" and agent_id is not None:
            run(engine.handle(AgentPaused(now, agent_id, "break")))
            run(engine.handle(AgentReady(now, agent_id)))
        elif action == "stray_word" and finished:
            # A word about a call long gone (late, repeated, or never routed).
            gone = sorted(finished)[pick % len(finished)]
            if gone not in engine.agent_work.routed.records:
                run(engine.handle(CallClassified(now, gone, HUMAN if flag else MACHINE)))
        else:
            run(engine.tick(now))
        check_records()
    while engine.calls:  # everyone hangs up at the end, and the agents have their say
        now += 0.1
        run(hang_up(sorted(engine.calls)[0]))
        check_records()
        for agent in sorted(engine.pool.agents.values(), key=lambda a: a.agent_id):
            if agent.state is AgentState.WRAP_UP:
                dispose(agent.agent_id, word=True)
    now += WRAP_UP + 0.1
    run(engine.tick(now))
    assert engine.agent_work.routed.counts(now).awaiting == 0  # every wrap-up over: nothing
    truth_abandons = sum(1 for call_id, record in finished.items()
                         if person.get(call_id) and record.bridged_at is None
                         and record.answered_at is not None)
    assert engine.ledger.abandons >= truth_abandons
    assert {c.call_id for c in confirmed} == words_in_time
    for confirmation in confirmed:
        record = finished[confirmation.call_id]
        assert confirmation.call_id in routed and person[confirmation.call_id]
        assert record.bridged_at is not None and not record.abandoned
