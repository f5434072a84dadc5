"""Recording in the engine: modes, the consent notice in all-party states (and the UK
profile), pause/resume, on demand, the predictable layout."""

from __future__ import annotations

import pytest
from engine_kit import Fixed, RecordingGate, of_type

from dialer.commands import (
    AttemptFinished,
    Bridge,
    PauseRecording,
    PlayMessage,
    ResumeRecording,
    StartRecording,
    StopRecording,
)
from dialer.engine import CampaignConfig, Engine
from dialer.engine.recordings import (
    ConsentPolicy,
    RecordingConfig,
    RecordingError,
    RecordingMode,
)
from dialer.events import (
    AgentLegUp,
    AgentLoggedIn,
    CallAnswered,
    CallBridged,
    CallHungUp,
    RecordingRequested,
)
from dialer.ports import DialTarget, ListLeadSource

ALL_PARTY = frozenset({"CA", "FL", "PA", "WA"})
T0 = 1_765_000_000.0  # 2025-12-06 UTC


def engine_with(recording: RecordingConfig, leads: list[DialTarget]) -> Engine:
    engine = Engine(CampaignConfig("spring", "+12015550100", recording=recording),
                    Fixed(n=1), ListLeadSource(leads), RecordingGate(),
                    assume_switches_up=True)
    engine.handle(AgentLoggedIn(T0, "ann"))
    engine.handle(AgentLegUp(T0, "ann"))
    return engine


def lead(state: str = "", area_state: str = "", n: int = 0) -> DialTarget:
    attributes = {k: v for k, v in (("state", state), ("area_state", area_state)) if v}
    return DialTarget(f"L{n}", f"+1201555{n:04d}", "spring", 2, attributes=attributes)


def connect(engine: Engine, at: float = T0 + 1) -> tuple[str, list, list]:
    [_, originate] = engine.tick(at)
    answered = engine.handle(CallAnswered(at + 5, originate.call_id))
    bridged = engine.handle(CallBridged(at + 5.1, originate.call_id, "ann"))
    return originate.call_id, answered, bridged


CONFIG = RecordingConfig(RecordingMode.ALL, notice_message="ivr/recorded.wav",
                         all_party=ALL_PARTY)


def test_one_party_state_recorded_from_the_answer_in_the_layout() -> None:
    engine = engine_with(CONFIG, [lead("NJ", "NJ")])
    call_id, answered, bridged = connect(engine)
    [start] = of_type(answered, StartRecording)
    assert start.path == f"spring/2025-12-06/L0-2-{call_id}.wav"
    assert not of_type(bridged, StartRecording) and not of_type(bridged, PlayMessage)
    finished = of_type(engine.handle(CallHungUp(T0 + 60, call_id)), AttemptFinished)[0]
    assert finished.recording_path == start.path
    assert (finished.recording_started_at, finished.recording_consent) == (T0 + 6,
                                                                             "not_required")


@pytest.mark.parametrize("state, area_state", [("CA", ""), ("NJ", "PA"), ("", ""),
                                               ("NJ", "NY,PA")])
def test_all_party_or_unknown_state_gets_the_notice_first(state: str, area_state: str) -> None:
    engine = engine_with(CONFIG, [lead(state, area_state)])
    call_id, answered, bridged = connect(engine)
    assert not of_type(answered, StartRecording)  # nothing before the notice
    kinds = [type(c) for c in bridged if not isinstance(c, Bridge)]
    assert kinds.index(PlayMessage) < kinds.index(StartRecording)
    [notice] = of_type(bridged, PlayMessage)
    assert notice.message == "ivr/recorded.wav" and not notice.hangup_after
    finished = of_type(engine.handle(CallHungUp(T0 + 60, call_id)), AttemptFinished)[0]
    assert finished.recording_consent == "notice"


def test_no_recording_setting_skips_all_party_callees() -> None:
    config = RecordingConfig(RecordingMode.ALL, consent=ConsentPolicy.NO_RECORDING,
                             all_party=ALL_PARTY)
    engine = engine_with(config, [lead("FL")])
    call_id, answered, bridged = connect(engine)
    assert not of_type(answered + bridged, StartRecording)
    with pytest.raises(RecordingError, match="all-party-consent"):
        engine.check_recording(call_id, "start")
    finished = of_type(engine.handle(CallHungUp(T0 + 60, call_id)), AttemptFinished)[0]
    assert finished.recording_path is None and finished.recording_consent == ""


def test_uk_profile_notices_everyone() -> None:
    config = RecordingConfig(RecordingMode.ALL, notice_message="ivr/recorded.wav",
                             notice_everyone=True)
    engine = engine_with(config, [lead("NJ", "NJ")])
    _, answered, bridged = connect(engine)
    assert not of_type(answered, StartRecording) and of_type(bridged, PlayMessage)


def test_a_notice_is_required_to_record_with_the_notice_policy() -> None:
    with pytest.raises(RecordingError, match="notice_message"):
        RecordingConfig(RecordingMode.ALL)
    RecordingConfig(RecordingMode.ALL, consent=ConsentPolicy.NO_RECORDING)


def test_percentage_is_a_stable_share() -> None:
    config = RecordingConfig(RecordingMode.PERCENTAGE, percentage=30, all_party=ALL_PARTY,
                             notice_message="n.wav")
    leads = [lead("NJ", "NJ", i) for i in range(400)]
    engine = Engine(CampaignConfig("spring", "+12015550100", recording=config), Fixed(n=400),
                    ListLeadSource(leads), RecordingGate(), assume_switches_up=True)
    originates = [c for c in engine.tick(T0) if type(c).__name__ == "Originate"]
    recorded = sum(bool(of_type(engine.handle(CallAnswered(T0 + 1, o.call_id)),
                                StartRecording)) for o in originates)
    assert 80 <= recorded <= 160


def test_pause_resume_and_on_demand() -> None:
    engine = engine_with(CONFIG, [lead("NJ", "NJ")])
    call_id, _, _ = connect(engine)
    with pytest.raises(RecordingError, match="not paused"):
        engine.check_recording(call_id, "resume")
    [pause] = engine.handle(RecordingRequested(T0 + 20, call_id, "pause"))
    assert isinstance(pause, PauseRecording)
    assert engine.handle(RecordingRequested(T0 + 21, call_id, "pause")) == []  # refused
    assert isinstance(engine.handle(RecordingRequested(T0 + 30, call_id, "resume"))[0],
                      ResumeRecording)
    finished = of_type(engine.handle(CallHungUp(T0 + 60, call_id)), AttemptFinished)[0]
    assert finished.recording_pauses == ((T0 + 20, T0 + 30),)

    demand = RecordingConfig(RecordingMode.ON_DEMAND, all_party=ALL_PARTY,
                             notice_message="n.wav")
    engine = engine_with(demand, [lead("NJ", "NJ")])
    call_id, answered, bridged = connect(engine)
    assert not of_type(answered + bridged, StartRecording)
    [start] = engine.handle(RecordingRequested(T0 + 20, call_id, "start"))
    assert isinstance(start, StartRecording)
    [stop] = engine.handle(RecordingRequested(T0 + 40, call_id, "stop"))
    assert isinstance(stop, StopRecording)
    with pytest.raises(RecordingError, match="not being recorded"):
        engine.check_recording(call_id, "pause")
    with pytest.raises(RecordingError, match="start, pause"):
        engine.check_recording(call_id, "rewind")
    finished = of_type(engine.handle(CallHungUp(T0 + 60, call_id)), AttemptFinished)[0]
    assert finished.recording_consent == "on_demand"

    off = engine_with(RecordingConfig(), [lead("NJ", "NJ")])
    call_id, _, _ = connect(off)
    with pytest.raises(RecordingError, match="off"):
        off.check_recording(call_id, "start")
