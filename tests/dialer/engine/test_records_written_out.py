"""Records the hot paths build field by field instead of calling their class (docs/engine.md,
"Seventh step"): each must be the very object the class builds, every slot set."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dialer.engine.connector import Connector, PendingBridge
from dialer.engine.routing import Work, WorkKind, outbound_work

_ids = st.text(min_size=1, max_size=8)
_maybe_ids = st.none() | _ids
_times = st.floats(allow_nan=False, allow_infinity=False)


def _slots(obj: object) -> dict[str, object]:
    return {name: getattr(obj, name) for name in type(obj).__slots__}  # type: ignore[attr-defined]


@given(_ids, _times, _times, _maybe_ids, _maybe_ids, _maybe_ids)
def test_outbound_work_is_the_work_the_class_makes(
    work_id: str, at: float, deadline: float, customer_key: str | None,
    previous_agent_id: str | None, switch_id: str | None,
) -> None:
    built = outbound_work(work_id, at, deadline, customer_key, previous_agent_id, switch_id)
    called = Work(WorkKind.OUTBOUND, work_id, at, deadline=deadline,
                  customer_key=customer_key, previous_agent_id=previous_agent_id,
                  switch_id=switch_id)
    assert type(built) is Work
    assert _slots(built) == _slots(called)  # every slot set, to the class's values
    assert repr(built) == repr(called)


@given(_ids, _ids)
def test_a_wanted_bridge_is_the_pending_bridge_the_class_makes(call_id: str,
                                                               agent_id: str) -> None:
    connector = Connector()
    connector.want(call_id, agent_id)
    built = connector.bridges[call_id]
    assert type(built) is PendingBridge
    assert built == PendingBridge(call_id, agent_id)
    assert _slots(built) == _slots(PendingBridge(call_id, agent_id))
