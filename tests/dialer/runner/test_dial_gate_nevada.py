"""NRS 597.814(2)(b) at the dial-time gate: a prerecorded call to a Nevada number this run
made counts as ended by the called party until its outcome says otherwise, so no second
prerecorded call goes out while the first is in progress or after the person hung up on it;
a call whose message the switch played to its end does not stop the next one."""

from __future__ import annotations

from datetime import timedelta

from test_dial_gate import AT, SELLER, DictHistory, FreshNational, prefetched

from dialer.runner.dial_gate import DialTimeGate
from dnc.interfaces import PastAttempt
from dnc.rules.model import CampaignRules, ConsentKind, ConsentRecord, Profile, RecordedMessage

VEGAS = "+17025550123"
RULE = "state.NV.prerecorded.second_call"
DROPS = CampaignRules("spring", profiles=(Profile.US_FEDERAL, Profile.US_STATE), seller=SELLER,
                      prerecorded=True, recorded_message=RecordedMessage(
                          True, "+12015550100", "+18005550100", True))


def consents(number: str) -> tuple[ConsentRecord, ...]:
    return tuple(ConsentRecord(kind, AT - timedelta(days=300), seller=SELLER, number=number,
                               source="web form")
                 for kind in (ConsentKind.PRIOR_EXPRESS_WRITTEN, ConsentKind.PRIOR_EXPRESS))


def gate_for(history: DictHistory | None = None) -> DialTimeGate:
    return DialTimeGate(DROPS, FreshNational(AT), history or DictHistory(),
                        inner_opted_out=lambda n: False)


def test_a_prerecorded_call_in_progress_or_hung_up_on_refuses_the_next_one() -> None:
    gate = gate_for()
    [lead] = prefetched(gate, [VEGAS], consents=consents(VEGAS))
    first = gate.check(lead, AT.timestamp())
    assert first.allowed, first.reasons
    dialed = AT.timestamp()
    gate.record_dial(VEGAS, dialed, "spring", lead.lead_id)
    later = AT.timestamp() + 3600
    in_progress = gate.check(lead, later)
    assert not in_progress.allowed and any(r.startswith(RULE) for r in in_progress.reasons)
    gate.record_outcome(VEGAS, dialed, answered_live=True, called_party_ended=False)
    assert gate.check(lead, later).allowed  # the message played to its end
    gate.record_outcome(VEGAS, dialed, answered_live=True, called_party_ended=True)
    refused = gate.check(lead, later + 86400 * 30)
    assert not refused.allowed and any(r.startswith(RULE) for r in refused.reasons)


def test_another_campaigns_prerecorded_call_hung_up_on_refuses_from_the_journal() -> None:
    hung_up = PastAttempt(AT - timedelta(days=400), VEGAS, "other", answered_live=True,
                          prerecorded_hang_up=True)
    gate = gate_for(DictHistory({VEGAS: [hung_up]}))
    [lead] = prefetched(gate, [VEGAS], consents=consents(VEGAS))
    verdict = gate.check(lead, AT.timestamp())
    assert not verdict.allowed and any(r.startswith(RULE) for r in verdict.reasons)
