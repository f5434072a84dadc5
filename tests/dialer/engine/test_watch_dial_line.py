"""The watch's line of ``DIAL`` waits (watch.py) hands out due entries exactly as one heap of
every wait would: in (deadline, order of registration) order, whatever mix of waits and
deadlines was registered, including ``DIAL`` deadlines out of order (they go to the heap)."""

from __future__ import annotations

import heapq

from hypothesis import given
from hypothesis import strategies as st

from dialer.engine.watch import Wait, Watch

_WAITS = [w for w in Wait if w is not Wait.DIAL]

registrations = st.lists(
    st.tuples(st.booleans(), st.integers(0, 60).map(float), st.sampled_from(_WAITS)),
    max_size=60,
)
cut_offs = st.lists(st.integers(0, 70).map(float), min_size=1, max_size=5)


@given(registrations, cut_offs)
def test_due_entries_come_in_the_order_of_one_heap(adds: list, cuts: list) -> None:
    watch = Watch()
    reference: list[tuple[float, int, Wait, str]] = []
    for order, (dial, at, wait) in enumerate(adds, start=1):
        key = f"k{order}"
        if dial:
            watch.add_dial(at, key)
            reference.append((at, order, Wait.DIAL, key))
        else:
            watch.add(at, wait, key)
            reference.append((at, order, wait, key))
    heapq.heapify(reference)
    assert len(watch) == len(reference)
    for now in sorted(cuts):
        expected = []
        while reference and reference[0][0] <= now:
            at, _, wait, key = heapq.heappop(reference)
            expected.append((at, wait, key, None))
        assert watch.due(now) == expected
        assert watch.next_time() == (reference[0][0] if reference else None)
    assert len(watch) == len(reference)


def test_dial_waits_in_deadline_order_stay_out_of_the_heap() -> None:
    watch = Watch()
    for i, at in enumerate((40.0, 40.0, 41.5, 43.0)):
        watch.add_dial(at, f"c{i}")
    watch.add_dial(39.0, "early")  # before the line's last deadline: the heap keeps it
    assert [entry[3] for entry in watch._dials] == ["c0", "c1", "c2", "c3"]
    assert [entry[3] for entry in watch._heap] == ["early"]
    assert [key for _, _, key, _ in watch.due(41.5)] == ["early", "c0", "c1", "c2"]
