"""Conditional-probability lookup tables for the predictive policy.

Built only when the estimators change (a refit, or every so many attempts), so that a pacing
decision is a handful of numpy gathers and sums. Time runs in slots of ``RING_GRID_STEP``
seconds from the decision instant; column ``k`` of every table means "by the end of slot k",
i.e. by ``(k + 1)·δ`` seconds from now.

* ``ring[i, k]``: P(a call that has rung ``i·δ`` seconds without ending is answered *live*
  by slot k). Row 0 is the profile of a call dialed now.
* ``busy[j, k]``: P(an agent ``j`` seconds into a call is free again by slot k): residual
  talk time (the talk law conditioned on the elapsed time) convolved with the wrap-up law.
* ``wrap[j, k]``: P(an agent ``j`` seconds into wrap-up is free by slot k).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pacing_models.estimators import RING_GRID_STEP, FittedDuration

AGENT_GRID_STEP = 1.0
"""Seconds per row of the busy and wrap tables (elapsed time of the agent's activity)."""


@dataclass(frozen=True, slots=True)
class RingTable:
    table: np.ndarray  # (rows, demand_slots) cumulative P(live answer by slot k | alive)
    variance: np.ndarray  # table·(1 − table): Bernoulli variance per call
    new_call: np.ndarray  # row 0
    new_call_variance: np.ndarray
    eval_slots: np.ndarray  # slots where abandonment is evaluated (every whole second)
    new_call_at: np.ndarray  # new_call at eval_slots
    new_call_variance_at: np.ndarray
    answering: np.ndarray  # eval slots where a fresh dial can already be answered (mask)


@dataclass(frozen=True, slots=True)
class AgentTable:
    table: np.ndarray  # (rows, supply_slots) cumulative P(free by slot k | elapsed row)
    variance: np.ndarray

    @property
    def width(self) -> int:
        return self.table.shape[1]


def _agent_table(table: np.ndarray) -> AgentTable:
    variance = table * (1.0 - table)
    return AgentTable(table, variance)


def build_ring_table(
    probabilities: np.ndarray, cdfs: np.ndarray, timeout: float, slots: int,
    routed_machine: float = 0.0, machine_release: np.ndarray | None = None, window: int = 0,
) -> RingTable:
    """From outcome probabilities (live, machine, no answer, fail) and ring-time CDFs.

    ``routed_machine`` (≤ the machine probability): P(an attempt is answered by a machine
    that goes to an agent: no AMD, or AMD misses it), answered on the machines' ring-time
    law. Such an answer takes an agent like a person's, but only for a few seconds: one
    answered in slot m has given its agent back for an answer at slot k when its handle is
    ≤ (k − m + ``window``)·δ (``machine_release``: P(handle ≤ j·δ), j = 0, 1, …). So the
    table counts, at slot k, P(live answer by k) + P(machine answer by k still holding its
    agent). Without ``machine_release`` a machine holds its agent for the whole horizon.
    The predictive policy passes ``window`` = 0: an agent a machine frees *after* a person
    has answered is counted for nobody, because people hang up within the connect window
    (patience), and a model that counts on such releases under-stated abandons 5–15-fold in
    the simulator (50 agents, machines 0.15, no AMD), against the 2–3-fold of a model
    without machines (which ``prior_bias`` covers).
    """
    step = RING_GRID_STEP
    last = max(1, min(round(timeout / step), cdfs.shape[1] - 1))
    cdf = cdfs[:, : last + 1].copy()
    totals = cdf[:, -1:]
    cdf = np.divide(cdf, totals, out=np.ones_like(cdf), where=totals > 0)  # all end by timeout
    p_live, p_machine, _, p_fail = (float(p) for p in probabilities)
    alive = 1.0 - p_live * cdf[0] - p_machine * cdf[1] - p_fail * cdf[2]
    alive = np.maximum(alive, 1e-12)
    rows = np.arange(last)[:, None]
    ahead = np.minimum(rows + np.arange(1, slots + 1)[None, :], last)
    table = p_live * (cdf[0][ahead] - cdf[0][rows]) / alive[rows]
    routed = min(max(routed_machine, 0.0), p_machine)
    if routed > 0.0:
        machines = routed * (cdf[1][ahead] - cdf[1][rows]) / alive[rows]  # answered by k
        if machine_release is not None:
            # held[k] = Σ_{m ≤ k} P(answered in slot m)·(1 − H((k − m + window)·δ))
            answered_in = np.diff(machines, axis=1, prepend=0.0)
            lag = np.arange(slots)[None, :] - np.arange(slots)[:, None]  # k − m
            release = np.asarray(machine_release, dtype=float)
            at = np.clip(lag + window, 0, release.size - 1)
            holding = np.where(lag >= 0, 1.0 - release[at], 0.0)
            machines = np.einsum("im,mk->ik", answered_in, holding)
        table += machines
    table = np.clip(np.vstack([table, np.zeros((1, slots))]), 0.0, 1.0)  # past the timeout
    variance = table * (1.0 - table)
    # Abandonment is checked at whole seconds: the sup over a 1-s grid loses little against
    # 0.5 s and halves the work per decision.
    per_second = max(1, round(1.0 / step))
    eval_slots = np.arange(per_second - 1, slots, per_second)
    return RingTable(
        table, variance, table[0].copy(), variance[0].copy(),
        eval_slots, table[0, eval_slots].copy(), variance[0, eval_slots].copy(),
        table[0, eval_slots] > 1e-9,
    )


def build_verdict_table(
    delay_cdf: np.ndarray, person: float, routed_machine: float, slots: int,
    machine_release: np.ndarray | None = None,
) -> RingTable:
    """Demand from the calls answered and awaiting AMD's verdict, by time since the answer.

    Row i: a call answered i·δ ago, no verdict yet. It needs an agent at the verdict with
    P(person or missed machine | answered) = ``person`` + ``routed_machine`` (AMD's machine
    verdicts, false positives included, need none), at a time read from the verdict delay's
    law conditioned on its elapsed part (``delay_cdf``: P(delay < j·δ)); a missed machine
    holds its agent for its handle only (``machine_release``, as in ``build_ring_table``).
    A call answered 12 s after its dial and awaiting a 3-s verdict needs an agent within
    3 s with probability ≈ person + routed (0.4–0.6 in the suite's AMD scenario), where a
    call still ringing at 12 s does so with a few per cent: read with the ringing calls'
    odds, these calls under-stated the imminent demand.
    """
    person = min(max(person, 0.0), 1.0)
    routed = min(max(routed_machine, 0.0), 1.0 - person)
    cdf = np.asarray(delay_cdf, dtype=float)[None, :]
    cdfs = np.vstack([cdf, cdf, cdf])
    # The verdict's law plays the ring time's: "answered" = needs an agent (person, or a
    # machine it misses), "machine" = the missed machines, "fail" = machine verdicts.
    probabilities = np.array([person, routed, 0.0, 1.0 - person - routed])
    timeout = (cdfs.shape[1] - 1) * RING_GRID_STEP
    return build_ring_table(probabilities, cdfs, timeout, slots, routed, machine_release)


def _residual_cdf(law: FittedDuration, elapsed: np.ndarray, horizon: np.ndarray) -> np.ndarray:
    """P(T ≤ e + s | T > e) for every elapsed e (rows) and offset s (columns), stably.

    Elapsed times and offsets all lie on the 0.5 s grid, so log S is evaluated once on that
    1-D grid and the 2-D table is gathered from it (30× fewer incomplete-gamma calls).
    """
    step = RING_GRID_STEP
    e_index = np.rint(elapsed / step).astype(np.intp)
    s_index = np.rint(horizon / step).astype(np.intp)
    grid = np.arange(int(e_index[-1] + s_index[-1]) + 1) * step
    log_sf = law.distribution.logsf(grid)  # type: ignore[attr-defined]
    log_now = log_sf[e_index][:, None]
    log_later = log_sf[e_index[:, None] + s_index[None, :]]
    with np.errstate(invalid="ignore"):
        ratio = np.exp(np.minimum(log_later - log_now, 0.0))
    # Past the law's support (log S = −inf at both ends) the activity is certainly over.
    ratio = np.where(np.isfinite(ratio), ratio, 0.0)
    return 1.0 - ratio


def _max_rows(law: FittedDuration, cap: float) -> int:
    if law.zero_mass >= 1.0:
        return 1
    q = float(law.distribution.ppf(0.999))  # type: ignore[attr-defined]
    q = cap if not math.isfinite(q) else min(q, cap)
    return int(q / AGENT_GRID_STEP) + 2


def build_wrap_table(wrap: FittedDuration, slots: int) -> AgentTable:
    horizon = (np.arange(slots) + 1) * RING_GRID_STEP
    if wrap.zero_mass >= 1.0:
        return _agent_table(np.ones((1, slots)))
    elapsed = np.arange(_max_rows(wrap, 1800.0)) * AGENT_GRID_STEP
    # An agent in wrap-up has a wrap-up of positive length: the law's zero mass (calls with
    # no wrap-up) does not apply to it.
    return _agent_table(_residual_cdf(wrap, elapsed, horizon))


def build_busy_table(talk: FittedDuration, wrap: FittedDuration, slots: int) -> AgentTable:
    """Free-again probabilities for agents on a call: residual talk ⊛ wrap-up."""
    step = RING_GRID_STEP
    offsets = np.arange(slots + 1) * step
    elapsed = np.arange(_max_rows(talk, 3600.0)) * AGENT_GRID_STEP
    talk_end = _residual_cdf(talk, elapsed, offsets)  # column j: ended by j·δ
    talk_pmf = np.diff(talk_end, axis=1)  # ended within slot k: ((k)δ, (k+1)δ]
    talk_pmf[:, 0] += talk_end[:, 0]
    if wrap.zero_mass >= 1.0:
        wrap_cdf = np.ones(slots)
    else:
        wrap_cdf = wrap.zero_mass + (1 - wrap.zero_mass) * (
            1.0 - wrap.distribution.sf(np.arange(slots) * step)  # type: ignore[attr-defined]
        )
    # free by slot k = Σ_{k' ≤ k} P(talk ends in slot k') · P(wrap ≤ (k − k')·δ)
    lag = np.arange(slots)[None, :] - np.arange(slots)[:, None]
    toeplitz = np.where(lag >= 0, wrap_cdf[np.maximum(lag, 0)], 0.0)
    # einsum's own loop, not a BLAS product: one BLAS call starts OpenBLAS's thread pool,
    # whose idle threads then spin on the other core for the rest of the run.
    return _agent_table(np.clip(np.einsum("ij,jk->ik", talk_pmf, toeplitz), 0.0, 1.0))


def machine_handle_parts(
    shape: tuple[int, int], talk: FittedDuration, machine: FittedDuration
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What ``mix_machine_handles`` reads of the two laws for a table of ``shape``: the
    machine's residual law (rows: elapsed, columns: slots), S_m(e) and S_l(e). They change
    only with the laws, not with the share: a caller may keep them (``parts``)."""
    rows, columns = shape
    elapsed = np.arange(rows) * AGENT_GRID_STEP
    if machine.zero_mass >= 1.0:
        machine_free = np.ones((rows, columns))
    else:
        machine_free = _residual_cdf(machine, elapsed, (np.arange(columns) + 1) * RING_GRID_STEP)
    return machine_free, machine.sf(elapsed), talk.sf(elapsed)


def mix_machine_handles(
    live: AgentTable, talk: FittedDuration, machine: FittedDuration, machine_share: float,
    parts: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> AgentTable:
    """Free-again probabilities for an agent on a call that may be a machine answer.

    ``live``: the table for people (talk ⊛ wrap-up); ``machine``: the law of an agent's
    time on a machine answer; ``machine_share``: the share of connections that are machines.
    The engine does not say which call an agent is on, so each row conditions on the elapsed
    time: P(machine | on a call e s) = π·S_m(e) ÷ (π·S_m(e) + (1 − π)·S_l(e)), and
    P(free by e + s | e) mixes the two residual laws with that weight (a 5-s machine release
    is all but certain to be a person's call after 10 s on it). With π = 0 this is ``live``.
    ``parts``: ``machine_handle_parts`` of the same shape and laws, if the caller kept them.
    """
    if machine_share <= 0.0:
        return live
    machine_free, machine_left, talk_left = (
        machine_handle_parts(live.table.shape, talk, machine) if parts is None else parts)
    share = min(machine_share, 1.0)
    on_machine = share * machine_left
    on_live = (1.0 - share) * talk_left
    total = on_machine + on_live
    weight = np.divide(on_machine, total, out=np.zeros_like(total), where=total > 0.0)
    weight = weight[:, None]
    return _agent_table(np.clip(weight * machine_free + (1.0 - weight) * live.table, 0.0, 1.0))


def gather_sum(table: np.ndarray, elapsed: np.ndarray, step: float) -> np.ndarray:
    """Σ over items of the table row for each item's elapsed time (rows clamp at the end)."""
    if elapsed.size == 0:
        return np.zeros(table.shape[1])
    rows = np.minimum((elapsed * (1.0 / step)).astype(np.intp), table.shape[0] - 1)
    if rows.size > table.shape[0] // 2:
        return np.bincount(rows, minlength=table.shape[0]) @ table
    return table[rows].sum(axis=0)


JOINT_MIN_PAIRS = 300
JOINT_MIN_ALIVE = 30


def build_busy_table_joint(
    talk: np.ndarray, wrap: np.ndarray, fallback: AgentTable, slots: int
) -> AgentTable:
    """Free-again probabilities from observed (talk, wrap) pairs, with no independence assumed.

    Wrap-up depends on the call (an answering machine released in 5 s has no wrap-up, a
    sale has a long one), so P(T + W ≤ e + s | T > e) is counted directly on the pairs:
    a 2-D histogram of talk (1 s rows) × end of wrap-up (0.5 s columns), summed over the
    calls still talking at e. Rows with fewer than ``JOINT_MIN_ALIVE`` such calls keep the
    parametric ``fallback`` (the far tail, where pairs are few).
    """
    step = RING_GRID_STEP
    per_row = round(AGENT_GRID_STEP / step)
    if talk.size < JOINT_MIN_ALIVE:
        return fallback
    # Only rows with enough calls still talking are counted; the tail stays parametric.
    deepest = float(np.sort(talk)[-JOINT_MIN_ALIVE])
    rows = min(fallback.table.shape[0], int(deepest / AGENT_GRID_STEP) + 1)
    columns = per_row * rows + slots + 1
    talk_bin = np.minimum((talk / AGENT_GRID_STEP).astype(np.intp), rows - 1)
    end_bin = np.minimum(((talk + wrap) / step).astype(np.intp), columns - 1)
    # freed[r, s] = #{pairs with talk row ≥ r whose wrap-up ends by column per_row·r + s}.
    # A pair at talk row t ends at column ≥ per_row·t (wrap ≥ 0), so it can fall inside the
    # ``slots`` columns of row r only for the rows r ≤ t with per_row·r > end − slots: about
    # slots ÷ per_row rows per pair. Counting each pair on those rows alone (shifted to the
    # row's first column), then a cumulative sum over the columns, gives the same integer
    # counts as the full rows × columns histogram at a fraction of its size.
    first = np.maximum(0, (end_bin - slots) // per_row + 1)  # first row it can reach
    reach = np.maximum(0, talk_bin - first + 1)
    pair = np.repeat(np.arange(talk_bin.size), reach)
    row = first[pair] + (np.arange(pair.size) - np.repeat(np.cumsum(reach) - reach, reach))
    column = np.maximum(end_bin[pair] - per_row * row, 0)  # before the row's window: freed
    counts = np.bincount(row * slots + column, minlength=rows * slots).reshape(rows, slots)
    freed = np.cumsum(counts, axis=1).astype(float)
    alive = np.cumsum(np.bincount(talk_bin, minlength=rows)[::-1])[::-1].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        joint = np.clip(freed / alive[:, None], 0.0, 1.0)
    trusted = (alive >= JOINT_MIN_ALIVE)[:, None]
    table = fallback.table.copy()
    table[:rows] = np.where(trusted, joint, fallback.table[:rows])
    return _agent_table(table)
