"""Speed of the pacing mathematics, printed (run: python benchmarks/bench_pacing.py).

Targets (issue 2 and the simulator's needs):
* one predictive decision for 500 agents and 2,000 ringing calls: median < 2 ms, p99 < 5 ms;
* 100 agents / 100 ringing: ≤ 40 µs (the simulator decides once per virtual second: a
  30-day, 100-agent, 8 h/day run is 864,000 decisions);
* Erlang formulas at 5,000 agents / 4,000 Erlangs: well under a millisecond.

Decisions are timed on advancing snapshots (``now`` moves 1 s per decision, as in a campaign)
with the wall clock, and the total CPU time of the process is printed beside it: on a shared
machine the wall clock includes waiting for a core. ``reference`` times one small numpy
addition, to compare machines and loads.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace

from pacing_models.erlang import erlang_a, erlang_b, erlang_c_measures
from pacing_models.interface import AttemptResult, PacingState
from pacing_models.predictive import PredictivePolicy


def trained_policy(seed: int = 1) -> PredictivePolicy:
    rng = random.Random(seed)
    policy = PredictivePolicy()
    at = 0.0
    for _ in range(2000):
        at += 0.5
        u = rng.random()
        if u < 0.2:
            policy.observe_attempt(AttemptResult.LIVE, rng.lognormvariate(2.1, 0.4), at)
        elif u < 0.3:
            policy.observe_attempt(AttemptResult.MACHINE, rng.lognormvariate(2.1, 0.4), at)
        elif u < 0.35:
            policy.observe_attempt(AttemptResult.BUSY, 3.0, at)
        else:
            policy.observe_attempt(AttemptResult.NO_ANSWER, 25.0, at)
    for _ in range(500):
        policy.observe_handle(rng.lognormvariate(5.0, 0.5), 15.0, at)
    return policy


def make_states(agents: int, ringing: int, count: int, seed: int = 2) -> list[PacingState]:
    rng = random.Random(seed)
    states = []
    for i in range(count):
        free = rng.randint(0, max(1, agents // 20))
        wrapping = rng.randint(0, max(1, agents // 10))
        busy = agents - free - wrapping
        states.append(
            PacingState(
                now=10_000.0 + i,
                agents_free=free,
                # ages of calls in progress: a uniform fraction of a talk-time draw, so the
                # snapshot is consistent with the fitted law (the policy checks that)
                busy_elapsed=tuple(
                    rng.random() * rng.lognormvariate(5.0, 0.5) for _ in range(busy)
                ),
                wrap_elapsed=tuple(rng.uniform(0.0, 15.0) for _ in range(wrapping)),
                ringing_elapsed=tuple(rng.uniform(0.0, 25.0) for _ in range(ringing)),
                live_answers_in_window=20_000 + 3 * i,
                abandons_in_window=400 + i // 20,
                answered_waiting=rng.randint(0, 2),
                agents_logged_in=agents,
            )
        )
    return states


def time_decisions(policy: PredictivePolicy, states: list[PacingState], rounds: int) -> list[float]:
    for state in states:  # warm the lookup tables and caches
        decision = policy.decide(state)
        assert "not yet trustworthy" not in decision.explanation, decision.explanation
    samples = []
    cpu = time.process_time()
    for round_ in range(rounds):
        shift = (round_ + 1) * len(states)
        for state in [replace(s, now=s.now + shift) for s in states]:
            start = time.perf_counter()
            policy.decide(state)
            samples.append(time.perf_counter() - start)
    cpu_each = (time.process_time() - cpu) / len(samples)
    print(f"    (CPU time per decision, whole loop: {cpu_each * 1e6:.1f} µs)")
    return samples


def report(label: str, samples: list[float], median_target: float, p99_target: float) -> None:
    ordered = sorted(samples)
    median = statistics.median(ordered) * 1e3
    p99 = ordered[int(0.99 * (len(ordered) - 1))] * 1e3
    ok = "OK" if median < median_target and p99 < p99_target else "MISSED"
    print(
        f"{label:<44} median {median * 1e3:8.1f} µs   p99 {p99 * 1e3:8.1f} µs   "
        f"(target median < {median_target * 1e3:.0f} µs, p99 < {p99_target * 1e3:.0f} µs) {ok}"
    )


def time_call(label: str, call, repeat: int = 200) -> None:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    print(f"{label:<44} median {statistics.median(samples) * 1e6:8.1f} µs")


def main() -> None:
    policy = trained_policy()
    print("predictive pacing decision (one core, includes building the PacingState arrays):")
    report("500 agents, 2,000 ringing", time_decisions(policy, make_states(500, 2000, 40), 25),
           2.0, 5.0)
    report("100 agents, 100 ringing", time_decisions(policy, make_states(100, 100, 200), 25),
           0.04, 0.1)
    report("50 agents, 200 ringing", time_decisions(policy, make_states(50, 200, 200), 25),
           0.04, 0.1)
    report("10 agents, 30 ringing", time_decisions(policy, make_states(10, 30, 200), 25),
           0.04, 0.1)
    import numpy as np

    small = np.zeros((18, 26))
    time_call("reference: 18×26 numpy addition", lambda: small + small, repeat=2000)
    print("queueing formulas:")
    time_call("erlang_b(5000, 4000)", lambda: erlang_b(5000, 4000.0))
    time_call("erlang_c_measures(5000, 4000, 180, 20)",
              lambda: erlang_c_measures(5000, 4000.0, 180.0, 20.0))
    time_call("erlang_a(5000, 4000, 180, patience 120)",
              lambda: erlang_a(5000, 4000.0, 180.0, 120.0, 20.0))
    time_call("erlang_b(3000, 3999) (recursion branch)", lambda: erlang_b(3000, 3999.0))


if __name__ == "__main__":
    main()
