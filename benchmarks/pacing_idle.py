"""Where predictive's agent time goes: idle time by the reason of each decision, per hour,
and the abandons by kind, on one suite cell (issue 16; docs/pacing.md, "Where the talk goes
with AMD").

    python benchmarks/pacing_idle.py [--agents 50] [--live 0.10] [--talk 180]
        [--machine 0.15] [--amd] [--replication 0] [--param k=v ...]

Runs benchmarks/pacing_quality.py's scenario (cold start, one 8-hour day, ground truth) with
the predictive policy and wraps its ``decide``: each decision's free agents, times the
seconds to the next decision, are idle agent time, filed under the decision's reason (warm-up,
the young window's look-ahead for the free agents or on the whole forecast, the budget spent,
the answers paying for no abandon yet, the model's own decisions). The simulator's ground
truth files every abandoned person: hung up on by AMD (a false positive), gone before AMD's
verdict, or left without an agent (the model's). The model's expected abandons (the
decisions' ``expected_abandons``) are summed per hour beside the last. Where the budget goes
over the day: each hour's live answers, its own abandonment rate and the window's (the day
so far) at its end.

``--by-state`` adds, for the model's decisions after the first hour, the idle agent time by
the state the decision saw: the agents free now and the answers expected from every call in
flight by the ring timeout (the forecast's demand with no agent given), rounded down to
halves, and whether the decision launched calls.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

REASONS = (("warming", "warm-up"), ("free agent(s) only", "young: free agents"),
           ("young window", "young: forecast"), ("budget spent", "spent"),
           ("pay for no abandon", "no slack"), ("outlast", "censored"), ("aim", "model"))


def _reason(explanation: str) -> str:
    return next((name for key, name in REASONS if key in explanation), "other")


def main() -> None:
    import pacing_quality as pq

    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics
    from simulations.streams import LIVE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--live", type=float, default=0.10)
    parser.add_argument("--talk", type=float, default=180.0)
    parser.add_argument("--machine", type=float, default=0.15)
    parser.add_argument("--amd", action="store_true")
    parser.add_argument("--replication", type=int, default=0)
    parser.add_argument("--by-state", action="store_true",
                        help="idle time of model decisions after hour 0 by free agents and "
                        "expected answers in flight")
    parser.add_argument("--param", action="append", default=[],
                        help="a predictive parameter, k=v (numbers)")
    args = parser.parse_args()
    params = {}
    for item in args.param:
        key, _, value = item.partition("=")
        try:
            params[key] = float(value)
        except ValueError:
            parser.error(f"--param {item}: the value must be a number")
    machines = {"machine": args.machine, "amd": {}, "patience": pq.PATIENCE}
    if args.amd:
        machines["amd"] = {"enabled": True, "detect_time": 3.0, "false_positive": 0.02,
                           "false_negative": 0.1, "silence_before_verdict": 0.8}
        machines["patience"] = pq.AMD_PATIENCE
    scenario = pq._scenario(args.agents, args.live, args.talk, (8.0, 1), machines)
    simulation = Simulation(scenario, "predictive", seed=1, replication=args.replication,
                            params=params)
    policy = simulation.engine.policy
    idle: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    expected: collections.Counter = collections.Counter()
    last: list = [None]
    decide = policy.decide
    by_state: collections.Counter = collections.Counter()
    state_at: dict[float, tuple] = {}
    """The state key of each model decision that launched calls, by its instant."""
    abandoned_by_state: collections.Counter = collections.Counter()
    answered_by_state: collections.Counter = collections.Counter()
    dials_by_state: collections.Counter = collections.Counter()
    dialed_at: dict[int, float] = {}
    """Each call's dial instant, by the id of its SimCall (``_finish`` gets the object)."""

    def state_key(state, decision):
        """(free agents, expected answers in flight by halves, calls launched?) of a model
        decision after the first hour, else None."""
        from pacing_models.forecast import Forecast
        from pacing_models.predictive import _in_progress

        if not (args.by_state and state.now >= 3600.0
                and _reason(decision.explanation) == "model"):
            return None
        elapsed, ringing, verdict_end, _ = _in_progress(state)
        demand = Forecast.build(policy._tables(state), 0, state.answered_waiting,
                                elapsed[:verdict_end], ringing, 0, verdict_end - ringing).gap
        expected_answers = float(demand[-1]) if demand.size else 0.0
        return (min(state.agents_free, 6), min(int(expected_answers * 2.0) / 2.0, 4.0),
                decision.calls_to_launch > 0)

    def traced(state):
        decision = decide(state)
        if last[0] is not None:
            at, free, reason, key = last[0]
            idle[int(at // 3600)][reason] += free * (state.now - at)
            if key is not None:
                by_state[key] += free * (state.now - at)
        expected[int(state.now // 3600)] += decision.expected_abandons or 0.0
        key = state_key(state, decision)
        last[0] = (state.now, state.agents_free, _reason(decision.explanation), key)
        if key is not None and key[2]:
            state_at[state.now] = key
            dials_by_state[key[:2]] += decision.calls_to_launch
        return decision

    policy.decide = traced
    kinds: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    finish = simulation._finish
    detect = scenario.amd.detect_time if scenario.amd.enabled else 0.0

    originate = simulation._originate

    def originated(command):
        originate(command)
        call = simulation.calls.get(command.call_id)
        if call is not None:
            dialed_at[id(call)] = command.at

    if args.by_state:
        from dialer.commands import Originate

        simulation._actions[Originate] = originated

    def finished(call, at):
        if (not call.ended and not call.inbound and call.kind == LIVE
                and call.answered_at is not None and not call.bridged):
            kind = ("AMD false positive" if call.classed_machine else
                    "gone before the verdict" if at < call.answered_at + detect else
                    "no agent (the model's)")
            kinds[int(at // 3600)][kind] += 1
            if args.by_state:
                dial = dialed_at.get(id(call))
                abandoned_by_state[state_at.get(dial, ("other",))[:2]] += 1
        finish(call, at)

    simulation._finish = finished
    answers: collections.Counter = collections.Counter()
    answer = simulation._answer

    def answered(at, call_id):
        call = simulation.calls.get(call_id)
        if call is not None and not call.ended and call.kind == LIVE:
            answers[int(at // 3600)] += 1
            if args.by_state:
                answered_by_state[state_at.get(dialed_at.get(id(call)), ("other",))[:2]] += 1
        answer(at, call_id)

    simulation._answer = simulation._answer_action = answered
    started = time.process_time()
    tally = simulation.run()
    metrics = run_metrics(scenario, tally)
    live = metrics["live_answers"]
    print(f"{args.agents} agents, live {args.live:g}, talk {args.talk:g} s, machines "
          f"{args.machine:g}, AMD {'on' if args.amd else 'off'}, replication "
          f"{args.replication}, params {params}: share of the practical limit "
          f"{metrics['talk_fraction'] / practical_talk_limit(scenario):.4f}, worst window "
          f"{metrics['max_window_abandon_rate']:.2%}, {live} live answers")
    hour = args.agents * 3600.0
    names = [name for _, name in REASONS] + ["other"]
    used = [n for n in names if any(idle[h][n] for h in idle)]
    every = sorted({k for h in kinds for k in kinds[h]})
    print("hour  idle  " + "  ".join(f"{n:>18}" for n in used) + "   expected(model)  "
          + "  ".join(every) + "  answers  hour's rate  window at hour's end")
    seen = abandoned = 0
    for h in sorted(set(idle) | set(kinds)):
        seen += answers[h]
        gone = sum(kinds[h].values())
        abandoned += gone
        print(f"{h:>4}  {sum(idle[h].values()) / hour:.3f}  "
              + "  ".join(f"{idle[h][n] / hour:>18.3f}" for n in used)
              + f"   {expected[h]:>15.1f}  "
              + "  ".join(f"{kinds[h][k]:>{len(k)}}" for k in every)
              + f"  {answers[h]:>7}  {gone / max(1, answers[h]):>11.2%}"
              + f"  {abandoned / max(1, seen):>20.2%}")
    day = hour * scenario.campaign.shift_hours
    total = collections.Counter()
    for h in idle:
        total.update(idle[h])
    print("day   " + f"{sum(total.values()) / day:.3f}  "
          + "  ".join(f"{total[n] / day:>18.3f}" for n in used)
          + f"   {sum(expected.values()):>15.1f}  "
          + "  ".join(f"{sum(kinds[h][k] for h in kinds):>{len(k)}}" for k in every))
    print("abandons per live answer: " + ", ".join(
        f"{k} {sum(kinds[h][k] for h in kinds) / max(1, live):.3%}" for k in every))
    if args.by_state:
        _print_by_state(by_state, day, dials_by_state, answered_by_state,
                        abandoned_by_state)
    print(f"CPU {time.process_time() - started:.1f} s, load average "
          f"{os.getloadavg()[0]:.1f}")


def _print_by_state(by_state: collections.Counter, day: float, dials: collections.Counter,
                    answered: collections.Counter, abandoned: collections.Counter) -> None:
    """Idle share of the day's agent time by (free agents, expected answers in flight), and
    the calls dialed, their live answers and the people abandoned by the state of the
    decision that dialed them."""
    total = sum(by_state.values())
    print(f"model decisions after hour 0, idle by state ({total / day:.3f} of the day's "
          "agent time): free agents (6 = 6 or more) x answers expected from the calls in "
          "flight (halves, 4 = 4 or more); launched / launched none")
    answers = sorted({key[1] for key in by_state})
    print("free  " + "  ".join(f"{a:>13.1f}" for a in answers) + "          all")
    for free in sorted({key[0] for key in by_state if key[0] > 0}):
        cells = [f"{by_state[(free, a, True)] / day:.3f}/{by_state[(free, a, False)] / day:.3f}"
                 for a in answers]
        row = sum(v for k, v in by_state.items() if k[0] == free)
        print(f"{free:>4}  " + "  ".join(f"{c:>13}" for c in cells) + f"  {row / day:>11.3f}")
    launched = sum(v for k, v in by_state.items() if k[2])
    print(f"launched calls: {launched / day:.3f}, launched none: "
          f"{(total - launched) / day:.3f}")
    print("by the state of the decision that dialed them (free agents, answers expected in "
          "flight; 'other': hour 0 or not the model's): dials, live answers, abandoned, "
          "abandoned per live answer")
    for key, count in sorted(answered.items(), key=lambda kv: -kv[1]):
        if count >= 20 or abandoned[key]:
            print(f"  {key!s:>12}: {dials[key]:>6} {count:>5} {abandoned[key]:>4} "
                  f"{abandoned[key] / count:>7.2%}")


if __name__ == "__main__":
    main()
