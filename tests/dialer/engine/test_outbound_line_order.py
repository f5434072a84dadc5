"""The line of answered outbound calls is read at its head only (``expired_outbound``,
``next_outbound_deadline``), so it must stay in deadline order whatever order calls are
lined up in. A call back in line after its reserved agent was lost keeps its own connect
window, which closes before those of calls answered since; put at the end, its window
closed unseen and the person waited past the two seconds without the safe-harbour message
(47 CFR 64.1200(a)(7)(i)). Found by the stateful engine test (test_engine_invariants.py,
run by test_deadline_floor.py) on a CI run, 2026-12-07; the sequence is replayed below."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_invariants import EngineMachine

from dialer.engine.routing import Work, WorkKind
from dialer.engine.scheduler import AgentPool


@settings(max_examples=200, deadline=None)
@given(
    deadlines=st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]), min_size=1,
                       max_size=12),
    switches=st.integers(1, 3),
    cancel=st.lists(st.booleans(), max_size=12),
    now=st.sampled_from([0.0, 0.75, 1.0, 2.0, 2.9, 5.0]),
)
def test_the_head_is_always_the_earliest_deadline(
    deadlines: list[float], switches: int, cancel: list[bool], now: float,
) -> None:
    """Calls lined up in any order of deadlines, some withdrawn: the line names the earliest
    deadline still waiting, and expires exactly the waiting calls whose deadline is past."""
    ids = [f"fs{i}" for i in range(switches)]
    pool = AgentPool(switch_ids=ids)
    works = []
    for i, deadline in enumerate(deadlines):
        work = Work(WorkKind.OUTBOUND, f"c{i}", 0.0, deadline=deadline,
                    switch_id=ids[i % switches])
        assert pool.submit(work, 0.0) is None  # nobody is logged in: it waits
        works.append(work)
    withdrawn = {w.work_id for w, c in zip(works, cancel, strict=False) if c}
    for work_id in sorted(withdrawn):
        pool.lines.cancel(work_id)
    waiting = [w for w in works if w.work_id not in withdrawn]
    assert pool.lines.next_outbound_deadline() == min(
        (w.deadline for w in waiting), default=None)
    expired = pool.lines.expired_outbound(now)
    assert {w.work_id for w in expired} == {w.work_id for w in waiting if w.deadline <= now}
    assert pool.lines.next_outbound_deadline() == min(
        (w.deadline for w in waiting if w.deadline > now), default=None)


class _Draw:
    def __init__(self, value: str) -> None:
        self.value = value

    def draw(self, _strategy: object) -> str:
        return self.value


def _checked(machine: EngineMachine) -> None:
    machine.books_match_states()
    machine.live_answers_served_within_window()
    machine.no_agent_on_two_calls()
    machine.reserved_agents_hold_live_work()


def test_a_call_back_in_line_gets_its_message_within_its_own_window() -> None:
    """The stateful test's find: c1-1 is answered (5.15 s) with no parked leg, an agent is
    reserved and then lost with the switch's legs; it lines up again behind c1-2, answered a
    second later. Its message is due at 6.85 s (the window's end less the latency budget);
    the engine sent none until c1-2's, at 7.85 s."""
    m = EngineMachine()
    m.start(amd=False, window=2.0, routing="longest_idle", switches=2, staff=[None, None, 1])
    m.advance(2.10010594712351)
    m.advance(3.05)
    m.answer(_Draw("c1-1"), False)
    EngineMachine.inbound(m, priority=0, on=None)
    m.advance(1.0)
    m.login("a1", False, None)
    m.answer(_Draw("c1-2"), False)
    m.switch_goes_down(1, True)
    _checked(m)
    m.advance(1.0)
    _checked(m)
    assert m.served_at["c1-1"] <= m.live_from["c1-1"] + m.window
