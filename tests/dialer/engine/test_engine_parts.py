"""The engine's composed parts (desk.py, switch_waits.py, agent_work.py, dialing.py,
call_flow.py): each
keeps a reference to the campaign's configuration, so a supervisor's ``retune`` must reach
every one of them, and the policy that learns the handle times or decides is always the
engine's own; none imports the engine back (no import cycle)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from engine_kit import Fixed, Progressive, make_engine, of_type

from dialer.commands import AgentStateChanged, Originate, OriginateAgentLeg, OriginateConsult
from dialer.engine.calls import CallState
from dialer.engine.config import switch_ring_timeout
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    AnswerKind,
    CallAnswered,
    CallBridged,
    CallClassified,
    CallDisposed,
    CallHungUp,
    ConsultRequested,
    DialingPaused,
    MessageLatency,
    SwitchUp,
)
from dialer.hangup import HangupCause
from pacing_models.interface import AttemptResult

PARTS = ("desk.py", "switch_waits.py", "agent_work.py", "dialing.py", "call_flow.py")


def _connected(engine, agent: str = "ann") -> str:
    """A customer bridged to ``agent`` (a phone-less agent, ready at once) at t=5."""
    engine.handle(AgentLoggedIn(0.0, agent))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallBridged(5.0, originate.call_id, agent))
    return originate.call_id


def test_after_retune_the_new_policy_learns_the_handle_times() -> None:
    engine, _, old, _ = make_engine(wrap_up_timeout=30.0)
    call_id = _connected(engine)
    new = Progressive()
    engine.retune(engine.config, new)
    engine.handle(CallHungUp(65.0, call_id))
    engine.handle(CallDisposed(70.0, "ann", call_id, "sale"))
    assert new.handles == [(pytest.approx(60.0), pytest.approx(5.0), 70.0)]
    assert old.handles == []


def test_a_policy_a_driver_puts_in_place_learns_the_handle_times() -> None:
    engine, _, old, _ = make_engine(wrap_up_timeout=30.0)
    call_id = _connected(engine)
    engine.policy = new = Progressive()  # as benchmarks/pacing_oracle.py does
    engine.handle(CallHungUp(65.0, call_id))
    engine.handle(CallDisposed(70.0, "ann", call_id, "sale"))
    assert new.handles == [(pytest.approx(60.0), pytest.approx(5.0), 70.0)]
    assert old.handles == []


def test_after_retune_a_wrap_up_runs_for_the_new_timeout() -> None:
    engine, _, policy, _ = make_engine(wrap_up_timeout=30.0)
    call_id = _connected(engine)
    engine.retune(dataclasses.replace(engine.config, wrap_up_timeout=10.0), policy)
    engine.handle(CallHungUp(65.0, call_id))
    assert engine.next_wakeup() <= 75.0
    ready = [c for c in engine.tick(75.0) if isinstance(c, AgentStateChanged)]
    assert [(c.state.value, c.at) for c in ready] == [("ready", 75.0)]


def test_after_retune_a_measured_latency_is_weighed_against_the_new_budget() -> None:
    engine, *_ = make_engine(message_latency_budget=0.3)
    engine.retune(dataclasses.replace(engine.config, message_latency_budget=0.5), engine.policy)
    engine.handle(MessageLatency(1.0, "default", 0.4))
    assert engine.message_budget == {"default": 0.5}


def test_after_retune_a_consulted_number_rings_for_the_new_timeout() -> None:
    engine, *_ = make_engine(wrap_up_timeout=30.0, ring_timeout=25)
    out = engine.handle(AgentLoggedIn(0.0, "ann", "user/ann"))
    engine.handle(AgentLegUp(0.0, "ann", of_type(out, OriginateAgentLeg)[0].agent_leg_id))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallBridged(5.0, originate.call_id, "ann"))
    assert engine.calls[originate.call_id].state is CallState.BRIDGED
    engine.retune(dataclasses.replace(engine.config, ring_timeout=40), engine.policy)
    out = engine.handle(ConsultRequested(10.0, "ann", "number", "+12015550199"))
    (consult,) = of_type(out, OriginateConsult)
    # The switch gets the backstop for 40 s of ringing; the engine ends the leg after 40 s
    # of it (tests/dialer/engine/test_engine_consult_ring_time.py).
    assert consult.ring_timeout == switch_ring_timeout(40, False, engine.config.decision_interval)
    assert engine.consults.by_leg[consult.leg_id].ring_timeout == 40


def test_after_retune_a_dialed_number_rings_for_the_new_timeout() -> None:
    engine, _, policy, _ = make_engine(ring_timeout=25)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.retune(dataclasses.replace(engine.config, ring_timeout=40), policy)
    (originate,) = of_type(engine.tick(1.0), Originate)
    assert originate.ring_timeout == 98  # the switch's backstop for 40 s of ringing


@dataclasses.dataclass
class _Packed(Fixed):
    """Reads the calls and agents in progress as packed start instants (predictive does)."""

    state_fields: frozenset[str] = frozenset({"agents_free", "in_progress_started",
                                              "in_progress_counts"})


def test_after_retune_the_new_policy_decides_on_the_fields_it_declares() -> None:
    engine, _, old, _ = make_engine(policy=Fixed(n=1))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.tick(1.0)
    assert old.states[-1].in_progress_started == b""  # undeclared: the tuples only
    new = _Packed(n=1)
    engine.retune(engine.config, new)
    engine.tick(2.0)
    (state,) = new.states
    assert state.in_progress_counts == (1, 0, 0, 0) and state.ringing_elapsed == ()
    assert len(state.in_progress_started) == 8


def test_a_policy_a_driver_puts_in_place_decides() -> None:
    engine, _, old, _ = make_engine(policy=Fixed(n=1))
    engine.handle(AgentLoggedIn(0.0, "ann"))
    engine.policy = new = Fixed(n=2)  # as benchmarks/pacing_oracle.py does
    assert len(of_type(engine.tick(1.0), Originate)) == 2
    assert old.states == [] and len(new.states) == 1
    assert engine.dials == 2 and engine.last_decision.explanation == "fixed"


def test_the_dialing_sides_state_reads_through_the_engine() -> None:
    # The runner, the web tier and the tests read these on the engine (status, alerts).
    kept, leads, policy, gate = make_engine(switch_ids=("fs1", "fs2"))
    engine = type(kept)(kept.config, policy, leads, gate)  # waits for SwitchUp
    assert engine.switches_up == {} and not engine.dialing_paused
    engine.handle(SwitchUp(0.0, "fs2"))
    engine.handle(DialingPaused(0.5, True))
    assert list(engine.switches_up) == ["fs2"] and engine.dialing_paused
    engine.tick(1.0)
    assert engine.dials == 0 and "paused" in engine.last_decision.explanation


def test_after_retune_an_answer_waits_for_the_new_connect_window() -> None:
    engine, _, policy, _ = make_engine(connect_window=1.5, message_latency_budget=0.3)
    engine.retune(dataclasses.replace(engine.config, connect_window=2.0), policy)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    assert engine.calls[originate.call_id].deadline == pytest.approx(5.0 + 2.0 - 0.3)


def test_after_retune_the_new_policy_learns_the_attempts() -> None:
    engine, _, old, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    new = Progressive()
    engine.retune(engine.config, new)
    engine.handle(CallHungUp(20.0, originate.call_id, HangupCause.NO_ANSWER))
    assert [a[0] for a in new.attempts] == [AttemptResult.NO_ANSWER] and old.attempts == []


def test_a_policy_a_driver_puts_in_place_learns_the_attempts() -> None:
    engine, _, old, _ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.policy = new = Progressive()  # as benchmarks/pacing_oracle.py does
    engine.handle(CallAnswered(5.0, originate.call_id))
    assert [a[0] for a in new.attempts] == [AttemptResult.LIVE] and old.attempts == []


def test_the_call_flows_state_reads_through_the_engine() -> None:
    # An AMD false positive (a person hung up on as a machine) is charged to AMD: pacing
    # and the runner read the count on the engine.
    engine, *_ = make_engine(amd_enabled=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallClassified(7.0, originate.call_id, AnswerKind.MACHINE))
    assert engine.amd_abandons == 0
    engine.handle(CallClassified(9.0, originate.call_id, AnswerKind.HUMAN))
    assert engine.amd_abandons == 1 == engine.pacing_state(9.5).amd_abandons
    assert engine.ledger.abandons == 1


@pytest.mark.parametrize("name", PARTS)
def test_a_part_does_not_import_the_engine(name: str) -> None:
    source = Path(__file__).parents[3] / "dialer" / "engine" / name
    imported = {node.module for node in ast.walk(ast.parse(source.read_text()))
                if isinstance(node, ast.ImportFrom)}
    assert "dialer.engine.engine" not in imported and "dialer.engine" not in imported


@dataclasses.dataclass
class _VerdictAware(Progressive):
    """A test policy with ``VerdictObserver.observe_verdict``."""

    verdicts: list[tuple[float, float]] = dataclasses.field(default_factory=list)

    def observe_verdict(self, delay_seconds: float, at: float) -> None:
        self.verdicts.append((delay_seconds, at))


@pytest.mark.parametrize("how", ["retune", "assignment"])
def test_a_new_policy_learns_the_verdicts_however_it_came(how: str) -> None:
    # One path (``Engine.policy``'s setter) for a retune and a driver's assignment: the
    # verdicts' delays go to the policy in place, never to the one it replaced.
    engine, _, _, _ = make_engine(policy=(old := _VerdictAware()), amd_enabled=True)
    engine.handle(AgentLoggedIn(0.0, "ann"))
    (originate,) = of_type(engine.tick(1.0), Originate)
    new = _VerdictAware()
    if how == "retune":
        engine.retune(engine.config, new)
    else:
        engine.policy = new  # as benchmarks/pacing_oracle.py does
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallClassified(7.5, originate.call_id, AnswerKind.HUMAN))
    assert new.verdicts == [(pytest.approx(2.5), 7.5)] and old.verdicts == []


def test_a_driver_cannot_put_in_place_a_policy_reading_unknown_fields() -> None:
    from dialer.engine.config import CampaignConfigError

    engine, _, old, _ = make_engine(policy=Fixed(n=1))
    bad = _Packed(n=2)
    bad.state_fields = frozenset({"agents_free", "crystal_ball"})
    with pytest.raises(CampaignConfigError, match="crystal_ball"):
        engine.policy = bad
    assert engine.policy is old and engine.call_flow.policy is old  # the old one stays
    engine.handle(AgentLoggedIn(0.0, "ann"))
    assert len(of_type(engine.tick(1.0), Originate)) == 1 and bad.states == []
