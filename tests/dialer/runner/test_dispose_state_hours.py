"""A callback outside a state's own calling hours is refused at the desk (sixteenth pass).

The desk checked a callback against the campaign's hours and the federal 08:00-21:00, not
the narrower hours of the lead's state (Florida's 20:00, Rhode Island's 18:00 and none on
Sunday): such a callback was stored, and the dial gate held it at dial time, so the
promised call silently never happened when planned. Now the state overlays' hours rules
(``dnc.rules.state``, the gate's own) are asked at the desk: the refusal names the rule
and the lead's local time, and the agent stays in wrap-up to choose again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaigns.compliance import campaign_rules
from campaigns.settings import CallingWindow, CampaignSettings
from dialer.ports import DialTarget
from dialer.runner.dispose_checks import state_hours_refusal
from dialer.runner.errors import RunnerError
from dnc.rules.model import LeadFacts
from dnc.rules.tables import RuleTables
from tests.dialer.runner.test_dispose_slips import _execution, _wrap
from tests.dnc.rules.rules_kit import FakeHistory, FakeRegistries

NEW_YORK = ZoneInfo("America/New_York")
WIDE = CallingWindow(start=time(8), end=time(21), days=tuple(range(7)))
"""A campaign open as long as the law allows anywhere: only the state's hours refuse."""
SETTINGS = CampaignSettings(schedule=WIDE)
TABLES = RuleTables()
LEADS = {
    "FL": ("+13055550142", "America/New_York", "FL"),
    "RI": ("+14015550142", "America/New_York", "RI"),
    "TX": ("+12145550142", "America/Chicago", "TX"),
    "NY": ("+12125550142", "America/New_York", "NY"),
}


def _target(state: str) -> DialTarget:
    number, zone, state = LEADS[state]
    return DialTarget(f"lead-{state}", number, "c",
                      attributes={"timezone": zone, "state": state})


def test_a_callback_after_floridas_hours_is_refused_naming_the_rule_and_the_local_time():
    now = [datetime(2030, 1, 7, 18, tzinfo=UTC).timestamp()]
    execution, recorder = _execution(now)
    execution.link.settings = SETTINGS
    execution.engine.calls.get = lambda call_id, default=None: type(
        "Call", (), {"target": _target("FL")})()
    _wrap(execution, now[0], "c1")
    late = datetime(2030, 1, 8, 20, 30, tzinfo=NEW_YORK)  # within 08:00-21:00 and the campaign's
    with pytest.raises(RunnerError) as refusal:
        execution.dispose("ann", "c1", "CALLBK", late)
    said = str(refusal.value)
    assert said.startswith("a callback at that time is refused by FL calling hours (rule "
                           "state.FL.hours, "), said
    assert "Tue 2030-01-08 20:30 in America/New_York is outside Mon-Sun 08:00-20:00, the " \
        "lead's local time; choose a time within them" in said, said
    assert execution.to_dispose == {"ann": "c1"} and recorder.ops == []
    evening = late - timedelta(hours=1)
    assert execution.dispose("ann", "c1", "CALLBK", evening) == "c1"
    assert [(op.code, op.callback_at) for op in recorder.ops] == [("CALLBK", evening)]


def _gate_refuses_hours(state: str, at: datetime) -> bool:
    """Whether the rules' engine, deciding a dial of the lead at ``at`` as the dial gate
    does, fails a state's hours rule."""
    from dnc.rules.engine import ComplianceEngine

    number, zone, state = LEADS[state]
    engine = ComplianceEngine(FakeRegistries(), FakeHistory(), TABLES)
    decision = engine.check(LeadFacts(number, time_zone=zone, state=state),
                            campaign_rules("c", SETTINGS), at)
    return any(not o.passed and o.rule_id.startswith("state.") and o.rule_id.endswith(".hours")
               for o in decision.outcomes)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(LEADS)),
       st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2030, 12, 31)))
def test_the_desk_refuses_exactly_the_state_hours_the_dial_gate_refuses(state, moment):
    """Invariant: for any lead and instant, the desk's state-hours refusal and the dial
    gate's failing state hours rule agree (the same rule code, not a copy of its tables)."""
    at = moment.replace(tzinfo=UTC)
    number, zone, lead_state = LEADS[state]
    desk = state_hours_refusal(at, LeadFacts(number, time_zone=zone, state=lead_state),
                               campaign_rules("c", SETTINGS), TABLES)
    assert (desk is not None) == _gate_refuses_hours(state, at), (state, at, desk)
    if state == "NY":  # no state hours of its own: the federal and campaign checks decide
        assert desk is None
