"""How much of predictive's idle agent time is uncertainty it could not remove? Oracle runs.

    python benchmarks/pacing_oracle.py [--agents 10,50] [--live 0.10,0.20,0.35]
        [--talk 90,180,300] [--replications 1] [--workers 2]
        [--oracles talk,answers,answers@2]

Runs each suite cell (benchmarks/pacing_quality.py's scenario: cold start, one 8-hour day,
ground truth) on the same common random numbers: the predictive policy as it is, and the
same policy told one truth it cannot know (``--oracles``, one column each):

* ``talk``: for every agent on a call or in wrap-up, the exact second that agent will be free
  again (the simulated talk and wrap-up times, drawn before the call is bridged). The
  oracle's supply is a step function with no variance: ``P(free by t) = 1`` once the
  agent's time is up.
* ``answers``: for every call already ringing, its fate as the simulator drew it at the dial:
  answered by a person at a known second, or never. Its demand is then a step function with
  no variance. The calls the policy dials now stay uncertain: no dialer knows who answers
  before it dials.
* ``answers@H`` (H whole seconds, 1–10): the same fates told only H seconds ahead: a call a
  person answers within H s at its known second, a call that fails within H s as never
  answered, every other call as the model reads a call still ringing H s from now. What a
  controller that waits H s for the calls' outcomes would learn, known now: it bounds what
  such waiting could buy (docs/pacing.md, "A finer decision clock, and waiting for the
  calls' outcomes").

Everything else is the policy's own: its outcome and ring-time estimates, the rest of its
forecast (Poisson-binomial, normal), its threshold loop, budget and cold start.

What it shows: the share of the practical limit the same controller reaches when that one
uncertainty is gone. It is not a proof that no policy does better (the controller is not
proven optimal), but a forecast of a quantity cannot beat knowing it, so each oracle column
bounds what a better forecast of that side could gain inside this controller.
docs/pacing.md ("An oracle for the talk times", "An oracle for the answers") has the
figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _oracle_policy(simulation, talk_oracle: bool = True, answer_oracle: bool = False,
                   horizon: float | None = None):
    """A predictive policy told the truth about the calls and agents already in flight.

    ``talk_oracle``: every agent on a call or in wrap-up is read with the exact second that
    agent will be free again. ``answer_oracle``: every call already ringing is read with its
    fate (answered live at a known second, or never), drawn when it was dialed. Calls dialed
    now stay uncertain either way: no dialer knows who answers before it dials.

    ``horizon`` (whole seconds, with ``answer_oracle``): the fates are told only as far as
    ``horizon`` seconds ahead: a call that a person answers within it is read at its known
    second, a call that fails within it (busy, or its ring timeout) as never answered, and
    every other call as the model reads a call still ringing ``horizon`` seconds from now
    (its row for elapsed + horizon, shifted by the horizon): what a controller that waits
    that long for the calls' outcomes would know, but known now.
    """
    import dataclasses
    import math

    import numpy as np

    from dialer.commands import Bridge, Originate
    from pacing_models.estimators import RING_GRID_STEP
    from pacing_models.forecast import CompactTables
    from pacing_models.predictive import PredictivePolicy, effective_window
    from simulations.streams import LIVE

    free_at: dict[str, float] = {}
    answer_at: dict[str, float] = {}
    """Calls ringing: the instant each will be answered by a person (inf: never)."""
    ends: dict[str, tuple[float, float]] = {}
    """Calls ringing: (dial instant, the instant it stops ringing: answered or failed)."""
    pool = simulation.engine.pool

    def bridged(command: Bridge) -> None:
        call = simulation.calls[command.call_id]
        if call.kind == LIVE:
            free_at[command.agent_id] = command.at + call.talk + call.wrap
        else:
            free_at[command.agent_id] = command.at + simulation.scenario.machine_handle_time

    fates = simulation.fates
    drawn: list[tuple] = []

    class Remembered:
        """The simulation's lead fates, each one remembered as it is drawn."""

        def fate(self, lead: int, hour: int = 0) -> tuple:
            drawn.append(fates.fate(lead, hour))
            return drawn[-1]

        def __getattr__(self, name: str):
            return getattr(fates, name)

    def dialed(command: Originate) -> None:
        if not drawn:
            return
        kind, answer_after = drawn[-1][:2]
        drawn.clear()
        live = kind == LIVE and answer_after <= command.ring_timeout
        answer_at[command.call_id] = command.at + answer_after if live else math.inf
        ends[command.call_id] = (command.at, command.at + min(answer_after,
                                                              command.ring_timeout))

    simulation.observe((Bridge,), bridged)
    if answer_oracle:
        simulation.fates = Remembered()
        simulation.observe((Originate,), dialed)

    class Oracle(PredictivePolicy):
        """The predictive policy it replaces, told the truth in ``decide``; everything it
        learns it learns itself, as that policy would: attempts, handle times and, with
        AMD, the verdicts' delays (``observe_verdict``, inherited: ``engine.policy``'s setter
        hands the call flow the new policy's observer; before it did, the replaced policy
        went on learning the delays and the oracle's verdict forecast kept its prior)."""

        def _tables(self, state):
            compact = super()._tables(state)
            if getattr(self, "_oracle_for", None) is compact:
                return self._oracle
            step = RING_GRID_STEP
            window = max(1, round(effective_window(state.connect_window, self.patience_mean)
                                  / step))
            busy, wrap, ring = compact.busy, compact.wrap, compact.ring
            if talk_oracle:
                times = (self._ring.eval_slots + window + 1) * step  # the busy columns
                rows = int(times.max()) + 2
                remaining = np.arange(rows)[:, None] + 0.5
                table = (remaining <= times[None, :]).astype(float)
                table[-1] = 0.0  # longer than the horizon: not free within it
                busy = wrap = np.hstack([table, np.zeros_like(table)])
            if answer_oracle and horizon is not None:
                # Rows: the known seconds within the horizon, "never", then the model's
                # rows shifted by the horizon (a call known to ring on until then).
                times = (self._ring.eval_slots + 1) * step
                known = int(horizon / step) + 2
                remaining = (np.arange(known)[:, None] + 0.5) * step
                table = (remaining <= times[None, :]).astype(float)
                table[-1] = 0.0
                k = times.size
                shift = round(horizon)  # instants are whole seconds
                shifted = np.zeros_like(compact.ring)
                shifted[:, shift:k] = compact.ring[:, :k - shift]
                shifted[:, k + shift:] = compact.ring[:, k:2 * k - shift]
                ring = np.vstack([np.hstack([-table, np.zeros_like(table)]), shifted])
                self._known_rows = known
            elif answer_oracle:
                times = (self._ring.eval_slots + 1) * step  # the demand columns
                rows = int(times.max() / step) + 2
                remaining = (np.arange(rows)[:, None] + 0.5) * step
                table = (remaining <= times[None, :]).astype(float)
                table[-1] = 0.0  # never answered live (or after the horizon)
                ring = np.hstack([-table, np.zeros_like(table)])
            oracle = CompactTables(
                ring=ring, verdict=compact.verdict, busy=busy, wrap=wrap,
                new_call=compact.new_call, new_call_variance=compact.new_call_variance,
                live_answer=compact.live_answer, ring_step=compact.ring_step,
                agent_step=1.0)
            self._oracle_for, self._oracle = compact, oracle
            return oracle

        def decide(self, state):
            now = state.now
            changes = {}
            if talk_oracle:
                changes["busy_elapsed"] = tuple(
                    max(0.0, free_at.get(agent, now) - now)
                    for agent in itertools.chain(pool.on_call, pool.wrapping))
                changes["wrap_elapsed"] = ()
                self._talk_q90 = math.inf  # the censoring check has nothing to check
            if answer_oracle:
                calls = simulation.calls
                for call_id in [c for c in answer_at
                                if (call := calls.get(c)) is None or call.ended
                                or call.answered_at is not None]:
                    del answer_at[call_id]
                    ends.pop(call_id, None)
                if horizon is None:
                    changes["ringing_elapsed"] = tuple(
                        max(0.0, at - now) if at < math.inf else 1e6
                        for at in answer_at.values())
                else:
                    self._tables(state)  # the rows' layout (``_known_rows``)
                    step = RING_GRID_STEP
                    known = self._known_rows
                    codes = []
                    for call_id, at in answer_at.items():
                        dialed_at, end = ends[call_id]
                        if at - now <= horizon:
                            codes.append(max(0.0, at - now))
                        elif end - now <= horizon:
                            codes.append((known - 1 + 0.5) * step)  # fails: never
                        else:
                            row = int((now - dialed_at + horizon) / step)
                            codes.append((known + row + 0.5) * step)
                    changes["ringing_elapsed"] = tuple(codes)
            return super().decide(dataclasses.replace(state, **changes))

    return Oracle()


def _one(job: tuple) -> tuple:
    agents, live, talk, oracle, replication = job
    import pacing_quality as suite

    from simulations.driver import Simulation
    from simulations.metrics import practical_talk_limit, run_metrics

    scenario = suite._scenario(agents, live, talk, (8.0, 1))
    simulation = Simulation(scenario, "predictive", seed=1, replication=replication)
    if oracle != "none":
        kind, _, horizon = oracle.partition("@")
        simulation.engine.policy = _oracle_policy(
            simulation, talk_oracle=kind == "talk", answer_oracle=kind == "answers",
            horizon=float(horizon) if horizon else None)
    tally = simulation.run()
    m = run_metrics(scenario, tally)
    return (agents, live, talk, oracle, replication,
            m["talk_fraction"] / practical_talk_limit(scenario), m["max_window_abandon_rate"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agents", default="10,50")
    parser.add_argument("--live", default="0.10,0.20,0.35")
    parser.add_argument("--talk", default="90,180,300")
    parser.add_argument("--replications", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--oracles", default="talk",
                        help="comma-separated: talk (agents' free times), answers (the fates "
                        "of the calls ringing), answers@H (their fates H seconds ahead only)")
    args = parser.parse_args()
    modes = ["none", *args.oracles.split(",")]
    for mode in modes[1:]:
        kind, at, horizon = mode.partition("@")
        if kind not in ("talk", "answers") or (at and (kind != "answers" or not (
                horizon.isdigit() and 1 <= int(horizon) <= 10))):
            parser.error(f"--oracles: unknown oracle {mode!r} (talk, answers, answers@H "
                         "with H whole seconds 1-10)")
    cells = list(itertools.product(
        [int(a) for a in args.agents.split(",")], [float(x) for x in args.live.split(",")],
        [float(x) for x in args.talk.split(",")]))
    jobs = [(*cell, oracle, r) for cell in cells for oracle in modes
            for r in range(args.replications)]
    started = time.time()
    with ProcessPoolExecutor(args.workers) as pool:
        rows = list(pool.map(_one, jobs))
    names = {"none": "predictive", "talk": "talk oracle", "answers": "answer oracle"}
    names.update({m: f"answers {m.partition('@')[2]} s" for m in modes if "@" in m})
    print("agents  live  talk   " + "".join(f"{names[m]:<20}" for m in modes)
          + "(share of the practical limit / worst window, mean of replications)")
    for cell in cells:
        out = []
        for oracle in modes:
            runs = [(s, w) for a, p, t, o, _, s, w in rows if (a, p, t) == cell and o == oracle]
            out.append(f"{statistics.fmean(s for s, _ in runs):.3f} / "
                       f"{max(w for _, w in runs):5.2%}")
        print(f"{cell[0]:6d}  {cell[1]:.2f}  {cell[2]:4.0f}   " + "".join(f"{o:<20}" for o in out))
    print(f"wall {time.time() - started:.0f} s, load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
