"""Machine verdicts to free agents (``machine_to_free_agent``): a machine verdict goes to an
agent free at that instant, never to a queue, else the campaign's machine action applies."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from engine_kit import Fixed, Progressive, dial_one, make_engine, of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import (
    AgentState,
    AttemptFinished,
    Bridge,
    CallOutcome,
    Hangup,
    Originate,
    PlayMessage,
)
from dialer.engine import CampaignConfig, CampaignConfigError, MachineAction
from dialer.engine.calls import CallState, RoutedVerdict
from dialer.events import (
    AgentLoggedIn,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
)
from pacing_models.interface import AttemptResult


@dataclass
class MachineAware(Progressive):
    """A test policy with interface.MachineObserver's two methods."""

    routed: list[tuple[float, float]] = field(default_factory=list)
    machine_handles: list[tuple[float, float, float]] = field(default_factory=list)

    def observe_machine_routed(self, ring_seconds: float, at: float) -> None:
        self.routed.append((ring_seconds, at))

    def observe_machine_handle(self, talk_seconds: float, wrap_seconds: float,
                               at: float) -> None:
        self.machine_handles.append((talk_seconds, wrap_seconds, at))


def _engine(policy: Progressive | None = None, **config: object):
    settings: dict[str, object] = {"amd_enabled": True, "machine_to_free_agent": True}
    settings.update(config)
    return make_engine(policy=policy or MachineAware(), **settings)


def test_the_setting_needs_amd() -> None:
    with pytest.raises(CampaignConfigError, match="machine_to_free_agent: needs amd_enabled"):
        CampaignConfig("c", "+12015550000", machine_to_free_agent=True)


def test_a_machine_verdict_goes_to_the_free_agent_who_drops_the_machine() -> None:
    engine, _, policy, _ = _engine(wrap_up_timeout=30.0)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    (bridge,) = of_type(out, Bridge)
    assert (bridge.call_id, bridge.agent_id) == (call_id, "ann")
    assert of_type(out, Hangup) == [] and of_type(out, PlayMessage) == []
    # A machine verdict to the policy (it never waits: no demand to plan for); not a live
    # answer in the ledger.
    assert policy.attempts[-1][0] is AttemptResult.MACHINE
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    engine.handle(CallBridged(7.1, call_id, "ann"))
    # The agent (or the ground truth) says machine: nothing to correct.
    engine.handle(CallClassified(8.0, call_id, AnswerKind.MACHINE))
    assert engine.calls[call_id].routed is RoutedVerdict.MACHINE
    assert policy.routed == []
    (finished,) = of_type(engine.handle(CallHungUp(12.0, call_id)), AttemptFinished)
    assert finished.outcome is CallOutcome.CONNECTED and finished.agent_id == "ann"
    assert finished.answer_kind is AnswerKind.MACHINE and not finished.abandoned
    engine.handle(CallDisposed(12.0, "ann", call_id, "machine"))
    assert engine.pool.agents["ann"].state is AgentState.READY
    assert policy.machine_handles == [(pytest.approx(4.9), 0.0, 12.0)]
    assert policy.handles == []
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)


def test_a_person_amd_got_wrong_is_connected_and_not_abandoned() -> None:
    engine, _, policy, _ = _engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE)), Bridge)
    engine.handle(CallBridged(7.1, call_id, "ann"))
    engine.handle(CallClassified(7.2, call_id, AnswerKind.HUMAN))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 0)
    assert engine.amd_abandons == 0 and policy.routed == []
    (finished,) = of_type(engine.handle(CallHungUp(100.0, call_id)), AttemptFinished)
    assert finished.answer_kind is AnswerKind.HUMAN and not finished.abandoned
    assert finished.outcome is CallOutcome.CONNECTED
    engine.handle(CallDisposed(110.0, "ann", call_id, "sale"))
    assert len(policy.handles) == 1 and policy.machine_handles == []


@pytest.mark.parametrize("action", [MachineAction.HANG_UP, MachineAction.LEAVE_MESSAGE])
def test_without_a_free_agent_the_machine_action_applies_as_today(
    action: MachineAction,
) -> None:
    engine, _, policy, _ = _engine(policy=Fixed(n=2), machine_action=action,
                                   machine_message="vm.wav")
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(2.0, first))
    assert of_type(engine.handle(CallClassified(3.0, first, AnswerKind.HUMAN)), Bridge)
    engine.handle(CallBridged(3.1, first, "ann"))
    engine.handle(CallAnswered(4.0, second))  # ann has the first call: nobody is free
    out = engine.handle(CallClassified(5.0, second, AnswerKind.MACHINE))
    assert of_type(out, Bridge) == []
    if action is MachineAction.HANG_UP:
        assert of_type(out, Hangup)[0].call_id == second
    else:
        assert of_type(out, PlayMessage)[0].message == "vm.wav"
    assert engine.calls[second].state is CallState.MACHINE
    assert engine.calls[second].routed is None
    assert policy.attempts[-1][0] is AttemptResult.MACHINE
    assert not engine.pool.lines.outbound  # nothing queued for it
    # A person hung up on is an abandon, as without the setting.
    engine.handle(CallClassified(5.5, second, AnswerKind.HUMAN))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (2, 1)


def test_the_false_positive_estimate_is_not_charged_for_verdicts_agents_take() -> None:
    engine, _, _, _ = _engine(policy=Fixed(n=4), amd_false_positive_estimate=0.5)
    for agent in ("ann", "bob"):
        engine.handle(AgentLoggedIn(0.0, agent))
    calls = [o.call_id for o in of_type(engine.tick(1.0), Originate)]
    for i, call_id in enumerate(calls):
        engine.handle(CallAnswered(2.0 + i, call_id))
        for bridge in of_type(engine.handle(
                CallClassified(2.5 + i, call_id, AnswerKind.MACHINE)), Bridge):
            engine.handle(CallBridged(2.6 + i, bridge.call_id, bridge.agent_id))
    routed = [c for c in calls if engine.calls[c].routed is RoutedVerdict.UNCONFIRMED]
    assert len(routed) == 2  # two agents free: two verdicts taken, two hung up
    # Only the two hung up on are charged: 2 × 0.5 = one estimated abandon.
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 1)


def test_a_routed_verdict_the_window_closes_on_gets_the_message_and_counts_if_a_person() -> None:
    engine, _, _, _ = _engine(connect_window=1.5)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE)), Bridge)
    # The bridge is never confirmed: at the connect window's end, the safe-harbour message.
    (message,) = of_type(engine.tick(9.0), PlayMessage)
    assert message.message == engine.config.safe_harbor_message
    assert engine.calls[call_id].state is CallState.ABANDONED
    assert engine.pool.agents["ann"].state is AgentState.READY
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (0, 0)
    engine.handle(CallClassified(9.5, call_id, AnswerKind.HUMAN))
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (1, 1)
    (finished,) = of_type(engine.handle(CallHungUp(20.0, call_id)), AttemptFinished)
    assert finished.abandoned and finished.answer_kind is AnswerKind.HUMAN


def test_a_routed_verdict_whose_agent_leg_is_lost_is_not_queued() -> None:
    """A live answer whose agent's phone drops during the bridge goes back in line; a machine
    verdict sent to a free agent never waits: it gets the safe-harbour message at once,
    even with another agent about to be free."""
    from dialer.events import AgentLegDown
    from dialer.hangup import HangupCause

    engine, _, _, _ = _engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    assert of_type(engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE)), Bridge)
    out = engine.handle(AgentLegDown(7.2, "ann", HangupCause.NORMAL_CLEARING))
    assert of_type(out, PlayMessage)
    assert engine.calls[call_id].state is CallState.ABANDONED
    assert not engine.pool.lines.outbound
    engine.handle(AgentLoggedIn(7.3, "bob"))
    assert engine.pool.agents["bob"].state is AgentState.READY


def test_the_default_hangs_up_even_with_a_free_agent() -> None:
    engine, _, _, _ = make_engine(amd_enabled=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    call_id = dial_one(engine)
    engine.handle(CallAnswered(5.0, call_id))
    out = engine.handle(CallClassified(7.0, call_id, AnswerKind.MACHINE))
    assert of_type(out, Bridge) == [] and of_type(out, Hangup)


# --- the invariant, over random event orders ----------------------------------------------

_STEP = st.sampled_from(["tick", "answer", "machine", "human", "confirm", "truth", "hang_up",
                         "dispose"])


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(_STEP, st.integers(0, 7), st.booleans()), max_size=60),
       agents=st.integers(0, 3))
def test_a_routed_verdict_never_waits_in_a_queue_nor_counts_an_abandon(
    steps: list[tuple[str, int, bool]], agents: int,
) -> None:
    """Whatever the order of answers, verdicts, bridges, truths and hang-ups: a machine
    verdict sent to an agent is never in the agents' queue nor waiting for one, and is
    never counted abandoned while its bridge is confirmed inside the connect window (time
    here advances by 0.1 s a step, the window is 2 s, bridges are confirmed at once)."""
    engine, _, _, _ = _engine(policy=Fixed(n=2))
    for i in range(agents):
        engine.handle(AgentLoggedIn(0.0, f"a{i}"))
    now = 0.0
    ended: list[AttemptFinished] = []
    routed: set[str] = set()
    truths: dict[str, bool] = {}  # call → is it really a person
    for action, pick, flag in steps:
        now += 0.1
        calls = sorted(engine.calls)
        call = engine.calls[calls[pick % len(calls)]] if calls else None
        out: list = []
        if action == "tick" or call is None:
            out = engine.tick(now)
        elif action == "answer" and call.state in (CallState.DIALING, CallState.RINGING):
            out = engine.handle(CallAnswered(now, call.call_id))
        elif action in ("machine", "human") and call.state is CallState.ANSWERED:
            kind = AnswerKind.MACHINE if action == "machine" else AnswerKind.HUMAN
            truths[call.call_id] = flag if action == "machine" else True
            out = engine.handle(CallClassified(now, call.call_id, kind))
        elif action == "truth" and call.routed is RoutedVerdict.UNCONFIRMED:
            kind = AnswerKind.HUMAN if truths.get(call.call_id) else AnswerKind.MACHINE
            out = engine.handle(CallClassified(now, call.call_id, kind))
        elif action == "hang_up" and call.state not in (CallState.ENDED,):
            out = engine.handle(CallHungUp(now, call.call_id))
        elif action == "dispose":
            for agent in engine.pool.agents.values():
                if agent.state is AgentState.WRAP_UP:
                    out = engine.handle(CallDisposed(now, agent.agent_id, "", "done"))
                    break
        for bridge in of_type(out, Bridge):  # the switch confirms bridges at once
            out += engine.handle(CallBridged(now, bridge.call_id, bridge.agent_id))
        ended += of_type(out, AttemptFinished)
        waiting = {work.work_id for work in engine.pool.lines.outbound}
        for live_call in engine.calls.values():
            if live_call.routed is not None:
                routed.add(live_call.call_id)
                assert live_call.state in (CallState.BRIDGING, CallState.BRIDGED)
                assert live_call.call_id not in waiting
                assert not live_call.abandoned
    for finished in ended:
        if finished.call_id in routed:
            assert not finished.abandoned
            assert finished.outcome is CallOutcome.CONNECTED
    assert engine.ledger.abandons <= engine.ledger.live_answers
