"""Florida's, Maryland's and Oklahoma's "3 calls in 24 hours on the same subject matter or
issue" (Fla. Stat. 501.616(6)(b)) compare subjects that people type.

On the code before, subjects were compared character for character: three calls recorded
under "Solar" and a fourth campaign whose subject is "solar " were two subject matters, and
the fourth call (then a fifth and sixth) went out. Subjects are now compared as seller names
are, without case, punctuation or repeated spaces.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from dnc.interfaces import LineType, PastAttempt
from dnc.rules.model import LeadFacts, Profile
from tests.dnc.rules.rules_kit import (
    FakeHistory,
    FakeRegistries,
    campaign,
    fresh_versions,
    outcome,
)

AT = datetime(2026, 11, 10, 17, tzinfo=UTC)  # Tuesday 12:00 in Miami
NUMBERS = ["+13055550101", "+13055550102", "+13055550103"]
US = (Profile.US_FEDERAL, Profile.US_STATE)


def _decision(recorded: str, current: str):
    from dnc.rules.engine import ComplianceEngine

    attempts = [
        PastAttempt(AT - timedelta(hours=i + 1), n, "earlier", contact_id="p1", subject=recorded)
        for i, n in enumerate(NUMBERS)
    ]
    engine = ComplianceEngine(FakeRegistries({}, fresh_versions(AT)), FakeHistory(attempts))
    # Preview dialing and a known landline: the FL consent rule for automated dialing does
    # not apply, so the cap alone decides.
    rules = campaign(*US, autodialed=False, subject=current)
    lead = LeadFacts("+13055550104", contact_id="p1", line_type=LineType.LANDLINE)
    return engine.check(lead, rules, AT)


def test_a_fourth_call_on_the_same_subject_typed_differently_is_refused():
    decision = _decision("Solar", "solar ")
    assert not decision.allowed and not outcome(decision, "state.FL.attempts").passed


def test_another_subject_matter_keeps_its_own_count():
    assert _decision("Solar", "Roof repair").allowed


SPELLINGS = st.builds(
    lambda words, upper, sep, tail: sep.join(w.upper() if upper else w for w in words) + tail,
    st.just(["home", "solar"]),
    st.booleans(),
    st.sampled_from([" ", "  ", "-", " - ", "_"]),
    st.sampled_from(["", " ", ".", "!"]),
)


@given(recorded=SPELLINGS, current=SPELLINGS)
@example(recorded="home solar", current="HOME-SOLAR.")
def test_any_spelling_of_one_subject_counts_toward_its_cap(recorded, current):
    assert not outcome(_decision(recorded, current), "state.FL.attempts").passed
