"""How high can any non-anticipating pacing policy go? The constrained-MDP bound (issue 16).

    python benchmarks/pacing_bound.py [--agents 10,20] [--live 0.1,0.2] [--talk 90,180]
        [--models 1x1,1x2,2x1,age2,2xage2] [--hang-up at_threshold,never,choice]
        [--hang-up-after 15] [--replications 1] [--no-simulate] [--wait-mean S]
        [--predictive-params hang_up_after=none]

Per cell (the pacing suite's laws, benchmarks/pacing_quality.py) and per Markov model
``MxK`` (M Erlang phases for an agent's handle time, talk + wrap-up; K Erlang phases for a
call's ring time; docs/pacing.md, "An upper bound for non-anticipating policies"), or
``ageK`` / ``MxageK`` (``pacing_models.bound_age``: K Erlang age phases over the first
``--hang-up-after`` seconds of ringing, then an old phase to the 25-s timeout, the suite's
lognormal answer law as a hazard per age phase, and each ``--hang-up`` mode: the old calls
``never`` hung up, hung up ``at_threshold`` as the engine does, or at the policy's
``choice``; model column ``age K/mode``), prints:

* ``bound``: the optimal long-run busy share of the chain under the 3 % limit — the share of
  the practical limit the best policy that knows the past (the chain's whole state) reaches
  on that model. Exact linear program (HiGHS) for small chains, else the least Lagrangian
  upper bound from relative value iteration (``pacing_models.bound``); ``lp``/``dual`` says
  which. ``day``: the bound on one 8-hour cold-start day's expected share
  (``pacing_models.bound.day_bound``: the Lagrangian bound at its best λ plus what a
  start from empty and the calls still ringing at closing can add, over the shift).
* ``predictive``: predictive's share of the practical limit / worst window on the suite's
  cell (replications 0..n−1, mean), as the suite measures it;
* ``pred. markov``: predictive on the Markov model's own laws in the simulator (ring time
  gamma = Erlang-K of mean 9 s, handle time gamma = Erlang-M of mean talk + 15 s with no
  separate wrap-up, so the practical limit is 1 and the share is the busy share);
* ``gap``: day bound − predictive on the suite's cell.

Then the machine's load average and the wall time. ``--no-simulate`` skips the simulator.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import math
import os
import pathlib
import re
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SHIFT_SECONDS = 8 * 3600.0
LP_STATES = 3000
"""Chains up to this size go to the exact LP; larger ones to the Lagrangian bound (HiGHS
took 291 s on a 7,000-state chain whose value iteration takes 35 s)."""


def _max_ringing(agents: int, live: float) -> int:
    """Enough ringing calls that the cap never binds: 0.4 answers per agent at the live
    share, at least 25 (checked: the LP's mass at the cap; at ten agents, live 0.10, a cap
    of 60 gives the same optimum as 40 to 1e-5)."""
    return max(25, math.ceil(0.4 * agents / live))


def _models(parser: argparse.ArgumentParser, text: str) -> list[tuple[int, int, bool]]:
    """(handle phases, ring or age phases, age-aware) per ``MxK``, ``ageK`` or ``MxageK``."""
    models = []
    for part in text.split(","):
        found = re.fullmatch(r"(?:(\d+)x)?(age)?(\d+)", part.strip())
        if (found is None or (found[1] is None and found[2] is None)
                or int(found[1] or 1) < 1 or int(found[3]) < 1):
            parser.error(f"--models: {part!r} is not MxK, ageK or MxageK (handle phases x "
                         "ring or age phases, ≥ 1)")
        models.append((int(found[1] or 1), int(found[3]), found[2] is not None))
    return models


def _hang_ups(parser: argparse.ArgumentParser, text: str) -> list:
    from pacing_models.bound_age import HangUp

    modes = []
    for part in text.split(","):
        try:
            modes.append(HangUp(part.strip()))
        except ValueError:
            parser.error(f"--hang-up: {part.strip()!r} is not one of "
                         f"{', '.join(h.value for h in HangUp)}")
    return modes


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def _quality_suite():
    path = pathlib.Path(__file__).resolve().parent / "pacing_quality.py"
    spec = importlib.util.spec_from_file_location("pacing_quality_for_bound", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _markov_scenario(suite, agents: int, live: float, talk: float,
                     model: tuple[int, int, bool]):
    """The suite's cell with the chain's laws (Erlang ring and handle times, no wrap)."""
    from simulations.scenario import scenario_from_tables

    handle_phases, ring_phases, _ = model
    handle = talk + suite.WRAP

    def erlang(mean: float, phases: int) -> dict:
        if phases == 1:
            return {"dist": "exponential", "mean": mean}
        return {"dist": "gamma", "mean": mean, "sd": mean / phases ** 0.5}

    return scenario_from_tables({
        "campaign": {"agents": agents, "shift_hours": 8, "days": 1,
                     "abandon_limit": suite.LIMIT, "connect_window": 2.0,
                     "decision_interval": 1.0},
        "callees": {"live_answer": live, "machine": 0.0, "busy": 0.05,
                    "time_to_answer": erlang(9.0, ring_phases), "no_answer_timeout": 25,
                    "busy_time": 4, "patience": suite.PATIENCE},
        "agents": {"talk": erlang(handle, handle_phases),
                   "wrap": {"dist": "fixed", "value": 0.0}, "machine_handle_time": 5.0},
        "amd": {},
    })


def _predictive(scenario, replications: int,
                params: dict) -> tuple[float, float, float]:
    """(mean share of the practical limit, worst window, CPU seconds) of predictive."""
    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    started = time.process_time()
    shares, worst = [], 0.0
    for replication in range(replications):
        tally = Simulation(scenario, "predictive", seed=1, replication=replication,
                           params=params).run()
        m = run_metrics(scenario, tally)
        shares.append(m["talk_fraction"] / practical_talk_limit(scenario))
        worst = max(worst, m["max_window_abandon_rate"])
    return statistics.fmean(shares), worst, time.process_time() - started


def _bound(cell, high: float = 80.0):
    """(optimal busy share, method, states, multiplier or mass at the caps, the least
    Lagrangian bound, which ``day_bound`` needs)."""
    from pacing_models.bound import lagrangian_minimum, solve
    from pacing_models.bound_chain import BoundChain

    states = len(BoundChain(cell))
    best = lagrangian_minimum(cell, high=high)
    if states <= LP_STATES:
        found = solve(cell)
        caps = max(found.ring_cap_mass, found.launch_cap_mass, found.waiting_cap_mass)
        return found.busy_share, "lp", states, caps, best
    return best.upper, "dual", states, best.multiplier, best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", default="10")
    parser.add_argument("--live", default="0.1,0.2")
    parser.add_argument("--talk", default="90,180")
    parser.add_argument("--models", default="1x1")
    parser.add_argument("--hang-up", default="at_threshold,never",
                        help="for age models: at_threshold, never, choice (comma-separated)")
    parser.add_argument("--hang-up-after", type=float, default=15.0,
                        help="for age models: the age (s) past which a call may be hung up")
    parser.add_argument("--age-lambda", type=float, default=80.0,
                        help="the largest multiplier the Lagrangian search tries")
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--no-simulate", action="store_true")
    parser.add_argument("--predictive-params", default="",
                        help="predictive's parameters in both simulated columns, K=V,... "
                             "(e.g. hang_up_after=none: no shedding, as in the chain)")
    parser.add_argument("--wait-mean", type=float, default=None,
                        help="mean wait of an answered person with no agent (default "
                             "E[min(connect window, patience)] = 1.65 s)")
    args = parser.parse_args(argv)
    models = _models(parser, args.models)
    hang_ups = _hang_ups(parser, args.hang_up)
    if args.replications < 1:
        parser.error("--replications: at least 1")
    if not 0 < args.hang_up_after < 25:
        parser.error("--hang-up-after: between 0 and the 25-s ring timeout")
    if args.age_lambda <= 0:
        parser.error("--age-lambda: above 0")

    from pacing_models.bound import day_bound
    from pacing_models.bound_age import suite_age_cell
    from pacing_models.bound_chain import suite_cell

    suite = None if args.no_simulate else _quality_suite()
    params = {}
    if args.predictive_params:
        from pacing_models.errors import InvalidParameterError
        from pacing_models.params import parse_policy_spec

        try:
            params = dict(parse_policy_spec(f"predictive:{args.predictive_params}").params)
        except InvalidParameterError as error:
            parser.error(f"--predictive-params: {error}")
    wall = time.perf_counter()
    header = (f"{'agents':>6} {'live':>5} {'talk':>5} {'model':<18} {'states':>7} {'how':>4} "
              f"{'bound':>7} {'day':>7} {'predictive':>16} {'pred. markov':>16} {'gap':>7} "
              f"{'cap/λ':>8} {'s':>6}")
    print(header, flush=True)
    for agents in (int(a) for a in args.agents.split(",")):
        for live in _floats(args.live):
            for talk in _floats(args.talk):
                measured = "-"
                suite_share = None
                if suite is not None:
                    scenario = suite._scenario(agents, live, talk, (8, 1))
                    suite_share, worst, _ = _predictive(scenario, args.replications, params)
                    measured = f"{suite_share:.4f} / {worst:.2%}"
                for model in models:
                    for hang_up in (hang_ups if model[2] else [None]):
                        started = time.perf_counter()
                        extra = {} if args.wait_mean is None else {"wait_mean": args.wait_mean}
                        if model[2]:
                            cell = suite_age_cell(agents, live, talk, age_phases=model[1],
                                                  hang_up=hang_up, handle_phases=model[0],
                                                  threshold=args.hang_up_after,
                                                  max_ringing=_max_ringing(agents, live))
                            name = (f"{model[0]}xage{model[1]}/{hang_up.value}"
                                    if model[0] > 1 else f"age{model[1]}/{hang_up.value}")
                        else:
                            cell = suite_cell(agents, live, talk, handle_phases=model[0],
                                              ring_phases=model[1],
                                              max_ringing=_max_ringing(agents, live))
                            name = f"{model[0]}x{model[1]}"
                        if extra:
                            cell = dataclasses.replace(cell, **extra)
                        value, how, states, aside, best = _bound(cell, args.age_lambda)
                        day = day_bound(cell, best, SHIFT_SECONDS)
                        markov = "-"
                        if suite is not None and not model[2]:
                            share, worst, _ = _predictive(
                                _markov_scenario(suite, agents, live, talk, model),
                                args.replications, params)
                            markov = f"{share:.4f} / {worst:.2%}"
                        gap = f"{day - suite_share:+.4f}" if suite_share is not None else "-"
                        print(f"{agents:>6} {live:>5.2f} {talk:>5g} {name:<18} "
                              f"{states:>7} {how:>4} {value:>7.4f} {day:>7.4f} "
                              f"{measured:>16} {markov:>16} {gap:>7} {aside:>8.2g} "
                              f"{time.perf_counter() - started:>6.1f}", flush=True)
    load = os.getloadavg()
    print(f"wall {time.perf_counter() - wall:.0f} s, load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
