"""The agent's word that a call connected to them as a person was an answering machine,
after the call ended (their disposition ``AM`` in wrap-up): the engine takes the answer
out of its abandonment ledger and tells pacing a machine's ring time, as the same word
while the call is up does. Before, the word after the end was dropped: the machine stayed
a live answer in the ledger (a lower abandonment rate than the calls made)."""

from __future__ import annotations

from engine_kit import make_engine, of_type
from test_engine_machine_to_agent import MachineAware

from dialer.commands import AgentState, AttemptFinished, Originate
from dialer.events import (
    AgentLoggedIn,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
)

HUMAN, MACHINE = AnswerKind.HUMAN, AnswerKind.MACHINE


def _connected_call_ended(**config: object):
    """Ann talks to a live verdict (AMD said a person at 7.0, bridged at 7.1); the call
    ends at 40.0 and her wrap-up starts."""
    engine, _, policy, _ = make_engine(policy=MachineAware(), amd_enabled=True,
                                       wrap_up_timeout=30.0, **config)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    call_id = originate.call_id
    engine.handle(CallAnswered(5.0, call_id))
    engine.handle(CallClassified(7.0, call_id, HUMAN))
    engine.handle(CallBridged(7.1, call_id, "ann"))
    (finished,) = of_type(engine.handle(CallHungUp(40.0, call_id)), AttemptFinished)
    assert finished.answer_kind is HUMAN and call_id not in engine.calls
    assert engine.pool.agents["ann"].state is AgentState.WRAP_UP
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 0)
    return engine, policy, call_id


def test_the_agents_machine_word_after_the_end_takes_the_live_answer_out() -> None:
    engine, policy, call_id = _connected_call_ended()
    engine.handle(CallClassified(45.0, call_id, MACHINE))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    # Pacing learns the ring time was a machine's (from the dial to the verdict: 6 s).
    assert policy.routed == [(6.0, 45.0)]
    # Said once: a second word, or the disposition, changes nothing more.
    engine.handle(CallClassified(45.5, call_id, MACHINE))
    engine.handle(CallDisposed(46.0, "ann", call_id, "AM"))
    assert engine.ledger.live_answers == 0 and len(policy.routed) == 1


def test_a_person_word_or_another_call_changes_nothing() -> None:
    engine, policy, call_id = _connected_call_ended()
    engine.handle(CallClassified(45.0, call_id, HUMAN))
    engine.handle(CallClassified(45.0, "not-a-call", MACHINE))
    assert engine.ledger.live_answers == 1 and policy.routed == []


def test_the_same_with_machine_verdicts_routed_to_agents() -> None:
    engine, policy, call_id = _connected_call_ended(machine_to_free_agent=True)
    engine.handle(CallClassified(45.0, call_id, MACHINE))
    assert engine.ledger.live_answers == 0 and policy.routed == [(6.0, 45.0)]
