"""Tenth pass: the District of Columbia's 15 rings (D.C. Code § 22-3226.08(1)).

"Cause a telephone to ring more than 15 times in an intended telephone solicitation call" is
an abusive telemarketing practice in DC. The settings allow ``ring_timeout`` up to 300 s and
nothing else bounded the rings: a sales campaign ringing 120 s (about 20 rings at the US
cadence, 32 at the FCC's four rings in 15 s) dialed DC numbers. The rule counts the longest a
call may ring (ring timeout, set-up allowance, the engine's lateness) at 3.75 s a ring."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_kit import FakeHistory, FakeRegistries, campaign, fresh_versions, outcome, pewc

from dialer.engine.config import SETUP_ALLOWANCE
from dnc.interfaces import LineType
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import LeadFacts, Profile
from dnc.rules.state import RING_SETUP_ALLOWANCE
from dnc.rules.tables import RuleTables

US = (Profile.US_FEDERAL, Profile.US_STATE)
DC = "+12025550123"
NOON = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tue 12:00 in Washington


def check(number: str, ring: float | None, telemarketing: bool = True):
    engine = ComplianceEngine(FakeRegistries(None, fresh_versions(NOON)), FakeHistory(()),
                              RuleTables())
    lead = LeadFacts(number, consents=(pewc(number),), line_type=LineType.LANDLINE)
    return engine.check(lead, campaign(*US, ring_timeout=ring, telemarketing=telemarketing),
                        NOON)


def test_a_sales_call_to_dc_that_may_ring_120_seconds_is_refused():
    decision = check(DC, 120.0)
    refused = outcome(decision, "state.DC.rings")
    assert not decision.allowed and not refused.passed
    assert "lower ring_timeout to 40.25 s or less" in refused.reason
    assert check(DC, 25.0).allowed  # the default ring time


def test_other_states_and_calls_that_sell_nothing_are_not_concerned():
    assert check("+12015550123", 120.0).allowed  # New Jersey
    assert "state.DC.rings" not in {o.rule_id for o in check(DC, 120.0, False).outcomes}


def test_the_set_up_allowance_counted_is_the_engines():
    assert RING_SETUP_ALLOWANCE == SETUP_ALLOWANCE


@settings(max_examples=60, deadline=None)
@given(ring=st.floats(15.0, 300.0))
def test_no_dc_sales_call_may_ring_a_sixteenth_time(ring):
    """Any ring timeout the settings accept: a DC sales call is allowed only if the longest
    it may ring (ring timeout + the engine's set-up allowance + 1 s) ends before the 16th
    ring begins at 3.75 s a ring."""
    decision = check(DC, ring)
    if decision.allowed:
        assert ring + SETUP_ALLOWANCE + 1.0 <= 15 * 3.75


def test_explain_reads_the_campaigns_ring_time(tmp_path, monkeypatch):
    """``compliance explain --campaign``: the campaign's ``ring_timeout`` (120 s) refuses a
    DC number; ``--ring-timeout`` overrides it."""
    import json

    from cli_kit import READY_SPRING, dialer, use_home

    use_home(tmp_path, monkeypatch)
    assert dialer("db", "upgrade").exit_code == 0
    created = dialer("campaign", "create", "spring", *READY_SPRING, "--set", "ring_timeout=120")
    assert created.exit_code == 0, created.output

    def rings(*extra: str) -> dict:
        result = dialer("compliance", "explain", DC, "--campaign", "spring", "--at",
                        "2026-11-10T17:00:00Z", "--json", *extra)
        assert result.exit_code == 0, result.output
        [rule] = [r for r in json.loads(result.stdout)["rules"] if r["rule"] == "state.DC.rings"]
        return rule

    assert not rings()["passed"]
    assert rings("--ring-timeout", "30")["passed"]
