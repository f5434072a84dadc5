"""The campaign's current abandonment period, bounded on its own besides the rolling window.

47 CFR 64.1200(a)(7)(i) measures the rate "over a 30-day period for a single calling
campaign" and, past 30 days, "separately for each successive 30-day period or portion
thereof". The rolling window bounds every full period but not the last one's portion: the
ledger also counts the current period, and pacing is handed whichever of the two binds.
"""

from __future__ import annotations

import math

from engine_kit import Fixed, make_engine
from hypothesis import given
from hypothesis import strategies as st

from dialer.engine.ledger import AbandonLedger

DAY = 86400.0
WINDOW = 30 * DAY


def _forty_day_seed() -> list[tuple[float, bool]]:
    """Days 11–30 at no abandon (2,000 answers), days 30–40 at 3.5 % (1,000 answers, 35
    abandons): the rolling window (days 10–40) is at 1.17 %, the last period over 3 %."""
    early = [(11 * DAY + i * 800.0, False) for i in range(2000)]
    late = [(30 * DAY + 1.0 + i * 800.0, i < 35) for i in range(1000)]
    return early + late


def test_the_last_portion_of_a_forty_day_campaign_is_bounded_on_its_own() -> None:
    engine, _, policy, _ = make_engine(policy=Fixed(n=0), abandon_period_start=0.0)
    for at, abandoned in _forty_day_seed():
        entry = engine.ledger.record_live(at)
        if abandoned:
            engine.ledger.mark_abandoned(entry)
    now = 40 * DAY
    state = engine.pacing_state(now)
    assert (engine.ledger.live_answers, engine.ledger.abandons) == (3000, 35)
    assert engine.ledger.period_start == 30 * DAY
    # The policy is handed the period's counts: 3.5 %, over the limit (the window's 1.17 %
    # left 55 abandons of slack).
    assert (state.live_answers_in_window, state.abandons_in_window) == (1000, 35)
    engine.tick(now)
    assert (policy.states[-1].live_answers_in_window,
            policy.states[-1].abandons_in_window) == (1000, 35)


def test_without_a_start_the_period_starts_with_the_engine() -> None:
    """The simulator's case: within its first window the period is the window."""
    engine, _, _, _ = make_engine(policy=Fixed(n=0))
    engine.ledger.mark_abandoned(engine.ledger.record_live(5.0))
    engine.ledger.record_live(6.0)
    state = engine.pacing_state(7.0)
    assert engine.ledger.period_start == 5.0
    assert (state.live_answers_in_window, state.abandons_in_window) == (2, 1)
    assert (engine.ledger.period_live_answers, engine.ledger.period_abandons) == (2, 1)


def test_a_new_period_starts_with_no_answers_of_its_own() -> None:
    ledger = AbandonLedger(WINDOW, period_origin=0.0)
    for i in range(200):
        ledger.record_live(29 * DAY + i)
    ledger.prune(31 * DAY)
    assert (ledger.live_answers, ledger.period_live_answers) == (200, 0)
    assert ledger.binding_counts(0.03) == (0, 0)


def test_shared_period_counts_count_only_in_the_period_they_were_taken_for() -> None:
    ledger = AbandonLedger(WINDOW, period_origin=0.0)
    ledger.prune(29 * DAY)
    ledger.set_shared_period_counts(0.0, 100, 2)
    assert (ledger.period_live_answers, ledger.period_abandons) == (100, 2)
    ledger.prune(30 * DAY)  # a new period: the last refresh was for the one before
    assert (ledger.period_live_answers, ledger.period_abandons) == (0, 0)
    ledger.set_shared_period_counts(30 * DAY, 7, 1)
    assert (ledger.period_live_answers, ledger.period_abandons) == (7, 1)


def test_an_origin_after_now_still_gives_a_period_holding_now() -> None:
    ledger = AbandonLedger(WINDOW, period_origin=10 * DAY)
    start = ledger.period_at(DAY)
    assert start is not None and start <= DAY < start + WINDOW


# Operations: ("live", t), ("abandon", i), ("machine", i), ("prune", t), ("shared", l, a),
# ("pshared", l, a): the other processes' counts in the window and in the current period.
def _shared(kind: str) -> st.SearchStrategy[tuple]:
    return st.integers(0, 60).flatmap(
        lambda live: st.tuples(st.just(kind), st.just(live), st.integers(0, live)))


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("live"), st.floats(0, 400)),
        st.tuples(st.just("abandon"), st.integers(0, 60)),
        st.tuples(st.just("machine"), st.integers(0, 60)),
        st.tuples(st.just("prune"), st.floats(0, 400)),
        _shared("shared"),
        _shared("pshared"),
    ),
    max_size=80,
)


@given(_ops, st.one_of(st.none(), st.floats(-300, 300)), st.floats(0.0, 0.5))
def test_pacing_is_handed_counts_no_looser_than_the_window_or_the_period(
        ops: list[tuple], origin: float | None, target: float) -> None:
    """Against an oracle that recounts the window and the current period from scratch."""
    window = 100.0
    ledger = AbandonLedger(window, period_origin=origin)
    entries: list = []
    oracle: list[list] = []  # [at, live, abandoned], parallel to entries
    horizon = -math.inf
    shared, pshared = (0, 0), (-math.inf, 0, 0)
    clock = 0.0
    first = origin
    for op in ops:
        if op[0] == "live":
            clock = max(clock, op[1])
            first = clock if first is None else first
            entries.append(ledger.record_live(clock))
            oracle.append([clock, True, False])
        elif op[0] in ("abandon", "machine") and entries:
            i = op[1] % len(entries)
            if op[0] == "abandon":
                ledger.mark_abandoned(entries[i])
                if oracle[i][1] and oracle[i][0] >= horizon:
                    oracle[i][2] = True
            else:
                ledger.uncount(entries[i])
                oracle[i][1] = oracle[i][2] = False
        elif op[0] == "prune":
            clock = max(clock, op[1])
            first = clock if first is None else first
        elif op[0] == "shared":
            ledger.set_shared_counts(op[1], op[2])
            shared = (op[1], op[2])
        elif op[0] == "pshared":
            ledger.prune(clock)
            first = clock if first is None else first
            ledger.set_shared_period_counts(ledger.period_start, op[1], op[2])
            pshared = (ledger.period_start, op[1], op[2])
        if first is None:
            continue
        # The engine prunes before every reading (pacing_state, snapshot).
        ledger.prune(clock)
        horizon = max(horizon, clock - window)
        start = ledger.period_at(clock)
        assert start is not None and start <= clock < ledger.period_end
        assert abs(ledger.period_end - start - window) < 1e-6
        assert ledger.period_origin == first
        steps = (start - first) / window
        assert abs(steps - round(steps)) < 1e-6, "periods run from the start"
        assert ledger.period_start == start
        in_window = [e for e in oracle if e[0] >= horizon]
        in_period = [e for e in oracle if e[0] >= start]
        window_counts = (sum(e[1] for e in in_window) + shared[0],
                         sum(e[2] for e in in_window) + shared[1])
        period_shared = pshared[1:] if pshared[0] == start else (0, 0)
        period_counts = (sum(e[1] for e in in_period) + period_shared[0],
                         sum(e[2] for e in in_period) + period_shared[1])
        assert (ledger.live_answers, ledger.abandons) == window_counts
        assert (ledger.period_live_answers, ledger.period_abandons) == period_counts
        live, abandons = ledger.binding_counts(target)
        assert (live, abandons) in (window_counts, period_counts)
        slack = target * live - abandons
        assert slack <= target * window_counts[0] - window_counts[1]
        assert slack <= target * period_counts[0] - period_counts[1]
