"""A blind transfer to a queue nothing serves is refused at the desk (sixteenth pass).

A campaign with no queue configuration takes any queue name (``QueueSet.implicit``, the
inbound of before queue files): ``queue:nosuch`` answered ok and the customer left the
agent for a line no dialplan, queue file or agent knew of (docs/web.md, "Left open"). Now
a queue is served when a caller came in on it during the run or an agent of the campaign
has it as a skill; anything else is refused and the call stays with the agent."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.commands import Originate
from dialer.events import (
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    InboundCallArrived,
    TransferRequested,
)
from dialer.runner.desk import desk_action, unserved_queue_problem
from tests.dialer.engine.engine_kit import make_engine, of_type


def _connected():
    """ann (skill ``sales``) on a bridged outbound call; bob logged in without skills;
    the runner's part the desk reads (engine, clock) and what it posts."""
    engine, *_ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann", skills=frozenset({"sales:3"})))
    (originate,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(5.0, originate.call_id))
    engine.handle(CallBridged(5.05, originate.call_id, "ann"))
    engine.handle(AgentLoggedIn(6.0, "bob"))
    posted: list = []
    runner = SimpleNamespace(engine=engine, clock=lambda: 7.0, post=posted.append)
    return engine, runner, posted


def _transfer(runner, to: str) -> dict:
    return asyncio.run(desk_action(runner, {"action": "transfer", "agent": "ann",
                                            "to": to}))


def test_a_transfer_to_a_made_up_queue_is_refused_and_a_served_one_taken():
    engine, runner, posted = _connected()
    assert engine.inbound.queues.implicit
    refused = _transfer(runner, "queue:nosuch")
    assert refused == {"ok": False, "error": (
        "queue 'nosuch' is served by nothing on this campaign: no queue is configured for it "
        "(`dialer queue list`), no caller came in on it and no agent has it as a skill; the "
        "customer stays with you (transfer to an agent or a number)")}
    assert posted == []  # nothing reached the engine: the customer stays with ann
    assert "nosuch" not in engine.inbound.queues.queues  # and asking made no line of it
    assert not _transfer(runner, "queue:nosuch")["ok"]
    said = _transfer(runner, "queue:sale")["error"]
    assert said.startswith("queue 'sale' is served by nothing on this campaign; did you mean "
                           "'sales'?"), said
    # An agent's skill names a line the campaign's agents serve.
    assert _transfer(runner, "queue:sales")["ok"]
    assert posted == [TransferRequested(7.0, "ann", "queue", "sales")]


def test_a_line_a_caller_came_in_on_is_served():
    engine, runner, posted = _connected()
    assert not _transfer(runner, "queue:billing")["ok"]
    engine.handle(InboundCallArrived(6.5, "in-1", "billing", "+13125550100"))
    assert _transfer(runner, "queue:billing")["ok"]
    assert [event.target for event in posted] == ["billing"]


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True))
def test_a_queue_is_served_exactly_when_a_caller_or_a_skill_names_it(name):
    """Invariant (implicit queues): refused unless a caller came in on it or an agent has
    the skill; never refused once either holds."""
    engine, *_ = make_engine()
    engine.handle(AgentLoggedIn(0.0, "ann", skills=frozenset({"sales"})))
    known = name in ("sales",)
    assert (unserved_queue_problem(engine, name) is None) == known
    engine.handle(InboundCallArrived(1.0, "in-1", name, "+13125550100"))
    assert unserved_queue_problem(engine, name) is None
