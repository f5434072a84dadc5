"""A recorded revocation is the person's request not to be called: for telemarketing a
do-not-call request (``us.stop_request``), and it ends an established business relationship.

Sources (the review's rows F7, F12, F13): 16 CFR 310.4(b)(1)(iii)(A) bars a telemarketing
call to a person who "has previously stated that he or she does not wish to receive an
outbound telephone call made by or on behalf of the seller"; 47 CFR 64.1200(d)(3) has a
request "not to receive calls" honoured (within 10 business days since 11 Apr 2025); FCC
24-24 takes a revocation by any reasonable means that clearly expresses "a desire not to
receive further calls"; 64.1200(f)(5)(i): a seller-specific do-not-call request terminates
an established business relationship "even if the subscriber continues to do business with
the seller".

On the code before, a revocation only ended consents: a telemarketing call that needs no
consent (an autodialed call to a landline outside FL/OK/MD, a registry listing exempted by a
recent inquiry) was placed to a person whose "STOP" was on record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.runner.dial_gate import DialTimeGate
from dnc.interfaces import LineType, Revocation
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import ConsentKind, ConsentRecord, LeadFacts
from tests.dnc.rules.rules_kit import (
    SELLER,
    FakeHistory,
    FakeRegistries,
    campaign,
    fresh_versions,
    outcome,
    pewc,
)

AT = datetime(2026, 7, 15, 16, tzinfo=UTC)  # Wednesday 12:00 in New York
NUMBER = "+12015550123"  # New Jersey: no state consent row
STOP = Revocation(
    NUMBER, None, AT - timedelta(days=2), "sms STOP", recorded_at=AT - timedelta(days=2)
)


class Facts:
    """``NumberFacts`` holding revocations (recorded at or before the instant asked)."""

    def __init__(self, revocations=()) -> None:
        self.items = tuple(revocations)

    def line_type(self, number_e164, at):
        return None

    def revocations(self, number_e164, contact_id, at):
        return [
            r
            for r in self.items
            if (
                r.number_e164 == number_e164
                or (contact_id is not None and r.contact_id == contact_id)
            )
            and (r.recorded_at is None or r.recorded_at <= at)
        ]

    def reassigned(self, number_e164, at):
        return ()


def _engine(revocations=(), listed=False) -> ComplianceEngine:
    versions = fresh_versions(AT)
    listings = {versions[0]: [NUMBER]} if listed else {}
    return ComplianceEngine(
        FakeRegistries(listings, versions), FakeHistory(), facts=Facts(revocations)
    )


LANDLINE = LeadFacts(NUMBER, line_type=LineType.LANDLINE)


def test_a_stop_request_refuses_an_autodialed_telemarketing_call_to_a_landline():
    """No rule asks for consent here (autodialed, live agent, landline, New Jersey): the
    call went out on the code before, though the person had said STOP."""
    assert _engine().check(LANDLINE, campaign(), AT).allowed
    decision = _engine([STOP]).check(LANDLINE, campaign(), AT)
    assert not decision.allowed
    stop = outcome(decision, "us.stop_request")
    assert not stop.passed and stop.earliest is None and "sms STOP" in stop.reason


def test_a_stop_request_ends_the_relationship_that_exempted_a_registry_listing():
    lead = LeadFacts(NUMBER, line_type=LineType.LANDLINE, ebr_last_inquiry=AT - timedelta(days=30))
    allowed = _engine(listed=True).check(lead, campaign(), AT)
    assert allowed.allowed and "ebr:inquiry" in outcome(allowed, "us.national_dnc").reason
    decision = _engine([STOP], listed=True).check(lead, campaign(), AT)
    national = outcome(decision, "us.national_dnc")
    assert not decision.allowed and not national.passed
    assert "ended by the request of" in national.reason
    # A purchase after the request does not renew it (64.1200(f)(5)(i)).
    buyer = LeadFacts(
        NUMBER, line_type=LineType.LANDLINE, ebr_last_transaction=AT - timedelta(days=1)
    )
    assert not outcome(
        _engine([STOP], listed=True).check(buyer, campaign(), AT), "us.national_dnc"
    ).passed


def test_a_request_for_the_person_covers_every_number_of_the_person():
    stop = Revocation(
        None, "p1", AT - timedelta(days=1), "letter", recorded_at=AT - timedelta(days=1)
    )
    lead = LeadFacts(NUMBER, line_type=LineType.LANDLINE, contact_id="p1")
    assert not _engine([stop]).check(lead, campaign(), AT).allowed


def test_a_consent_given_after_the_request_lifts_it_one_given_before_does_not():
    before = pewc(NUMBER, given=STOP.at - timedelta(hours=1))
    after = pewc(NUMBER, given=STOP.at + timedelta(hours=1))
    lead = LeadFacts(NUMBER, line_type=LineType.LANDLINE, consents=(before,))
    assert not _engine([STOP]).check(lead, campaign(), AT).allowed
    lead = LeadFacts(NUMBER, line_type=LineType.LANDLINE, consents=(after,))
    decision = _engine([STOP]).check(lead, campaign(), AT)
    assert decision.allowed and outcome(decision, "us.stop_request").permission
    # Another seller's consent, even later, is not this seller's caller being asked back.
    other = pewc(NUMBER, given=STOP.at + timedelta(hours=1), seller="Other Co")
    lead = LeadFacts(NUMBER, line_type=LineType.LANDLINE, consents=(other,))
    assert not _engine([STOP]).check(lead, campaign(), AT).allowed


def test_an_exempt_prerecorded_call_honours_the_opt_out_too():
    """An informational recorded message to a residential line needs no consent, up to 3
    calls in 30 days (64.1200(a)(3)(ii)-(v)); FCC 20-186 conditions that exemption on
    honouring the called party's request to opt out. On the code before, the first of the
    three went out after the STOP."""
    from dnc.rules.model import RecordedMessage

    notice = campaign(
        telemarketing=False,
        prerecorded=True,
        recorded_message=RecordedMessage(True, "+12015550100", "+18005550100", True),
    )
    assert _engine().check(LANDLINE, notice, AT).allowed
    decision = _engine([STOP]).check(LANDLINE, notice, AT)
    assert not decision.allowed and not outcome(decision, "us.stop_request").passed


def test_calls_that_are_not_telemarketing_are_left_to_the_consent_rules():
    decision = _engine([STOP]).check(LANDLINE, campaign(telemarketing=False), AT)
    assert outcome(decision, "us.stop_request").passed and decision.allowed


def test_the_gate_refuses_the_next_dial_after_a_stop_is_recorded_for_a_lead_without_consent(
    tmp_path: Path,
) -> None:
    """The gate kept revocations only for leads with consents: a lead without any was
    dialled on after its STOP was recorded (in another connection, mid-run)."""
    from dialer.ports import DialTarget
    from dnc.facts import NumberFactsStore
    from tests.dialer.runner.test_dial_gate import US, DictHistory, FreshNational

    gate_facts = NumberFactsStore(tmp_path / "facts.db")
    officer = NumberFactsStore(tmp_path / "facts.db")
    try:
        gate = DialTimeGate(
            US,
            FreshNational(AT - timedelta(days=1)),
            DictHistory(),
            inner_opted_out=lambda n: False,
            facts=gate_facts,
        )
        target = DialTarget("1", NUMBER, "spring")
        gate.prefetch([(target, LeadFacts(NUMBER, line_type=LineType.LANDLINE, lead_id="1"))], AT)
        assert gate.check(target, AT.timestamp()).allowed
        officer.revoke([Revocation(NUMBER, None, AT, "phone call")], AT, "ann")
        verdict = gate.check(target, AT.timestamp() + 1)
        assert not verdict.allowed
        assert any(r.startswith("us.stop_request: ") for r in verdict.reasons)
    finally:
        gate_facts.close()
        officer.close()


HOURS = st.integers(-400, 400)


@settings(max_examples=300, deadline=None)
@given(
    stops=st.lists(st.tuples(HOURS, st.integers(0, 200)), max_size=3),
    consents=st.lists(
        st.tuples(HOURS, st.sampled_from(list(ConsentKind)), st.sampled_from([SELLER, "Other Co"])),
        max_size=3,
    ),
    call=st.integers(-100, 600),
    wireless=st.booleans(),
    listed=st.booleans(),
)
def test_no_telemarketing_call_after_a_stop_without_this_sellers_consent_since(
    stops, consents, call, wireless, listed
):
    """Over any revocations (received and recorded at any instants), any consents and any
    instant: a telemarketing call is allowed only if no revocation is on record or a consent
    naming this seller and number was given after the last one on record."""
    base = AT - timedelta(days=30)
    at = AT + timedelta(minutes=call)
    revocations = [
        Revocation(
            NUMBER,
            None,
            base + timedelta(hours=h),
            "sms STOP",
            recorded_at=base + timedelta(hours=h + lag),
        )
        for h, lag in stops
    ]
    records = tuple(
        ConsentRecord(kind, base + timedelta(hours=h), seller=seller, number=NUMBER, source="form")
        for h, kind, seller in consents
    )
    lead = LeadFacts(
        NUMBER, line_type=LineType.WIRELESS if wireless else LineType.LANDLINE, consents=records
    )
    decision = _engine(revocations, listed).check(lead, campaign(), at)
    in_force = [r for r in revocations if r.recorded_at <= at]  # on record by then
    if not in_force or not decision.allowed:
        return
    last = max(r.at for r in in_force)
    assert any(c.given_at > last and c.given_at <= at and c.seller == SELLER for c in records), (
        decision.to_json()
    )
