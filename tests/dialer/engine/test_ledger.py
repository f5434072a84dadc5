"""The abandonment ledger: rolling window, corrections, and counts shared across processes."""

from __future__ import annotations

import pytest
from engine_kit import Fixed, make_engine, of_type
from hypothesis import given
from hypothesis import strategies as st

from dialer.commands import Originate
from dialer.engine.ledger import AbandonLedger, LedgerCountsError
from dialer.errors import DialerError
from dialer.events import CallAnswered


def test_shared_counts_are_part_of_the_campaign_totals_and_rate() -> None:
    ledger = AbandonLedger(100.0)
    mine = ledger.record_live(1.0)
    ledger.record_live(2.0)
    ledger.mark_abandoned(mine)
    ledger.set_shared_counts(98, 3)
    assert (ledger.live_answers, ledger.abandons) == (100, 4)
    assert ledger.rate() == pytest.approx(0.04)
    assert (ledger.own_live_answers, ledger.own_abandons) == (2, 1)


def test_each_refresh_replaces_the_shared_counts() -> None:
    ledger = AbandonLedger(100.0)
    ledger.record_live(1.0)
    ledger.set_shared_counts(10, 2)
    ledger.set_shared_counts(7, 0)
    assert (ledger.live_answers, ledger.abandons) == (8, 0)
    ledger.set_shared_counts(0, 0)
    assert (ledger.live_answers, ledger.abandons) == (1, 0)


def test_pruning_touches_only_this_process_entries() -> None:
    ledger = AbandonLedger(100.0)
    ledger.mark_abandoned(ledger.record_live(0.0))
    ledger.set_shared_counts(5, 1)
    ledger.prune(150.0)
    # Our answer left the window; the other processes' counts stay until their next refresh.
    assert (ledger.live_answers, ledger.abandons) == (5, 1)


@given(st.lists(st.tuples(st.floats(0.0, 1000.0), st.booleans()), max_size=40),
       st.floats(0.0, 2000.0))
def test_answers_recorded_late_and_out_of_order_are_all_counted(
    answers: list[tuple[float, bool]], now: float
) -> None:
    # Some answers are recorded only when their call ends (a hang-up while AMD listened),
    # dated at their answer, so the ledger sees times out of order. Every one must count
    # until it leaves the window, and pruning must leave exactly the in-window ones.
    ledger = AbandonLedger(5000.0)
    for at, abandoned in answers:
        entry = ledger.record_live(at)
        if abandoned:
            ledger.mark_abandoned(entry)
    assert ledger.live_answers == len(answers)
    assert ledger.abandons == sum(abandoned for _, abandoned in answers)
    ledger.prune(now + 4000.0)  # horizon now − 1000: ≤ 1000 s of answers may leave
    entries = list(ledger._entries)
    assert [e[0] for e in entries] == sorted(e[0] for e in entries)
    assert ledger.live_answers == sum(int(e[1]) for e in entries)
    assert ledger.abandons == sum(int(e[2]) for e in entries)


def test_shared_abandons_alone_give_a_rate() -> None:
    ledger = AbandonLedger(100.0)
    ledger.set_shared_counts(4, 1)
    assert ledger.rate() == 0.25


@pytest.mark.parametrize(
    ("live", "abandons", "message"),
    [
        (-1, 0, "live_answers must be >= 0"),
        (3, -1, "abandons must be >= 0"),
        (2, 3, r"abandons \(3\) cannot exceed live answers \(2\)"),
        (2.0, 0, "live_answers must be an int"),
        (2, True, "abandons must be an int"),
    ],
)
def test_impossible_shared_counts_are_refused(live: object, abandons: object, message: str) -> None:
    ledger = AbandonLedger(100.0)
    ledger.set_shared_counts(6, 2)
    with pytest.raises(LedgerCountsError, match=message) as raised:
        ledger.set_shared_counts(live, abandons)  # type: ignore[arg-type]
    assert isinstance(raised.value, DialerError) and isinstance(raised.value, ValueError)
    assert (ledger.live_answers, ledger.abandons) == (6, 2), "a refused refresh changes nothing"


def test_engine_pacing_state_and_snapshot_include_shared_counts() -> None:
    engine, _, policy, _ = make_engine(policy=Fixed(n=1))
    (dial,) = of_type(engine.tick(1.0), Originate)
    engine.handle(CallAnswered(2.0, dial.call_id))
    engine.tick(5.0)  # the window closed: one abandon of ours
    engine.ledger.set_shared_counts(99, 2)
    # The campaign's first period: the other processes' answers are in it too (upkeep.py
    # sends both; without the period's, the period alone binds: test_period_ledger.py).
    engine.ledger.set_shared_period_counts(engine.ledger.period_start, 99, 2)
    state = engine.pacing_state(6.0)
    assert (state.live_answers_in_window, state.abandons_in_window) == (100, 3)
    snapshot = engine.snapshot(6.0)
    assert (snapshot.live_answers_in_window, snapshot.abandons_in_window) == (100, 3)
    assert snapshot.abandon_rate == pytest.approx(0.03)
    engine.tick(7.0)
    assert (policy.states[-1].live_answers_in_window, policy.states[-1].abandons_in_window) == (
        100, 3,
    )


# Operations: ("live", t), ("abandon", index), ("machine", index), ("prune", t), ("shared", l, a)
_ops = st.lists(
    st.one_of(
        st.tuples(st.just("live"), st.floats(0, 50)),
        st.tuples(st.just("abandon"), st.integers(0, 30)),
        st.tuples(st.just("machine"), st.integers(0, 30)),
        st.tuples(st.just("prune"), st.floats(0, 200)),
        st.integers(0, 40).flatmap(
            lambda live: st.tuples(st.just("shared"), st.just(live), st.integers(0, live))
        ),
    ),
    max_size=60,
)


@given(_ops)
def test_totals_are_own_window_counts_plus_the_latest_shared(ops: list[tuple]) -> None:
    """Against an oracle that recounts the window from scratch after every operation."""
    window = 100.0
    ledger = AbandonLedger(window)
    entries: list = []
    oracle: list[list] = []  # [at, live, abandoned], parallel to entries
    horizon = float("-inf")
    shared = (0, 0)
    clock = 0.0
    for op in ops:
        if op[0] == "live":
            clock = max(clock, op[1])  # answers arrive in time order, as in the engine
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
            ledger.prune(clock)
            horizon = max(horizon, clock - window)
        elif op[0] == "shared":
            ledger.set_shared_counts(op[1], op[2])
            shared = (op[1], op[2])
        in_window = [e for e in oracle if e[0] >= horizon]
        own_live = sum(e[1] for e in in_window)
        own_abandons = sum(e[2] for e in in_window)
        assert (ledger.own_live_answers, ledger.own_abandons) == (own_live, own_abandons)
        assert (ledger.live_answers, ledger.abandons) == (
            own_live + shared[0], own_abandons + shared[1],
        )
        assert 0 <= ledger.abandons <= ledger.live_answers
