"""The engine's inbound side, path by path: menus, the queue, announcements, overflow,
closed hours, voicemail and queue callbacks (dialer/engine/inbound.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from inbound_kit import PROMPTS, Caller, queue, world
from pydantic import ValidationError

from dialer.commands import (
    AgentState,
    Bridge,
    CallbackResult,
    CallOutcome,
    Hangup,
    OfferWork,
    Originate,
    PlayPrompt,
    QueueCallbackAttempted,
    QueueCallbackFinished,
    QueueCallbackRequested,
    RecordOptOut,
    StartRecording,
    StopPlayback,
    VoicemailRecorded,
)
from dialer.engine.prompts import PromptError, PromptSet
from dialer.engine.queues import QueueSet, QueueSetError, UnknownQueueError
from dialer.events import (
    AgentAccepted,
    AgentLoggedIn,
    AgentPaused,
    AgentReady,
    InboundCallArrived,
    QueueCallbackPending,
)
from dialer.ports import DialTarget, GateVerdict

P = PROMPTS.files
MENU = {
    "start": "main",
    "menus": {
        "main": {"prompt": "main_menu",
                 "options": {"1": "queue:sales", "2": "queue:support", "3": "callback",
                             "4": "voicemail", "5": "menu:more", "9": "opt_out",
                             "*": "repeat"},
                 "timeout": 5, "retries": 1},
        "more": {"prompt": ["welcome"], "options": {"1": "priority:5", "0": "back"},
                 "timeout": 5, "retries": 0},
    },
}


def _busy_agent(w, at: float = 0.0) -> None:
    """Keep the only agent busy with a long call."""
    w.add(Caller("busy", at, w.engine.inbound.queues.queues.__iter__().__next__(),
                 talk=10_000.0))


# --- configuration ---------------------------------------------------------------------


def test_configuration_refuses_what_cannot_run() -> None:
    with pytest.raises(ValidationError, match="need an overflow target"):
        queue(max_wait=60)
    with pytest.raises(ValidationError, match="extra"):
        queue(colour="blue")
    with pytest.raises(ValidationError, match="not a telephone key"):
        queue(ivr={"menus": {"main": {"prompt": "x", "options": {"12": "voicemail"}}}})
    with pytest.raises(ValidationError, match="menu 'nowhere' is not defined"):
        queue(ivr={"menus": {"main": {"prompt": "x", "options": {"1": "menu:nowhere"}}}})
    with pytest.raises(ValidationError, match=r"E\.164"):
        queue(priority={"vip_numbers": ["12345"]})
    with pytest.raises(ValidationError, match="IANA"):
        queue(hours={"timezone": "Mars/Olympus", "days": {}})
    with pytest.raises(QueueSetError, match="'elsewhere' is not configured"):
        QueueSet([queue(max_wait=30, overflow="queue:elsewhere")], PROMPTS)
    with pytest.raises(QueueSetError, match="round in a circle"):
        QueueSet([queue("a", max_wait=30, overflow="queue:b"),
                  queue("b", max_length=3, when_full="queue:a")], PROMPTS)
    with pytest.raises(PromptError, match="'no_such_prompt'"):
        QueueSet([queue(closed=["no_such_prompt"])], PROMPTS)
    with pytest.raises(QueueSetError, match="holiday_calendar"):
        QueueSet([queue(hours={"timezone": "UTC", "days": {"mon": "09:00-17:00"},
                               "holiday_calendar": "XX"})], PROMPTS)
    with pytest.raises(UnknownQueueError, match="not served here"):
        w = world(queue())
        w.feed(InboundCallArrived(1.0, "x", "billing"))


# --- the queue -------------------------------------------------------------------------


def test_a_free_agent_takes_the_caller_at_once_without_music() -> None:
    w = world(queue())
    w.add(Caller("c1", 1.0, "sales", "+12025550101", talk=30))
    w.run()
    (bridge,) = w.of_type(Bridge)
    assert (bridge.call_id, bridge.at) == ("c1", 1.0)
    assert w.of_type(PlayPrompt) == []
    finished = w.finished("c1")
    assert finished.outcome is CallOutcome.CONNECTED and finished.queued_at == 1.0


def test_an_agent_sends_a_caller_to_another_queue_through_its_configuration() -> None:
    """A desk transfer to a queue is that queue's: its members take the caller, its
    music plays while they wait, the record names it."""
    from dialer.commands import ParkCall
    from dialer.events import CallParked, TransferRequested

    w = world(queue("sales", agents=["a0"]),
              queue("billing", agents=["a1"], announcements={"every": None},
                    callback={"enabled": False}), agents=2)
    w.feed(AgentPaused(0.0, "a1", "break"))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", talk=300))
    w.run(until=5.0)
    assert [(b.call_id, b.agent_id) for b in w.of_type(Bridge)] == [("c1", "a0")]
    w.feed(TransferRequested(10.0, "a0", "queue", "billing"))
    assert w.of_type(ParkCall)
    w.feed(CallParked(10.2, "c1"))
    assert w.engine.calls["c1"].inbound.queue.name == "billing"
    music = [p for p in w.of_type(PlayPrompt) if p.call_id == "c1" and p.at >= 10.0]
    assert music and music[-1].music == "local_stream://moh"
    w.run(until=40.0)  # a0 wraps up and is ready again: not a member of billing
    assert [b.agent_id for b in w.of_type(Bridge)] == ["a0"]
    w.feed(AgentReady(50.0, "a1"))
    assert [b.agent_id for b in w.of_type(Bridge)] == ["a0", "a1"]
    w.run()
    assert w.finished("c1").queue == "billing"


def test_waiting_caller_hears_music_position_and_wait_then_is_bridged_with_music_off() -> None:
    q = queue(announcements={"every": 30, "welcome": ["welcome"]}, callback={"enabled": False},
              handle_time=120)
    w = world(q)
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("c1", 10.0, "sales", "+12025550101", talk=10))
    w.run()
    first = [c for c in w.of_type(PlayPrompt) if c.call_id == "c1"]
    assert first[0].at == 10.0 and first[0].music == "local_stream://moh"
    names = [f.rsplit("/", 1)[1][:-4] for f in first[0].files]
    # welcome, "you are number one in line", "your estimated wait is about 2 minutes"
    assert names == ["welcome", "you_are_number", "n1", "in_line", "wait_about", "n2",
                     "minutes"]
    # Every 30 s after the previous announcement ends (7 prompts of 1 s, then 6 without the
    # welcome).
    assert [c.at for c in first[1:]] == [47.0, 83.0]
    (bridge,) = [b for b in w.of_type(Bridge) if b.call_id == "c1"]
    assert bridge.at == 100.0
    stop = [c for c in w.commands if isinstance(c, StopPlayback) and c.at == 100.0]
    assert stop and w.commands.index(stop[-1]) < w.commands.index(bridge)
    assert w.finished("c1").estimated_wait == pytest.approx(120.0)


def test_position_falls_as_callers_ahead_are_served() -> None:
    q = queue(announcements={"every": 10, "estimated_wait": False}, callback={"enabled": False})
    w = world(q)
    w.add(Caller("busy", 0.0, "sales", talk=25))
    for i in range(3):
        w.add(Caller(f"c{i}", 1.0 + i, "sales", talk=25))
    w.run(until=60)
    spoken = [[f.rsplit("/", 1)[1][:-4] for f in c.files] for c in w.of_type(PlayPrompt)
              if c.call_id == "c2"]
    positions = [int(s[s.index("you_are_number") + 1][1:]) for s in spoken
                 if "you_are_number" in s]
    assert positions[0] == 3 and positions[-1] == 1
    assert positions == sorted(positions, reverse=True)


def test_vip_goes_first_and_aging_lets_a_long_wait_overtake() -> None:
    q = queue(priority={"vip_numbers": ["+12025550999"], "vip_priority": 5,
                        "aging_per_minute": 1.0})
    w = world(q)
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("early", 1.0, "sales", "+12025550101", talk=10))
    w.add(Caller("vip", 50.0, "sales", "+12025550999", talk=10))
    w.run()
    order = [b.call_id for b in w.of_type(Bridge)]
    assert order == ["busy", "vip", "early"]  # 5 points beat 49 s of waiting
    w = world(q)
    w.add(Caller("busy", 0.0, "sales", talk=500))
    w.add(Caller("early", 1.0, "sales", "+12025550101", talk=10))
    w.add(Caller("vip", 400.0, "sales", "+12025550999", talk=10))
    w.run()
    assert [b.call_id for b in w.of_type(Bridge)] == ["busy", "early", "vip"]  # aged 6.6 pts


def test_a_caller_data_field_sets_the_priority() -> None:
    q = queue(priority={"field": "dialer_tier", "field_priorities": {"gold": 3},
                        "aging_per_minute": 0})
    w = world(q)
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("plain", 1.0, "sales", talk=10))
    w.add(Caller("gold", 2.0, "sales", variables={"dialer_tier": "gold"}, talk=10))
    w.run()
    assert [b.call_id for b in w.of_type(Bridge)] == ["busy", "gold", "plain"]


def test_max_wait_overflows_to_another_queue_keeping_the_place() -> None:
    w = world(queue("sales", max_wait=30, overflow="queue:support", agents=["a0"]),
              queue("support", agents=["a1"]), agents=2)
    w.add(Caller("busy0", 0.0, "sales", talk=200))
    w.add(Caller("busy1", 0.0, "support", talk=60))
    w.add(Caller("c1", 5.0, "sales", talk=10))
    w.run()
    bridge = next(b for b in w.of_type(Bridge) if b.call_id == "c1")
    assert (bridge.agent_id, bridge.at) == ("a1", 60.0)
    finished = w.finished("c1")
    assert (finished.queue, finished.overflowed_from, finished.queued_at) == (
        "support", "sales", 35.0)


def test_a_full_queue_sends_the_next_caller_to_voicemail() -> None:
    w = world(queue(max_length=1, when_full="voicemail"))
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("c1", 1.0, "sales", talk=10))
    w.add(Caller("c2", 2.0, "sales", "+12025550102", message=12))
    w.run()
    finished = w.finished("c2")
    assert finished.outcome is CallOutcome.VOICEMAIL
    (record,) = w.of_type(StartRecording)
    # "all busy" + greeting + beep: three 1 s prompts, then the recording.
    assert record.call_id == "c2" and record.at == 5.0
    (message,) = w.of_type(VoicemailRecorded)
    assert (message.started_at, message.ended_at, message.caller_number) == (
        5.0, 17.0, "+12025550102")
    assert message.path.startswith("voicemail/sales/1970-01-01/c2")


def test_a_voicemail_is_cut_at_its_maximum_length() -> None:
    w = world(queue(max_length=1, when_full="voicemail", voicemail={"max_seconds": 30}))
    w.add(Caller("busy", 0.0, "sales", talk=500))
    w.add(Caller("c1", 1.0, "sales", talk=10))
    w.add(Caller("c2", 2.0, "sales", message=1000))
    w.run()
    hangup = next(c for c in w.of_type(Hangup) if c.call_id == "c2")
    assert hangup.at == 35.0


# --- opening hours -------------------------------------------------------------------------


HOURS = {"timezone": "America/New_York", "days": {d: "09:00-17:00" for d in
                                                  ("mon", "tue", "wed", "thu", "fri")},
         "holidays": ["12-25"]}


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(("when", "is_open"), [
    ("2026-12-21T15:00", True),    # Monday 10:00 in New York
    ("2026-12-21T23:00", False),   # Monday 18:00
    ("2026-12-26T15:00", False),   # Saturday
    ("2026-12-25T15:00", False),   # Christmas, a Friday
])
def test_opening_hours_and_holidays(when: str, is_open: bool) -> None:
    queues = QueueSet([queue(hours=HOURS)], PROMPTS)
    assert queues.get("sales").is_open(_ts(when)) is is_open


def test_outside_hours_the_caller_hears_closed_then_voicemail() -> None:
    t = _ts("2026-12-21T23:00")
    w = world(queue(hours=HOURS), start=t)
    w.add(Caller("c1", t, "sales", "+12025550101", message=8))
    w.run()
    (prompt,) = w.of_type(PlayPrompt)
    assert prompt.files == (P["closed"], P["voicemail_greeting"], P["beep"])
    assert w.of_type(Bridge) == []
    assert w.finished("c1").outcome is CallOutcome.VOICEMAIL


def test_outside_hours_without_voicemail_the_caller_hears_closed_and_the_call_ends() -> None:
    t = _ts("2026-12-26T15:00")
    w = world(queue(hours=HOURS, closed_voicemail=False), start=t)
    w.add(Caller("c1", t, "sales"))
    w.run()
    (prompt,) = w.of_type(PlayPrompt)
    assert prompt.hangup_after and prompt.files == (P["closed"],)
    assert w.finished("c1").outcome is CallOutcome.CLOSED


def test_a_holiday_calendar_from_the_compliance_tables_closes_the_queue() -> None:
    from dnc.rules.tables import RuleTables

    calendars = RuleTables().holiday_calendars
    hours = {**HOURS, "holidays": [], "holiday_calendar": "RI"}
    queues = QueueSet([queue(hours=hours)], PROMPTS, calendars)
    assert not queues.get("sales").is_open(_ts("2026-08-10T15:00"))  # RI Victory Day
    assert queues.get("sales").is_open(_ts("2026-08-11T15:00"))


# --- menus ---------------------------------------------------------------------------------


def _ivr_world(**extra):
    return world(queue("sales", ivr=MENU, callback={"enabled": True}, **extra),
                 queue("support"), agents=1)


def test_a_key_chooses_the_queue() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 1.0, "sales", keys=[(2.0, "2")], talk=5))
    w.run()
    menu = w.of_type(PlayPrompt)[0]
    assert menu.files == (P["main_menu"],) and menu.at == 1.0
    (bridge,) = w.of_type(Bridge)
    assert bridge.at == 3.0  # at once, barging in on the prompt
    finished = w.finished("c1")
    assert (finished.queue, finished.ivr_keys) == ("support", "2")


def test_timeouts_replay_the_menu_then_give_up_into_the_queue() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", talk=5))
    w.run()
    menus = [c for c in w.of_type(PlayPrompt) if c.files == (P["main_menu"],)]
    # 1 s prompt + 5 s wait, once more (retries 1), then into the queue at 12 s.
    assert [c.at for c in menus] == [0.0, 6.0]
    (bridge,) = w.of_type(Bridge)
    assert bridge.at == 12.0 and w.finished("c1").queue == "sales"


def test_an_unknown_key_says_so_and_replays_the_menu() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", keys=[(1.0, "7"), (4.0, "1")], talk=5))
    w.run()
    assert w.of_type(PlayPrompt)[1].files == (P["invalid_choice"], P["main_menu"])
    assert w.of_type(Bridge)[0].at == 4.0 and w.finished("c1").ivr_keys == "71"


def test_submenu_priority_back_and_repeat() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", keys=[(1.0, "*"), (2.0, "5"), (3.0, "0"), (4.0, "5"),
                                            (5.0, "1")], talk=5))
    w.run()
    played = [c.files for c in w.of_type(PlayPrompt)]
    assert played == [(P["main_menu"],), (P["main_menu"],), (P["welcome"],), (P["main_menu"],),
                      (P["welcome"],)]
    work_priority = w.engine.inbound.queues.get("sales").stats.counts.offered
    assert work_priority == 1 and w.finished("c1").ivr_keys == "*5051"


def test_opt_out_in_the_menu_adds_the_number_to_the_internal_dnc() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", "+12025550101", keys=[(1.0, "9")]))
    w.run()
    (optout,) = w.of_type(RecordOptOut)
    assert optout.number_e164 == "+12025550101" and optout.at == 1.0
    farewell = w.of_type(PlayPrompt)[-1]
    assert farewell.hangup_after and farewell.files == (P["optout_confirm"],)
    finished = w.finished("c1")
    assert finished.outcome is CallOutcome.OPTED_OUT and finished.opted_out


def test_voicemail_from_the_menu() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", "+12025550101", keys=[(1.0, "4")], message=5))
    w.run()
    (record,) = w.of_type(StartRecording)
    assert record.at == 3.0  # greeting and beep, one second each
    assert w.finished("c1").outcome is CallOutcome.VOICEMAIL


def test_hanging_up_in_the_menu_is_an_ivr_abandon() -> None:
    w = _ivr_world()
    w.add(Caller("c1", 0.0, "sales", patience=3.0))
    w.run()
    assert w.finished("c1").outcome is CallOutcome.IVR_ABANDONED


# --- queue callbacks -----------------------------------------------------------------------


def test_a_callback_keeps_the_place_and_calls_back_agent_first() -> None:
    w = world(queue(callback={"offer_after": 10, "retry_after": 60}))
    w.add(Caller("busy", 0.0, "sales", talk=300))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(5.0, "1"), (20.0, "1")]))
    w.add(Caller("c2", 30.0, "sales", "+12025550102", talk=60))
    w.run()
    # The key is ignored before offer_after, accepted after it.
    (requested,) = w.of_type(QueueCallbackRequested)
    assert requested.at == 22.0 and requested.place_at == 1.0
    confirm = [c for c in w.of_type(PlayPrompt) if c.call_id == "c1"][-1]
    assert confirm.files == (P["callback_confirm"],) and confirm.at == 21.0
    assert w.finished("c1").outcome is CallOutcome.CALLBACK_REQUESTED
    # When the agent frees at 300 s the callback is ahead of c2 (who came later):
    # the agent is reserved, then the caller is dialed, then bridged.
    (originate,) = w.of_type(Originate)
    assert originate.at == 300.0 and originate.number_e164 == "+12025550101"
    assert originate.variables["dialer_queue_callback"] == requested.callback_id
    reserved = [s for s in w.agent_states("a0") if s.state is AgentState.RESERVED]
    assert any(s.at == 300.0 for s in reserved)
    bridges = [b.call_id for b in w.of_type(Bridge)]
    assert bridges == ["busy", originate.call_id, "c2"]
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.COMPLETED and done.attempts == 1


def test_an_unanswered_callback_is_retried_then_given_up() -> None:
    w = world(queue(callback={"max_attempts": 2, "retry_after": 100}))
    w.callback_answers = False
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(2.0, "1")]))
    w.add(Caller("busy", 0.0, "sales", talk=50))
    w.run()
    originates = w.of_type(Originate)
    assert [o.at for o in originates] == [50.0, 50.0 + 30 + 100]
    (attempted,) = w.of_type(QueueCallbackAttempted)
    assert attempted.retry_at == 180.0
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.FAILED and done.attempts == 2


def test_a_callback_to_an_opted_out_number_is_never_dialed() -> None:
    w = world(queue())
    w.add(Caller("busy", 0.0, "sales", talk=50))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(2.0, "1")]))
    w.opted_out.add("+12025550101")
    w.run()
    assert w.of_type(Originate) == []
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.OPTED_OUT
    assert w.agent_states("a0")[-1].state is AgentState.READY


def test_a_caller_phoning_again_takes_the_place_of_their_callback() -> None:
    # The first hour: a caller asks to be called back, then phones again while waiting.
    # Before, the dialer rang their number (the line they were on hold with) at the
    # callback's turn and then served the live call too.
    w = world(queue())
    w.add(Caller("busy", 0.0, "sales", talk=300))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(5.0, "1")]))
    w.add(Caller("c2", 50.0, "sales", "+12025550102", talk=30))
    w.add(Caller("c1b", 100.0, "sales", "+12025550101", talk=30))
    w.run()
    assert w.of_type(Originate) == []
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.CANCELLED and done.at == 100.0
    # The new call has the callback's place (1 s), ahead of c2 (50 s).
    assert [b.call_id for b in w.of_type(Bridge)] == ["busy", "c1b", "c2"]
    # Its service level counts from its own arrival, not from the kept place.
    assert w.engine.inbound.queues.get("sales").stats.counts.offered == 4


def test_a_caller_phoning_again_during_a_callback_attempt_is_never_rung_again() -> None:
    w = world(queue(callback={"retry_after": 30, "max_attempts": 3}))
    w.callback_answers = False
    w.add(Caller("busy", 0.0, "sales", talk=50))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(2.0, "1")]))
    w.add(Caller("x", 40.0, "sales", "+12025550777", talk=200))
    w.add(Caller("c1b", 60.0, "sales", "+12025550101", talk=30))  # while the 1st try rings
    w.run()
    # Only the attempt already ringing when they phoned; at the retry's turn the agent
    # reserved for the callback takes the caller on hold.
    assert [o.at for o in w.of_type(Originate)] == [50.0]
    assert [(b.at, b.call_id) for b in w.of_type(Bridge)] == [
        (0.0, "busy"), (80.0, "x"), (280.0, "c1b")]
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.CANCELLED and done.attempts == 1


class HoursGate:
    """A callback gate open from ``opens`` to ``closes`` (engine seconds), as the runner's
    calling-hours gate answers: a refusal names the earliest time it would allow."""

    def __init__(self, opens: float, closes: float, earliest: bool = True) -> None:
        self.opens, self.closes, self.earliest = opens, closes, earliest
        self.asked: list[tuple[str, float, bool]] = []

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        allowed = self.opens <= at < self.closes
        self.asked.append((target.number_e164, at, allowed))
        if allowed:
            return GateVerdict(True, ("callback.calling_hours: open",))
        if not self.earliest:
            return GateVerdict(False, ("callback.calling_hours: outside",))
        until = datetime.fromtimestamp(self.opens if at < self.opens else at + 10_000, UTC)
        return GateVerdict(False, ("callback.calling_hours: outside",
                                   f"earliest-allowed: {until.isoformat()}"))


def test_a_callback_outside_calling_hours_waits_for_them_at_its_place() -> None:
    # The first hour: a callback restored at a runner's start before the caller's morning
    # (or taken from a voicemail at night). Before, a live run checked the internal list
    # only and rang at once.
    gate = HoursGate(opens=1_000.0, closes=50_000.0)
    w = world(queue(), agents=1, callback_gate=gate)
    w.at(10.0, QueueCallbackPending(10.0, "cb-1", "sales", "+12025550101", place_at=5.0))
    w.add(Caller("c2", 400.0, "sales", "+12025550102", talk=30))
    w.run()
    # Refused at 10 s (the agent is freed: c2 is served at once at 400 s), dialed at the
    # earliest time the refusal named; never dialed while the gate said no.
    (originate,) = w.of_type(Originate)
    assert originate.at == 1_000.0 and originate.number_e164 == "+12025550101"
    first = w.of_type(Bridge)[0]
    assert (first.at, first.call_id) == (400.0, "c2")
    assert gate.asked[0] == ("+12025550101", 10.0, False)
    assert all(allowed for _, at, allowed in gate.asked if at == originate.at)
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.COMPLETED and done.attempts == 1  # held: no attempt


def test_a_callback_the_gate_refuses_without_a_time_is_tried_then_given_up() -> None:
    gate = HoursGate(opens=1e12, closes=2e12, earliest=False)
    w = world(queue(callback={"max_attempts": 2, "retry_after": 60}), callback_gate=gate)
    w.at(10.0, QueueCallbackPending(10.0, "cb-1", "sales", "+12025550101", place_at=5.0))
    w.run()
    assert w.of_type(Originate) == []
    assert [at for _, at, _ in gate.asked] == [10.0, 70.0]
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.FAILED and done.attempts == 0
    assert w.agent_states("a0")[-1].state is AgentState.READY


def test_an_agent_freeing_during_the_confirmation_takes_the_live_caller() -> None:
    w = world(queue())
    w.add(Caller("busy", 0.0, "sales", talk=10))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(9.5, "1")], talk=5))
    w.run()
    assert [b.call_id for b in w.of_type(Bridge)] == ["busy", "c1"]
    assert w.of_type(QueueCallbackRequested) == []
    assert w.finished("c1").outcome is CallOutcome.CONNECTED


def test_callbacks_restored_after_a_restart_wait_at_their_place() -> None:
    w = world(queue())
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("c2", 20.0, "sales", "+12025550102", talk=5))
    w.at(30.0, QueueCallbackPending(30.0, "cb-1", "sales", "+12025550101", place_at=10.0))
    w.run()
    assert w.of_type(Originate)[0].at == 100.0  # before c2, who arrived at 20 s
    assert [b.call_id for b in w.of_type(Bridge)][-1] == "c2"


def test_a_restored_callback_is_not_dialed_before_its_stored_next_attempt() -> None:
    # Restored after an unanswered attempt: before, its stored wait was ignored and an
    # idle agent rang the caller again at once (here at 30 s).
    w = world(queue())
    w.at(30.0, QueueCallbackPending(30.0, "cb-1", "sales", "+12025550101", place_at=10.0,
                                    attempts=1, next_attempt_at=200.0))
    w.at(40.0, QueueCallbackPending(40.0, "cb-2", "sales", "+12025550102", place_at=11.0,
                                    attempts=1, next_attempt_at=20.0))  # passed: due now
    w.run()
    assert [(o.at, o.number_e164) for o in w.of_type(Originate)] == [
        (40.0, "+12025550102"), (200.0, "+12025550101")]


def test_overflow_callback_offers_the_key_after_the_maximum_wait() -> None:
    w = world(queue(max_wait=30, overflow="callback", announcements={"every": None}))
    w.add(Caller("busy", 0.0, "sales", talk=200))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(40.0, "1")]))
    w.run()
    offer = [c for c in w.of_type(PlayPrompt) if c.call_id == "c1"][-2]
    assert offer.at == 31.0 and offer.files == (P["callback_offer"], P["key_1"])
    assert w.finished("c1").outcome is CallOutcome.CALLBACK_REQUESTED


# --- strategies ----------------------------------------------------------------------------


def _order(strategy: str, calls: int, agents: int = 3, **extra) -> list[str]:
    w = world(queue(strategy=strategy, **extra), agents=agents, **{
        k: v for k, v in extra.items() if k == "skills_of"})
    for i in range(calls):
        w.add(Caller(f"c{i}", 10.0 * i, "sales", talk=1))
    w.run()
    return [b.agent_id for b in w.of_type(Bridge)]


def test_round_robin_takes_turns_whoever_was_idle_longest() -> None:
    assert _order("round_robin", 6) == ["a0", "a1", "a2", "a0", "a1", "a2"]
    assert _order("longest_idle", 3) == ["a0", "a1", "a2"]


def test_fewest_calls_evens_the_load() -> None:
    w = world(queue(strategy="fewest_calls"), agents=2)
    w.add(Caller("long", 0.0, "sales", talk=100))     # a0 busy
    w.add(Caller("s1", 1.0, "sales", talk=1))         # a1
    w.add(Caller("s2", 5.0, "sales", talk=1))         # a1 again (a0 busy)
    w.add(Caller("s3", 200.0, "sales", talk=1))       # a0: fewer calls than a1
    w.run()
    assert [b.agent_id for b in w.of_type(Bridge)] == ["a0", "a1", "a1", "a0"]


def test_skills_with_levels_pick_the_best_qualified_agent() -> None:
    w = world(queue(strategy="skills", skills={"spanish": 2}), agents=3,
              skills={"a0": frozenset({"spanish:1"}), "a1": frozenset({"spanish:5"}),
                      "a2": frozenset({"spanish:3"})})
    for i in range(2):
        w.add(Caller(f"c{i}", float(i), "sales", talk=100))
    w.add(Caller("c2", 2.0, "sales", talk=1))
    w.run()
    assert [b.agent_id for b in w.of_type(Bridge)] == ["a1", "a2", "a1"]  # a0 never


def test_previous_agent_first() -> None:
    from dialer.events import CallBridged, CallHungUp

    w = world(queue(strategy="previous_agent"), agents=2)
    w.feed(InboundCallArrived(0.0, "x", "sales"))
    w.feed(InboundCallArrived(0.5, "y", "sales", customer_key="K"))
    w.feed(CallBridged(1.0, "x", "a0"))
    w.feed(CallBridged(1.0, "y", "a1"))
    w.feed(CallHungUp(2.0, "x"))
    w.feed(CallHungUp(3.0, "y"))
    w.feed(InboundCallArrived(4.0, "z", "sales", customer_key="K"))
    (bridge,) = [b for b in w.of_type(Bridge) if b.call_id == "z"]
    assert bridge.agent_id == "a1"  # K's agent, not a0 who has been idle longer


def test_ring_all_queue_offers_to_every_member_and_the_first_to_accept_wins() -> None:
    w = world(queue(strategy="ring_all", agents=["a0", "a2"]), agents=3)
    w.feed(InboundCallArrived(1.0, "c1", "sales"))
    (offer,) = w.of_type(OfferWork)
    assert set(offer.agent_ids) == {"a0", "a2"}
    assert w.of_type(Bridge) == []
    w.feed(AgentAccepted(2.0, "a1", "c1"))  # not a member: ignored
    w.feed(AgentAccepted(2.5, "a2", "c1"))
    (bridge,) = w.of_type(Bridge)
    assert bridge.agent_id == "a2"


def test_an_agent_logging_in_serves_only_queues_it_qualifies_for() -> None:
    w = world(queue("sales", skills={"french": 1}), queue("support"), agents=0)
    w.feed(InboundCallArrived(1.0, "c1", "sales"))
    w.feed(InboundCallArrived(2.0, "c2", "support"))
    w.feed(AgentLoggedIn(3.0, "ann"))
    assert [b.call_id for b in w.of_type(Bridge)] == ["c2"]
    w.feed(AgentLoggedIn(4.0, "bob", skills=frozenset({"french:2"})))
    assert [b.call_id for b in w.of_type(Bridge)] == ["c2", "c1"]


def test_an_adopted_call_keeps_its_wait() -> None:
    w = world(queue())
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("c1", 10.0, "sales", talk=5))
    w.at(50.0, InboundCallArrived(50.0, "adopted", "sales", waiting_since=5.0))
    w.run()
    assert [b.call_id for b in w.of_type(Bridge)] == ["busy", "adopted", "c1"]


def test_snapshot_shows_each_queue() -> None:
    w = world(queue(alerts={"queue_length": 1}), agents=1)
    w.add(Caller("busy", 0.0, "sales", talk=100))
    w.add(Caller("c1", 10.0, "sales", talk=5))
    w.run(until=40)
    (snap,) = w.engine.inbound.snapshot(40.0)
    assert (snap.name, snap.waiting, snap.longest_wait, snap.agents_logged_in,
            snap.agents_ready, snap.offered, snap.answered) == ("sales", 1, 30.0, 1, 0, 2, 1)
    assert snap.estimated_wait == pytest.approx(2 * 180.0)


def test_prompt_sets_know_lengths() -> None:
    prompts = PromptSet.uniform(["a", "b"], 2.5)
    assert prompts.length(["a", "b", "a"]) == 7.5
    assert prompts.paths(["b"]) == ("/prompts/b.wav",)
