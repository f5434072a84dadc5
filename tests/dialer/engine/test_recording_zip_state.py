"""The recording notice goes to every callee who may be in an all-party-consent state: the
lead's state, its ZIP code's state and its number's (area code) state, as the compliance
rules place the number, all count.

Before, only the lead's state and the area code's were read: a lead whose address has a
California ZIP and no state column, on a New Jersey number, was recorded from the answer
with no notice (Cal. Penal Code 632.7 requires every party's consent), although the
calling-hours rules already placed that person in California."""

from __future__ import annotations

from types import SimpleNamespace

from engine_kit import RecordingGate, of_type

from campaigns.hopper import ClaimedLead
from dialer.commands import PlayMessage, StartRecording
from dialer.engine import CampaignConfig, Engine
from dialer.engine.recordings import RecordingConfig, RecordingMode
from dialer.events import AgentLegUp, AgentLoggedIn, CallAnswered, CallBridged
from dialer.ports import ListLeadSource
from dialer.runner.campaign_link import CampaignLink
from dnc.recording_consent import all_party_states, postal_state
from tests.dialer.engine.engine_kit import Fixed

T0 = 1_765_000_000.0


def _target(phone: str, postal_code: str | None, state: str | None = None):
    lead = ClaimedLead(lead_id=7, campaign_id=1, campaign="spring", phone=phone,
                       attempt_number=1, priority=0, status="new", timezone=None,
                       state=state, postal_code=postal_code, first_name=None,
                       last_name=None)
    link = SimpleNamespace(name="spring", agent_name=lambda owner: None)
    return CampaignLink.target(link, lead)  # type: ignore[arg-type]


def _recorded_after_notice(target) -> bool:
    config = RecordingConfig(RecordingMode.ALL, notice_message="ivr/recorded.wav",
                             all_party=all_party_states() - {"UK"})
    engine = Engine(CampaignConfig("spring", "+12015550100", recording=config), Fixed(n=1),
                    ListLeadSource([target]), RecordingGate(), assume_switches_up=True)
    engine.handle(AgentLoggedIn(T0, "ann"))
    engine.handle(AgentLegUp(T0, "ann"))
    [_, originate] = engine.tick(T0 + 1)
    answered = engine.handle(CallAnswered(T0 + 6, originate.call_id))
    bridged = engine.handle(CallBridged(T0 + 6.1, originate.call_id, "ann"))
    assert of_type(answered + bridged, StartRecording)
    return not of_type(answered, StartRecording) and bool(of_type(bridged, PlayMessage))


def test_the_zip_codes_state_is_read() -> None:
    assert postal_state("90210") == "CA" and postal_state("02903-1234") == "RI"
    assert postal_state("96799") == "AS"  # American Samoa inside Hawaii's prefix
    assert postal_state(None) is None and postal_state("SW1A 1AA") is None


def test_a_california_zip_on_a_new_jersey_number_gets_the_notice() -> None:
    target = _target("+12015550123", "90210")
    assert target.attributes["zip_state"] == "CA" and target.attributes["area_state"] == "NJ"
    assert _recorded_after_notice(target)


def test_a_new_jersey_zip_on_a_new_jersey_number_is_recorded_from_the_answer() -> None:
    target = _target("+12015550123", "07030", "NJ")
    assert not _recorded_after_notice(target)


def test_a_chicago_number_of_a_new_jersey_lead_gets_the_notice() -> None:
    """Illinois (720 ILCS 5/14-2) and Connecticut need every party's consent; their area
    codes 312 and 203 had no state in the link's table, so a lead whose record said New
    Jersey was recorded from the answer on its Chicago number."""
    for phone, state in (("+13125550123", "IL"), ("+12035550123", "CT")):
        target = _target(phone, "07030", "NJ")
        assert target.attributes["area_state"] == state
        assert _recorded_after_notice(target)
