"""Ready agents promised to outbound dials in flight (dialer/engine/promises.py): a queue's
caller never takes the agent an outbound call is ringing for, so that call, answered, is
never abandoned for want of it; the caller gets the next agent that frees up, or that very
agent as soon as its dial ends unanswered, before pacing dials for it again."""

from __future__ import annotations

from inbound_kit import Caller, queue, world

from dialer.commands import AttemptFinished, Bridge, CallOutcome, Direction, Originate


def _outbound(w) -> list[AttemptFinished]:
    return [c for c in w.of_type(AttemptFinished) if c.direction is Direction.OUTBOUND]


def test_a_caller_never_takes_the_agent_an_outbound_call_rings_for() -> None:
    """The field's report (docs/inbound.md): progressive pacing, two agents, callers 3 s and
    4 s in, before any arrival rate is learnt. The first caller takes a free agent and pacing
    dials for the other; the second caller took that agent, and the outbound call, answered
    at 8 s, was abandoned at 14.7 s (safe-harbour message). Now the caller waits for the
    first agent to free up and the outbound call is connected."""
    w = world(queue(), agents=2, n_leads=10)
    w.outbound_answer = 1.0
    w.add(Caller("c1", 3.0, "sales", "+12025550101", talk=60))
    w.add(Caller("c2", 4.0, "sales", "+12025550102", talk=60))
    w.run(until=200)
    outbound = _outbound(w)
    assert outbound and all(c.outcome is CallOutcome.CONNECTED for c in outbound), outbound
    (first,) = [c for c in w.of_type(Originate) if c.at == 3.0]
    (to_agent,) = [b for b in w.of_type(Bridge) if b.call_id == first.call_id]
    (c2,) = [b for b in w.of_type(Bridge) if b.call_id == "c2"]
    assert c2.at > to_agent.at  # after the agent's outbound call, not before it
    assert w.finished("c2").outcome is CallOutcome.CONNECTED


def test_the_caller_takes_the_agent_when_its_dial_ends_unanswered() -> None:
    """Nobody answers the outbound call: at its end (ring timeout, 25 s) the promise is
    gone, and at the next decision the waiting caller takes the agent before pacing dials
    for it again."""
    w = world(queue(), agents=2, n_leads=10)
    w.outbound_answer = 0.0
    w.add(Caller("c1", 3.0, "sales", "+12025550101", talk=120))
    w.add(Caller("c2", 4.0, "sales", "+12025550102", talk=60))
    w.run(until=100)
    (first,) = [c for c in w.of_type(Originate) if c.at == 3.0]
    ended = w.finished(first.call_id)
    assert ended.outcome is not CallOutcome.ABANDONED
    (c2,) = [b for b in w.of_type(Bridge) if b.call_id == "c2"]
    assert ended.at <= c2.at <= ended.at + w.engine.config.decision_interval
    # Pacing dialed nothing for that agent in between: the next dial waits for a free agent.
    assert not [c for c in w.of_type(Originate) if ended.at <= c.at <= c2.at]


def test_an_agent_no_dial_is_promised_to_takes_the_caller_at_once() -> None:
    """Three agents and at most one line (``max_lines``): when c1 has taken one agent, one
    dial rings for one of the other two, and c2 takes the third at once."""
    w = world(queue(), agents=3, n_leads=10, max_lines=1)
    w.outbound_answer = 1.0
    w.add(Caller("c1", 3.0, "sales", "+12025550101", talk=60))
    w.add(Caller("c2", 4.0, "sales", "+12025550102", talk=60))
    w.run(until=100)
    assert len([c for c in w.of_type(Originate) if c.at <= 4.0]) == 1
    (c2,) = [b for b in w.of_type(Bridge) if b.call_id == "c2"]
    assert c2.at == 4.0
    assert all(c.outcome is CallOutcome.CONNECTED for c in _outbound(w))


def test_both_free_agents_promised_make_the_caller_wait() -> None:
    """Three agents, two dials in flight for the two c1 left free: c2 waits."""
    w = world(queue(), agents=3, n_leads=10)
    w.outbound_answer = 1.0
    w.add(Caller("c1", 3.0, "sales", "+12025550101", talk=60))
    w.add(Caller("c2", 4.0, "sales", "+12025550102", talk=60))
    w.run(until=100)
    assert len([c for c in w.of_type(Originate) if c.at <= 4.0]) == 2
    (c2,) = [b for b in w.of_type(Bridge) if b.call_id == "c2"]
    assert c2.at > 4.0
    assert all(c.outcome is CallOutcome.CONNECTED for c in _outbound(w))


def test_without_the_promise_the_old_engine_abandons() -> None:
    """The first test's world with the promise taken away (the engine before): the outbound
    call is abandoned, so the tests above test the promise."""
    w = world(queue(), agents=2, n_leads=10)
    w.engine.pool.lines.promised = None
    w.outbound_answer = 1.0
    w.add(Caller("c1", 3.0, "sales", "+12025550101", talk=60))
    w.add(Caller("c2", 4.0, "sales", "+12025550102", talk=60))
    w.run(until=200)
    assert any(c.outcome is CallOutcome.ABANDONED for c in _outbound(w))


def test_a_monitor_asking_for_the_reserve_keeps_the_decision_s_count() -> None:
    """The reserve a runner's snapshot reads (``InboundRouter.reserve``) must not reset the
    count of reserve agents still free since the decision (``InboundLines.kept``): after a
    caller used one, a second would have taken an agent promised to a dial."""
    w = world(queue(handle_time=300), agents=12, n_leads=50)
    for i in range(40):  # 120 calls an hour: a reserve of at least one agent
        w.add(Caller(f"c{i}", 30.0 * i, "sales", talk=20))
    w.run(until=1200)
    lines = w.engine.pool.lines.inbound
    lines.kept = 0
    assert w.engine.inbound.reserve(w.now) > 0
    assert lines.kept == 0
