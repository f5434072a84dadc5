"""Inbound calls through the engine's scheduler reproduce queueing theory.

A small discrete-event world sends Poisson arrivals (``InboundCallArrived``), exponential talk
times and, for Erlang A, exponential patience (``CallHungUp`` while queued). With no wrap-up
the agent pool is an M/M/n (+M) queue, so the share of callers who wait must match Erlang C,
and the share who abandon must match Erlang A (pacing_models.erlang).
"""

from __future__ import annotations

import heapq
import random
from itertools import count

import pytest
from engine_kit import make_engine

from dialer.commands import AttemptFinished, Bridge, CallOutcome
from dialer.events import AgentLoggedIn, CallBridged, CallHungUp, InboundCallArrived
from pacing_models.erlang import erlang_a, erlang_c


def _run(agents: int, traffic: float, aht: float, patience: float | None, calls: int, seed: int):
    rng = random.Random(seed)
    engine, *_ = make_engine(n_leads=0, wrap_up_timeout=0.0)
    for i in range(agents):
        engine.handle(AgentLoggedIn(0.0, f"a{i}"))
    heap: list = []
    seq = count()
    arrival_rate = traffic / aht
    t = 0.0
    for i in range(calls):
        t += rng.expovariate(arrival_rate)
        heapq.heappush(heap, (t, next(seq), InboundCallArrived(t, f"in{i}")))
        if patience is not None:
            give_up = t + rng.expovariate(1 / patience)
            heapq.heappush(heap, (give_up, next(seq), ("patience", f"in{i}")))
    served: set[str] = set()
    arrived: dict[str, float] = {}
    waited = abandoned = 0
    while heap:
        now, _, item = heapq.heappop(heap)
        if isinstance(item, tuple):
            call_id = item[1]
            if call_id in served:
                continue
            event = CallHungUp(now, call_id)
        else:
            event = item
            if isinstance(event, InboundCallArrived):
                arrived[event.call_id] = now
        for command in engine.handle(event):
            if isinstance(command, Bridge):
                served.add(command.call_id)
                if command.at > arrived[command.call_id]:
                    waited += 1
                heapq.heappush(heap, (now, next(seq), CallBridged(now, command.call_id,
                                                                   command.agent_id)))
                end = now + rng.expovariate(1 / aht)
                heapq.heappush(heap, (end, next(seq), CallHungUp(end, command.call_id)))
            elif (
                isinstance(command, AttemptFinished)
                and command.outcome is CallOutcome.QUEUE_ABANDONED
            ):
                abandoned += 1
                waited += 1
    return waited / calls, abandoned / calls


# Successive callers' waits are strongly correlated (busy periods), so the binomial standard
# error understates the spread about fivefold at these loads. Across seeds the estimates stay
# within ±0.025 of Erlang C's P(wait) and ±0.006 of Erlang A's P(abandon); the bounds below
# leave room for that and still fail for any systematic routing error of a few percent.
WAIT_TOLERANCE = 0.035
ABANDON_TOLERANCE = 0.012


def test_probability_of_waiting_matches_erlang_c() -> None:
    calls = 12_000
    p_wait, p_abandon = _run(agents=5, traffic=3.5, aht=60.0, patience=None, calls=calls, seed=7)
    expected = erlang_c(5, 3.5)
    assert p_abandon == 0.0
    assert p_wait == pytest.approx(expected, abs=WAIT_TOLERANCE)


def test_abandonment_matches_erlang_a() -> None:
    calls = 12_000
    p_wait, p_abandon = _run(agents=5, traffic=5.0, aht=60.0, patience=30.0, calls=calls, seed=3)
    expected = erlang_a(5, 5.0, 60.0, 30.0)
    assert p_wait == pytest.approx(expected.p_wait, abs=WAIT_TOLERANCE)
    assert p_abandon == pytest.approx(expected.p_abandon, abs=ABANDON_TOLERANCE)
