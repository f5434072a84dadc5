"""Micro-benchmark of the sans-I/O engine: events handled per second, dial attempts per second.

A minimal discrete-event world (an event heap, a seeded callee model, agents without phone
legs) drives ``dialer.engine.Engine`` with a progressive policy, as the simulator does.
Prints the engine's own throughput (time inside ``handle``/``tick`` only) and the whole
loop's, then the same dialer written as one minimal loop (the same callee model, the same
overdialling rule, a two-second connect window, no engine: ``reference``), so the price of
the engine, which the live runner and the simulator share, shows beside what the bare
decisions cost. Run: ``python benchmarks/bench_engine.py [--attempts N] [--agents A]``.
"""

from __future__ import annotations

import argparse
import heapq
import os
import random
import time
from collections import deque
from itertools import count

from dialer.commands import Bridge, Hangup, Originate, PlayMessage
from dialer.engine import CampaignConfig, Engine
from dialer.events import (
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    CallDisposed,
    CallHungUp,
    CallRinging,
    SwitchUp,
)
from dialer.hangup import HangupCause
from dialer.ports import AllowAllGate, DialTarget
from pacing_models.interface import PacingDecision, PacingState


class Progressive:
    name = "progressive"

    def decide(self, state: PacingState) -> PacingDecision:
        # Overdial on purpose (about 6 lines per free or soon-free agent) so that the
        # benchmark exercises the abandon path as well as the bridge path.
        lines = int(6 * (state.agents_free + len(state.wrap_elapsed)))
        n = lines - len(state.ringing_elapsed) - state.answered_waiting
        return PacingDecision(max(0, n), "bench")

    def observe_attempt(self, result, ring_seconds, at) -> None:
        pass

    def observe_handle(self, talk_seconds, wrap_seconds, at) -> None:
        pass


class Leads:
    def __init__(self) -> None:
        self._n = count()

    def next_leads(self, n: int, at: float) -> list[DialTarget]:
        numbers = [next(self._n) for _ in range(n)]
        return [DialTarget(f"L{i}", f"+1201{i:07d}", "bench") for i in numbers]

    def release(self, lead_id: str) -> None:
        pass


def run(attempts: int, agents: int, seed: int) -> int:
    rng = random.Random(seed)
    config = CampaignConfig(
        "bench", "+12015550000", ring_timeout=25.0, wrap_up_timeout=10.0, decision_interval=1.0
    )
    ids = count()
    engine = Engine(
        config, Progressive(), Leads(), AllowAllGate(), new_id=lambda: f"c{next(ids)}"
    )
    heap: list = []
    seq = count()

    def at(t: float, event) -> None:
        heapq.heappush(heap, (t, next(seq), event))

    engine_time = 0.0
    events = 0
    perf = time.perf_counter
    started = perf()
    cpu_started = time.process_time()

    def feed(out: list, now: float) -> None:
        for command in out:
            kind = type(command)
            if kind is Originate:
                u = rng.random()
                call_id = command.call_id
                at(now + 0.5, CallRinging(now + 0.5, call_id))
                if u < 0.3:
                    t = now + rng.uniform(3, 15)
                    at(t, CallAnswered(t, call_id))
                elif u < 0.4:
                    at(now + 4, CallHungUp(now + 4, call_id, HangupCause.USER_BUSY))
                else:
                    at(now + 25, CallHungUp(now + 25, call_id, HangupCause.NO_ANSWER))
            elif kind is Bridge:
                at(now, CallBridged(now, command.call_id, command.agent_id))
                end = now + rng.expovariate(1 / 60.0)
                at(end, CallHungUp(end, command.call_id))
                at(end + 5, CallDisposed(end + 5, command.agent_id, command.call_id, "done"))
            elif kind is PlayMessage or kind is Hangup:
                at(now + 3, CallHungUp(now + 3, command.call_id))

    t0 = perf()
    feed(engine.handle(SwitchUp(0.0)), 0.0)
    for i in range(agents):
        feed(engine.handle(AgentLoggedIn(0.0, f"a{i}")), 0.0)
    engine_time += perf() - t0
    now = 0.0
    while engine.dials < attempts:
        wake = engine.next_wakeup()
        if heap and (wake is None or heap[0][0] <= wake):
            now, _, event = heapq.heappop(heap)
            t0 = perf()
            out = engine.handle(event)
            engine_time += perf() - t0
            events += 1
        else:
            now = wake
            t0 = perf()
            out = engine.tick(now)
            engine_time += perf() - t0
            events += 1
        feed(out, now)
    wall = perf() - started
    cpu = time.process_time() - cpu_started
    snapshot = engine.snapshot(now)
    print(f"agents={agents} attempts={engine.dials} events+ticks={events} virtual={now:,.0f}s")
    print(f"abandon rate in window: {snapshot.abandon_rate:.3%}")
    per_event = 1e6 * engine_time / events
    print(f"engine only : {events / engine_time:,.0f} events/s, "
          f"{engine.dials / engine_time:,.0f} attempts/s, {per_event:.1f} us/event")
    print(f"whole loop  : {events / wall:,.0f} events/s, {engine.dials / wall:,.0f} attempts/s")
    # CPU time is steadier than wall time when other processes share the cores.
    print(f"whole loop  : {cpu:.2f} s CPU for {wall:.2f} s wall, "
          f"{engine.dials / cpu:,.0f} attempts per CPU second")
    return engine.dials


def reference(attempts: int, agents: int, seed: int) -> tuple[int, float]:
    """The same dialer as one minimal loop: (attempts, CPU seconds).

    The world of ``run`` without the engine: every second it launches
    ``6 × (free + wrapping agents) − ringing − waiting`` calls; a callee answers (30 %,
    after 3–15 s), is busy (10 %, 4 s) or does not answer (25 s); an answer takes the
    longest-idle free agent at once or waits for one up to the connect window (2 s), after
    which it is abandoned; talk is exponential (mean 60 s), wrap-up 5 s. No records, no
    commands, no journal, no state machines: just the decisions.
    """
    rng = random.Random(seed)
    heap: list[tuple[float, int, int, float]] = []
    seq = count()
    push, pop = heapq.heappush, heapq.heappop
    ANSWER, UNANSWERED, DECIDE, TALK_END, WRAP_END = range(5)
    free = agents
    wrapping = ringing = dials = 0
    waiting: deque[float] = deque()  # connect-window deadlines of answered calls
    push(heap, (0.0, next(seq), DECIDE, 0.0))
    started = time.process_time()
    while dials < attempts:
        now, _, kind, _ = pop(heap)
        while waiting and waiting[0] < now:
            waiting.popleft()  # abandoned: the connect window closed
        if kind == DECIDE:
            for _ in range(max(0, 6 * (free + wrapping) - ringing - len(waiting))):
                dials += 1
                ringing += 1
                u = rng.random()
                if u < 0.3:
                    push(heap, (now + rng.uniform(3, 15), next(seq), ANSWER, 0.0))
                elif u < 0.4:
                    push(heap, (now + 4, next(seq), UNANSWERED, 0.0))
                else:
                    push(heap, (now + 25, next(seq), UNANSWERED, 0.0))
            push(heap, (now + 1.0, next(seq), DECIDE, 0.0))
        elif kind == ANSWER:
            ringing -= 1
            if free:
                free -= 1
                push(heap, (now + rng.expovariate(1 / 60.0), next(seq), TALK_END, 0.0))
            else:
                waiting.append(now + 2.0)
        elif kind == UNANSWERED:
            ringing -= 1
        elif kind == TALK_END:
            wrapping += 1
            push(heap, (now + 5, next(seq), WRAP_END, 0.0))
        else:  # WRAP_END: the agent takes the next waiting answer, or is free
            wrapping -= 1
            if waiting:
                waiting.popleft()
                push(heap, (now + rng.expovariate(1 / 60.0), next(seq), TALK_END, 0.0))
            else:
                free += 1
    return dials, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"load average (1 min) before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    cpu = time.process_time()
    dials = run(args.attempts, args.agents, args.seed)
    cpu = time.process_time() - cpu
    bare, bare_cpu = reference(args.attempts, args.agents, args.seed)
    print(f"reference   : {bare / bare_cpu:,.0f} attempts per CPU second (the same dialer as "
          "one minimal loop, no engine)")
    print(f"price of the engine: {(cpu / dials) * 1e6:.1f} us of CPU per attempt with it, "
          f"{(bare_cpu / bare) * 1e6:.1f} us without ({(cpu / dials) / (bare_cpu / bare):.0f}x)")
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
