"""An agent's slips at the disposition, on the runner's command side (``CommandExecution``
with its store, switch and engine replaced by recorders): a second disposition of one call,
a disposition arriving after the wrap-up timeout recorded the fallback, a callback the
dialer could never keep (``dispose_checks``). Any order of wrap-ups, timeouts,
dispositions (of the call in wrap-up, of an older one, twice) and time passing leaves one
disposition per attempt: the agent's, or the fallback followed by at most one correction
of the agent's within the window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.journal_batch import DispositionOp
from campaigns.settings import CallingWindow, CampaignSettings
from dialer.commands import AgentState, AgentStateChanged
from dialer.ports import DialTarget
from dialer.runner.dispose_checks import CORRECTION_WINDOW, callback_refusal
from dialer.runner.errors import RunnerError
from tests.dialer.runner.runner_kit import bare_execution

CODES = {"SALE": False, "NI": False, "CALLBK": True, "TIMEOUT": False}
CHICAGO = ZoneInfo("America/Chicago")


@dataclass
class Recorder:
    """The store's link and the database worker: dispositions written, in order."""

    ops: list[DispositionOp] = field(default_factory=list)
    name: str = "c"
    settings: CampaignSettings = field(default_factory=CampaignSettings)
    """The defaults: TIMEOUT the fallback, 09:00-20:00 Mon-Sat, a US telemarketing campaign
    (its state overlays' hours are checked too, as the dial gate checks them)."""
    dispositions: dict[str, object] = field(default_factory=lambda: {
        code: SimpleNamespace(callback=callback, dnc=False) for code, callback in CODES.items()})

    def disposition_code(self, text: str) -> str:
        code = text.strip().upper()
        if code not in self.dispositions:
            raise RunnerError(f"disposition {text!r} is not allowed")
        return code

    def disposition_op(self, call_id: str, code: str, at: float, callback_at=None,
                       agent=None, note=None) -> DispositionOp:
        return DispositionOp(call_id, code, datetime.fromtimestamp(at, UTC), callback_at,
                             None, note)

    def agent_state_op(self, change: AgentStateChanged) -> None:
        return None

    def heard(self, code: str) -> None:
        return None

    def write(self, ops: list) -> None:
        self.ops.extend(op for op in ops if isinstance(op, DispositionOp))


class Desk:
    """The screens (nobody watching) and the engine's calls (each a lead in Chicago)."""

    def __bool__(self) -> bool:
        return False

    def bridged(self, *args: object) -> None:
        pass

    def agents_changed(self, *args: object) -> None:
        pass


def _execution(now: list[float], listed: set[str] | None = None):
    recorder = Recorder()
    execution = bare_execution(clock=lambda: now[0], post=lambda event: None)
    execution.link = execution.db = recorder
    execution.inbound = SimpleNamespace(wrap_started=lambda *a: None,
                                        wrap_ended=lambda *a: [], disposed=lambda *a: [])
    execution.inbound_calls = SimpleNamespace(without_attempt=set())
    execution.internal_dnc = SimpleNamespace(is_listed=lambda n: n in (listed or set()))
    execution.screens = Desk()
    execution.on_agent_change = lambda change: None

    class Calls(dict):
        def get(self, call_id, default=None):
            return SimpleNamespace(target=DialTarget(
                f"lead-{call_id}", "+13125550142", "c", attributes={"timezone": "America/Chicago"}))

    execution.engine = SimpleNamespace(calls=Calls())
    return execution, recorder


def _wrap(execution, now: float, call_id: str, previous=AgentState.ON_CALL) -> None:
    execution._agent_changed(AgentStateChanged(now, "ann", AgentState.ON_CALL,
                                               AgentState.READY, call_id=call_id))
    execution._agent_changed(AgentStateChanged(now, "ann", AgentState.WRAP_UP, previous,
                                               call_id=call_id))


def _end_wrap(execution, now: float) -> None:
    """The wrap-up timeout (or a pause, a supervisor's) ends it without the agent's word."""
    execution._agent_changed(AgentStateChanged(now, "ann", AgentState.READY,
                                               AgentState.WRAP_UP))


def test_a_second_disposition_says_how_the_call_was_recorded_and_writes_nothing() -> None:
    now = [1000.0]
    execution, recorder = _execution(now)
    _wrap(execution, now[0], "c1")
    assert execution.dispose("ann", "c1", "SALE") == "c1"
    now[0] += 1
    with pytest.raises(RunnerError, match=r"already recorded as SALE at .* another tab"):
        execution.dispose("ann", "c1", "NI")
    assert [(op.call_uuid, op.code) for op in recorder.ops] == [("c1", "SALE")]


def test_a_disposition_after_the_timeout_corrects_the_fallback_once_within_the_window() -> None:
    now = [1000.0]
    execution, recorder = _execution(now)
    _wrap(execution, now[0], "c1")
    _end_wrap(execution, now[0] + 20)  # the agent was still typing
    now[0] += 60
    assert execution.dispose("ann", "c1", "SALE", note="bought two") == "c1"
    assert [(op.code, op.note) for op in recorder.ops] == [("TIMEOUT", None),
                                                           ("SALE", "bought two")]
    with pytest.raises(RunnerError, match="already recorded as SALE"):
        execution.dispose("ann", "c1", "NI")
    # Past the window: refused, saying how it was recorded and why it is too late.
    _wrap(execution, now[0], "c2")
    _end_wrap(execution, now[0] + 20)
    now[0] += 20 + CORRECTION_WINDOW + 1
    with pytest.raises(RunnerError, match=r"recorded as TIMEOUT, the campaign.s fallback.*passed"):
        execution.dispose("ann", "c2", "SALE")
    assert [op.code for op in recorder.ops] == ["TIMEOUT", "SALE", "TIMEOUT"]


def test_a_callback_the_dialer_could_never_keep_is_refused_and_the_agent_stays_in_wrap_up(
        ) -> None:
    now = [datetime(2030, 1, 7, 18, tzinfo=UTC).timestamp()]
    execution, recorder = _execution(now, listed={"+13125550142"})
    _wrap(execution, now[0], "c1")
    noon = datetime(2030, 1, 8, 12, tzinfo=CHICAGO)
    with pytest.raises(RunnerError, match="do-not-call list"):
        execution.dispose("ann", "c1", "CALLBK", noon)
    assert execution.to_dispose == {"ann": "c1"} and recorder.ops == []
    execution.internal_dnc = SimpleNamespace(is_listed=lambda n: False)
    # 09:00 in Berlin, the agent's zone, is 02:00 in Chicago, the lead's.
    with pytest.raises(RunnerError, match="Tue 02:00 in America/Chicago, the lead's local"):
        execution.dispose("ann", "c1", "CALLBK", datetime(2030, 1, 8, 9, tzinfo=ZoneInfo(
            "Europe/Berlin")))
    with pytest.raises(RunnerError, match=r"Sun 12:00 .* \(Mon-Sat 09:00-20:00"):
        execution.dispose("ann", "c1", "CALLBK", datetime(2030, 1, 13, 12, tzinfo=CHICAGO))
    assert execution.dispose("ann", "c1", "CALLBK", noon) == "c1"
    assert [(op.code, op.callback_at) for op in recorder.ops] == [("CALLBK", noon)]


def test_a_correction_is_checked_too_even_once_the_next_call_is_on() -> None:
    now = [datetime(2030, 1, 7, 18, tzinfo=UTC).timestamp()]
    execution, recorder = _execution(now)
    _wrap(execution, now[0], "c1")
    _end_wrap(execution, now[0] + 20)
    execution._agent_changed(AgentStateChanged(now[0] + 25, "ann", AgentState.ON_CALL,
                                               AgentState.READY, call_id="c2"))
    now[0] += 30
    with pytest.raises(RunnerError, match="Tue 02:00 in America/Chicago"):
        execution.dispose("ann", "c1", "CALLBK", datetime(2030, 1, 8, 2, tzinfo=CHICAGO))
    assert [op.code for op in recorder.ops] == ["TIMEOUT"]


def test_callback_refusal_checks_every_zone_the_lead_is_placed_in() -> None:
    window = CallingWindow(start=time(8), end=time(21), days=tuple(range(7)))
    # 21:30 in New York is 18:30 in Los Angeles: a lead placed in both is refused.
    at = datetime(2030, 1, 8, 21, 30, tzinfo=ZoneInfo("America/New_York"))
    zones = (ZoneInfo("America/Los_Angeles"), ZoneInfo("America/New_York"))
    assert callback_refusal(at, zones[:1], window, us=True, on_dnc=False) is None
    assert "New_York" in (callback_refusal(at, zones, window, us=True, on_dnc=False) or "")
    # A business window wider than the law is still held to 08:00-21:00 in the US.
    late = datetime(2030, 1, 8, 21, 30, tzinfo=CHICAGO)
    wide = CallingWindow(start=time(0), end=time(23, 59), days=window.days)
    assert "64.1200(c)(1)" in (callback_refusal(late, (CHICAGO,), wide, us=True,
                                                on_dnc=False) or "")


ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("wrap")), st.tuples(st.just("timeout")),
    st.tuples(st.just("dispose"), st.sampled_from(["current", "previous", "other", ""]),
              st.sampled_from(["SALE", "NI"])),
    st.tuples(st.just("wait"), st.sampled_from([1.0, 30.0, CORRECTION_WINDOW + 1]))),
    max_size=30)


@settings(max_examples=300, deadline=None)
@given(ACTIONS)
def test_any_order_leaves_one_disposition_per_attempt(actions) -> None:
    now = [1000.0]
    execution, recorder = _execution(now)
    calls: list[str] = []
    in_wrap: str | None = None
    taken: dict[str, list[str]] = {}  # call -> codes the agent's answers said were saved
    last_closed: str | None = None
    fallback_at: dict[str, float] = {}
    for action in actions:
        if action[0] == "wrap" and in_wrap is None:
            calls.append(f"c{len(calls)}")
            in_wrap = calls[-1]
            _wrap(execution, now[0], in_wrap)
        elif action[0] == "timeout" and in_wrap is not None:
            _end_wrap(execution, now[0])
            fallback_at[in_wrap], last_closed, in_wrap = now[0], in_wrap, None
        elif action[0] == "dispose":
            which = {"current": in_wrap or (calls[-1] if calls else ""),
                     "previous": calls[-2] if len(calls) > 1 else "",
                     "other": "c-unknown", "": ""}[action[1]]
            before = len(recorder.ops)
            # Taken: the call in wrap-up (named, or by default); or the agent's correction of
            # their last call, which the fallback closed, within the window, once.
            expected = (in_wrap is not None and which in (in_wrap, "")) or (
                bool(which) and which == last_closed and which in fallback_at
                and now[0] - fallback_at[which] <= CORRECTION_WINDOW and not taken.get(which))
            try:
                disposed = execution.dispose("ann", which, action[2])
            except RunnerError:
                assert not expected, (which, in_wrap, last_closed)
                assert len(recorder.ops) == before  # a refusal writes nothing
            else:
                assert expected, (which, in_wrap, last_closed)
                taken.setdefault(disposed, []).append(action[2])
                assert recorder.ops[-1].call_uuid == disposed
                assert recorder.ops[-1].code == action[2]
                if disposed == in_wrap:
                    last_closed, in_wrap = in_wrap, None
        elif action[0] == "wait":
            now[0] += action[1]
    for call in calls:
        codes = [op.code for op in recorder.ops if op.call_uuid == call]
        # One disposition by the agent at most; the fallback at most once, and only first.
        assert len(taken.get(call, [])) <= 1, (call, codes)
        assert codes in ([], ["TIMEOUT"], [*taken.get(call, [])],
                         ["TIMEOUT", *taken.get(call, [])]), (call, codes)
    assert all(op.call_uuid in calls for op in recorder.ops)
    assert set(execution.to_dispose.values()) <= ({in_wrap} if in_wrap else set())
