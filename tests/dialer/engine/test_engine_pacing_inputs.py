"""What the pacing policy is given: every field, or only the tuples it declares it reads."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest
from engine_kit import Fixed, make_engine, of_type

from dialer.commands import Originate
from dialer.engine import CampaignConfigError
from dialer.events import AgentLoggedIn, CallAnswered, CallBridged


@dataclass
class Lean(Fixed):
    """Reads only the counts and the ringing lines (as a progressive policy would)."""

    state_fields: frozenset[str] = frozenset({"agents_free", "ringing_elapsed", "answered_waiting"})


def _busy_engine(policy: Fixed):
    engine, _, _, _ = make_engine(policy=policy, wrap_up_timeout=30.0)
    for agent in ("ann", "bob"):
        engine.handle(AgentLoggedIn(0.0, agent))
    first, _ = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(2.0, first))
    engine.handle(CallBridged(2.5, first, "ann"))
    engine.tick(3.0)
    return engine


def test_a_policy_without_a_declaration_gets_every_field() -> None:
    policy = Fixed(n=2)
    _busy_engine(policy)
    state = policy.states[-1]
    assert state.busy_elapsed == (0.5,) and len(state.ringing_elapsed) == 1
    assert state.free_elapsed == (3.0,)


def test_a_policy_without_a_declaration_gets_the_tuples_not_the_packed_instants() -> None:
    # The packed start instants repeat the four tuples; only a policy that names them gets
    # them (pacing_models/interface.py), so an undeclared policy does not pay for both.
    policy = Fixed(n=2)
    _busy_engine(policy)
    state = policy.states[-1]
    assert len(state.ringing_elapsed) == 1 and state.busy_elapsed == (0.5,)
    assert state.in_progress_started == b"" and state.in_progress_counts is None


def test_a_policy_gets_only_the_elapsed_tuples_it_declares() -> None:
    policy = Lean(n=2)
    engine = _busy_engine(policy)
    state = policy.states[-1]
    assert len(state.ringing_elapsed) == 1 and state.agents_free == 1
    assert (state.busy_elapsed, state.wrap_elapsed, state.free_elapsed) == ((), (), ())
    # The public snapshot (dashboards, tests) is always complete.
    assert engine.pacing_state(3.0).busy_elapsed == (0.5,)


def test_a_declaration_naming_no_pacing_field_is_refused() -> None:
    with pytest.raises(CampaignConfigError, match="busy_seconds"):
        make_engine(policy=Lean(state_fields=frozenset({"busy_seconds"})))


@dataclass
class Counting(Fixed):
    """Reads the ringing lines' count only (progressive, preview and power do)."""

    state_fields: frozenset[str] = frozenset({"agents_free", "ringing_lines", "answered_waiting"})


def test_a_policy_that_reads_only_the_count_of_ringing_lines_gets_no_tuple() -> None:
    policy = Counting(n=2)
    _busy_engine(policy)
    state = policy.states[-1]
    assert state.ringing_lines == 1 and state.ringing_elapsed == ()
    full = Fixed(n=2)
    _busy_engine(full)
    assert full.states[-1].ringing_lines == len(full.states[-1].ringing_elapsed) == 1


@dataclass
class Packed(Fixed):
    """Reads the calls and agents in progress as packed start instants (predictive does)."""

    state_fields: frozenset[str] = frozenset({"agents_free", "in_progress_started",
                                              "in_progress_counts"})


def test_the_packed_start_instants_are_the_elapsed_tuples_to_the_bit() -> None:
    policy = Packed(n=2)
    engine = _busy_engine(policy)
    state = policy.states[-1]
    assert (state.busy_elapsed, state.wrap_elapsed, state.ringing_elapsed,
            state.verdict_elapsed) == ((), (), (), ())
    assert state.in_progress_counts == (1, 0, 1, 0)
    full = engine.pacing_state(4.25)  # every field, the packed ones too
    tuples = full.ringing_elapsed + full.verdict_elapsed + full.busy_elapsed + full.wrap_elapsed
    assert full.in_progress_counts == (len(full.ringing_elapsed), len(full.verdict_elapsed),
                                       len(full.busy_elapsed), len(full.wrap_elapsed))
    starts = struct.unpack(f"{len(tuples)}d", full.in_progress_started)
    assert tuple(full.now - start for start in starts) == tuples and len(tuples) >= 2
    lean = Counting(n=2)
    _busy_engine(lean)
    assert lean.states[-1].in_progress_counts is None
    assert lean.states[-1].in_progress_started == b""
