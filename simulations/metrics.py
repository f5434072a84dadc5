"""Per-run metrics (JSON keys as analysts read them) and replication means with 95 % CIs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from simulations.driver import Simulation, Tally
from simulations.scenario import Scenario

METRICS = ("dials", "live_answers", "abandoned", "abandon_rate", "max_window_abandon_rate",
           "talk_fraction", "occupancy", "contacts_per_agent_hour", "mean_wait_between_calls")


def practical_talk_limit(scenario: Scenario, routed_share: float = 0.0) -> float:
    """The highest talk fraction the scenario's agents can reach (docs/pacing.md).

    Every live contact costs an agent E[talk] + E[wrap]; without AMD each machine answer
    also takes an agent for ``machine_handle_time`` (m ÷ l of them per live contact); with
    AMD only the machines it misses do (m·fn), and its false positives are people hung up on
    (l·(1 − fp) contacts). So, with h the machine handle time,

        limit = T ÷ (T + W + h · m·fn ÷ (l·(1 − fp)))     (fn = 1, fp = 0 without AMD)

    With shares by hour (``live_answer_by_hour``, ``machine_by_hour``) each share is its
    mean over the shift's hours. NaN when no dial is ever live.

    ``routed_share`` ρ: the share of AMD's machine verdicts that free agents took
    (``[amd].to_free_agent``; the routing cannot tell machines from people, so ρ applies
    to both). Agents then also spend h on m·(1 − fn)·ρ machines, and the people among the
    verdicts become contacts (l·(1 − fp·(1 − ρ))):

        limit(ρ) = T ÷ (T + W + h · m·(fn + (1 − fn)·ρ) ÷ (l·(1 − fp·(1 − ρ))))

    The machines per contact grow with ρ whenever fn + fp < 1 (a detector better than a
    coin), so limit(ρ) ≤ limit(0): the formula without routing still bounds the talk
    fraction; limit(ρ) is what is left to reach once that much agent time went to machines.
    """
    population, amd = scenario.population, scenario.amd
    talk, wrap = population.talk.mean, scenario.wrap.mean
    live, machine = population.live_answer, population.machine
    if population.live_answer_by_hour or population.machine_by_hour:
        c = scenario.campaign
        hours = [int(c.shift_start_hour + h) % 24 for h in range(max(1, math.ceil(
            c.shift_hours)))]
        live = sum(population.shares(h)[0] for h in hours) / len(hours)
        machine = sum(population.shares(h)[1] for h in hours) / len(hours)
    missed, kept = (amd.false_negative, 1.0 - amd.false_positive) if amd.enabled else (1.0, 1.0)
    if amd.enabled and routed_share > 0.0:
        missed += (1.0 - missed) * routed_share
        kept = 1.0 - amd.false_positive * (1.0 - routed_share)
    if live * kept <= 0.0 or talk <= 0.0:
        return math.nan
    machines_per_contact = machine * missed / (live * kept)
    return talk / (talk + wrap + machines_per_contact * scenario.machine_handle_time)


def run_metrics(scenario: Scenario, tally: Tally) -> dict[str, Any]:
    c = scenario.campaign
    logged_in = c.agent_seconds_per_day() * c.days
    live, abandoned = sum(tally.live_by_day), sum(tally.abandoned_by_day)
    window = max(1, int(c.window_days))
    per_day = [a / n if n else 0.0 for n, a in zip(tally.live_by_day, tally.abandoned_by_day,
                                                   strict=True)]
    # Rolling measurement window (US: 30 days): the legal rate as it stands at each day's
    # end; a single-day run is measured over the whole run.
    worst = 0.0
    for end in range(1, c.days + 1):
        n = sum(tally.live_by_day[max(0, end - window):end])
        a = sum(tally.abandoned_by_day[max(0, end - window):end])
        worst = max(worst, a / n if n else 0.0)
    busy = tally.talk + tally.wrap + tally.machine_handle
    return {
        "dials": tally.dials, "live_answers": live, "abandoned": abandoned,
        "abandon_rate": abandoned / live if live else 0.0,
        "max_window_abandon_rate": worst,
        "talk_fraction": tally.talk / logged_in,
        "occupancy": busy / logged_in,
        "contacts_per_agent_hour": tally.connects / (logged_in / 3600.0),
        "mean_wait_between_calls": (logged_in - busy) / tally.connects if tally.connects
        else math.inf,
        "abandon_rate_per_day": per_day,
        "inbound_offered": tally.inbound_offered,
        "inbound_waited": tally.inbound_waited,
        "inbound_abandoned": tally.inbound_abandoned,
        **({"queues": tally.queues,
            "outbound_talk_fraction": (tally.talk - tally.queues["inbound_talk"]) / logged_in}
           if tally.queues is not None else {}),
    }


def replicate(scenario: Scenario, policy: str, replications: int, seed: int,
              params: dict[str, Any] | None = None,
              limit_guard: bool = False) -> list[dict[str, Any]]:
    """Replication ``r`` uses stream ``(seed, r)`` whatever the policy (common random numbers);
    ``limit_guard`` as in ``Simulation``."""
    return [run_metrics(scenario, Simulation(scenario, policy, seed, r, params,
                                             limit_guard=limit_guard).run())
            for r in range(replications)]


ReplicationJob = tuple[str, str, dict[str, Any], int, int, bool]
"""(scenario file, policy, its parameters, seed, replication, limit guard)."""


def run_replication(job: ReplicationJob) -> dict[str, Any]:
    """One replication in a worker process: (scenario file, policy, its parameters, seed,
    replication, whether a guarded policy runs behind the limit guard).

    The stream is ``(seed, replication)`` as in ``replicate``, so the figures do not depend
    on how many processes share the work.
    """
    from simulations.scenario import load_scenario

    path, policy, params, seed, replication, limit_guard = job
    scenario = load_scenario(Path(path))
    return run_metrics(scenario, Simulation(scenario, policy, seed, replication, params,
                                            limit_guard=limit_guard).run())


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean and 95 % t-interval half-width of each metric over replications."""
    from scipy import stats

    out: dict[str, Any] = {}
    n = len(runs)
    for key in (*METRICS, "inbound_offered", "inbound_waited", "inbound_abandoned"):
        values = [float(run[key]) for run in runs]
        mean = sum(values) / n
        if n > 1 and all(math.isfinite(v) for v in values):
            sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
            half = float(stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        else:
            half = math.nan
        out[key] = {"mean": mean, "ci95": half}
    days = len(runs[0]["abandon_rate_per_day"])
    out["abandon_rate_per_day"] = [sum(r["abandon_rate_per_day"][d] for r in runs) / n
                                   for d in range(days)]
    out["replications"] = n
    if "queues" in runs[0]:
        from simulations.inbound_callers import summarise_queues

        out["inbound"] = summarise_queues(runs)
    return out
