"""The stored form of a callback's last gate verdict (dialer/runner/kept_verdicts.py): what is
written is read back as it was; a record that cannot be read is refused with the field that
is wrong, logged, and not shown as a verdict; a callback's stored verdict is read once, when
this process first claims it; the engine keeps changes only for a driver that asks."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.engine.callback_verdicts import ActedVerdict, CallbackVerdicts, VerdictKind
from dialer.runner.kept_verdicts import KeptVerdicts, verdict_from_record, verdict_record

T = datetime(2026, 12, 8, 2, 30, tzinfo=UTC).timestamp()
# Instants as the engine holds them: epoch seconds to the microsecond (ISO keeps those).
instants = st.integers(0, 4_000_000_000_000_000).map(lambda us: us / 1_000_000)
texts = st.text(max_size=40)
verdicts = st.builds(
    ActedVerdict,
    st.sampled_from(VerdictKind),
    st.lists(texts, max_size=4).map(tuple),
    instants,
    st.none() | texts,
    st.none() | instants,
    st.none() | instants,
    st.none() | texts,
)


@given(verdicts)
def test_a_stored_verdict_reads_back_as_it_was(verdict: ActedVerdict) -> None:
    import json

    stored = json.loads(json.dumps(verdict_record(verdict)))  # through the JSON column
    assert verdict_from_record(stored) == verdict


HELD = ActedVerdict(
    VerdictKind.WAIT,
    ("us.calling_hours: closed", "earliest-allowed: 2026-12-08T13:00:00+00:00"),
    T,
    "dial:r:1",
    T + 37800,
    T + 37800,
)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "maybe"}, "kind"),
        ({"reasons": "closed"}, "reasons"),
        ({"decided_at": None}, "decided_at"),
        ({"decided_at": "2026-12-08T02:30:00"}, "decided_at"),
        ({"asked_again_at": 5}, "asked_again_at"),
        ({"decision_id": 7}, "decision_id"),
    ],
)
def test_a_record_that_cannot_be_read_is_refused_naming_the_field(change, field) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        verdict_from_record({**verdict_record(HELD), **change})


def test_an_unreadable_stored_verdict_is_logged_and_not_shown(caplog) -> None:
    kept = KeptVerdicts()
    with caplog.at_level(logging.WARNING, logger="dialer.runner"):
        kept.restore(
            [
                ("cb-1", {**verdict_record(HELD), "kind": "maybe"}),
                ("cb-2", verdict_record(HELD)),
                ("cb-3", None),
            ]
        )
    assert kept.restored("cb-1") is None and kept.restored("cb-3") is None
    assert kept.restored("cb-2") == HELD
    (message,) = caplog.messages
    assert "queue callback cb-1" in message and "last_verdict: kind: 'maybe'" in message


def test_a_stored_verdict_is_read_at_the_first_claim_only() -> None:
    """Later claims (every few seconds) read this run's own writes: they never replace what
    was stored before the restart, and a callback finished is forgotten."""
    kept = KeptVerdicts()
    kept.restore([("cb-1", verdict_record(HELD))])
    newer = ActedVerdict(VerdictKind.ALLOWED, ("allowed",), T + 60, "dial:r:2")
    kept.restore([("cb-1", verdict_record(newer)), ("cb-2", verdict_record(newer))])
    assert kept.restored("cb-1") == HELD and kept.restored("cb-2") == newer
    kept.forget("cb-1")
    assert kept.restored("cb-1") is None


def test_the_engine_keeps_changes_only_for_a_driver_that_asks() -> None:
    verdicts = CallbackVerdicts()
    verdicts.acted("cb-1", HELD)
    assert verdicts.drain() == {}  # the simulator: nothing kept, nothing grows
    verdicts.track_changes()
    newer = ActedVerdict(VerdictKind.ALLOWED, ("allowed",), T + 60, "dial:r:2")
    verdicts.acted("cb-1", HELD)
    verdicts.acted("cb-1", newer)
    verdicts.acted("cb-2", HELD)
    assert verdicts.drain() == {"cb-1": newer, "cb-2": HELD}  # the last one per callback
    assert verdicts.drain() == {}
