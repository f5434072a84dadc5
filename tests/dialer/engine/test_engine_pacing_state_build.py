"""``Dialing.pacing_state`` builds the ``PacingState`` positionally (one per decision); the
positions must be the fields' own, which the by-name construction checks field by field."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer.engine import dialing
from pacing_models.interface import PacingState

counts = st.integers(0, 500)
seconds = st.floats(0.0, 1e6, allow_nan=False)
elapsed = st.lists(seconds, max_size=5).map(tuple)


@given(st.tuples(seconds, counts, elapsed, elapsed, elapsed, counts, counts,
                 st.floats(0.0, 0.1), seconds, seconds, counts, counts,
                 st.floats(1.0, 5.0), elapsed, counts, counts, counts, elapsed,
                 st.binary(max_size=40),
                 st.none() | st.tuples(counts, counts, counts, counts),
                 counts, counts, counts, counts, counts, counts))
def test_positional_state_is_the_named_one(values: tuple) -> None:
    assert set(dialing._PACING_STATE_ORDER) == set(PacingState.__dataclass_fields__), (
        "a PacingState field the engine does not fill: give it its place in "
        "Dialing.pacing_state and _PACING_STATE_ORDER")
    named = PacingState(**dict(zip(dialing._PACING_STATE_ORDER, values, strict=True)))
    assert dialing._pacing_state(*values) == named
    assert dialing._pacing_state_by_name(*values) == named
