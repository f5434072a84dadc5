"""A queue nobody can answer (``leave_when_unstaffed``): its callers go to ``when_unstaffed``
at once, on arrival and when the last agent serving it logs out (or, with ``paused``, pauses),
instead of waiting on music until they give up."""

from __future__ import annotations

import pytest
from inbound_kit import PROMPTS, Caller, queue, world
from pydantic import ValidationError

from dialer.commands import CallOutcome, PlayPrompt, QueueCallbackRequested, StartRecording
from dialer.engine.queue_config import QueueConfig
from dialer.engine.queues import QueueSet, QueueSetError
from dialer.events import AgentLoggedIn, AgentLoggedOut, AgentPaused


def test_a_caller_arriving_when_nobody_is_logged_in_goes_to_voicemail_at_once() -> None:
    w = world(queue(leave_when_unstaffed="logged_out"), agents=0)
    w.add(Caller("c1", 5.0, "sales", "+12025550101", patience=600, message=10))
    w.run()
    assert w.finished("c1").outcome is CallOutcome.VOICEMAIL
    (recording,) = w.of_type(StartRecording)
    assert recording.at < 10.0  # the greeting, then the beep: not after 600 s on hold
    assert any("all_busy" in f for p in w.of_type(PlayPrompt) for f in p.files)


def test_without_the_setting_the_caller_waits_until_they_give_up() -> None:
    """The old behaviour, still the default: the test above is not vacuous."""
    w = world(queue(), agents=0)
    w.add(Caller("c1", 5.0, "sales", "+12025550101", patience=600))
    w.run()
    ended = w.finished("c1")
    assert ended.outcome is CallOutcome.QUEUE_ABANDONED and ended.at == 605.0


def test_callers_leave_when_the_last_agent_logs_out() -> None:
    w = world(queue(leave_when_unstaffed="logged_out", when_unstaffed="callback"), agents=1)
    w.add(Caller("busy", 1.0, "sales", "+12025550100", talk=300))
    w.add(Caller("c1", 2.0, "sales", "+12025550101", patience=1000))
    w.add(Caller("c2", 3.0, "sales", "+12025550102", patience=1000))
    w.at(10.0, AgentLoggedOut(10.0, "a0"))  # after the call in progress (held until then)
    w.run(until=900)
    # a0 logs out at 301 (the end of the call), and both callers keep their place as callbacks.
    requested = w.of_type(QueueCallbackRequested)
    assert sorted(r.place_at for r in requested) == [2.0, 3.0]
    assert all(r.at >= 301.0 for r in requested)
    assert {w.finished(c).outcome for c in ("c1", "c2")} == {CallOutcome.CALLBACK_REQUESTED}


def test_paused_counts_as_nobody_only_with_paused() -> None:
    for mode, leaves in (("logged_out", False), ("paused", True)):
        w = world(queue(leave_when_unstaffed=mode, when_unstaffed="voicemail"), agents=1)
        w.add(Caller("busy", 1.0, "sales", "+12025550100", talk=50))
        w.add(Caller("c1", 2.0, "sales", "+12025550101", patience=400))
        w.at(10.0, AgentPaused(10.0, "a0", "lunch"))
        w.run(until=1000)
        outcome = w.finished("c1").outcome
        assert (outcome is CallOutcome.VOICEMAIL) is leaves, (mode, outcome)
        if not leaves:
            assert outcome is CallOutcome.QUEUE_ABANDONED


def test_another_queue_takes_them_and_an_agent_of_the_queue_keeps_them() -> None:
    w = world(queue("sales", agents=["a0"], leave_when_unstaffed="logged_out",
                    when_unstaffed="queue:support"),
              queue("support", agents=["a1"]), agents=2)
    w.add(Caller("busy", 1.0, "support", "+12025550100", talk=30))
    w.add(Caller("c1", 2.0, "sales", "+12025550101", patience=1000))
    w.at(1.5, AgentLoggedOut(1.5, "a0"))
    w.at(0.5, AgentLoggedIn(0.5, "a2"))  # serves neither named list: sales stays unstaffed
    w.run(until=500)
    ended = w.finished("c1")
    assert ended.outcome is CallOutcome.CONNECTED and ended.queue == "support"
    assert ended.overflowed_from == "sales" and ended.agent_id == "a1"


def test_the_settings_fail_closed() -> None:
    with pytest.raises(ValidationError, match="leave_when_unstaffed"):
        QueueConfig.model_validate({"name": "s", "leave_when_unstaffed": "yes"})
    with pytest.raises(ValidationError, match="when_unstaffed needs leave_when_unstaffed"):
        QueueConfig.model_validate({"name": "s", "when_unstaffed": "voicemail"})
    with pytest.raises(ValidationError, match="when_unstaffed: must be queue:NAME"):
        QueueConfig.model_validate({"name": "s", "leave_when_unstaffed": "paused",
                                    "when_unstaffed": "opt_out"})
    with pytest.raises(QueueSetError, match="round in a circle"):
        QueueSet([queue("a", leave_when_unstaffed="paused", when_unstaffed="queue:b"),
                  queue("b", leave_when_unstaffed="paused", when_unstaffed="queue:a")],
                 PROMPTS)
    with pytest.raises(QueueSetError, match="queue 'nope' is not configured"):
        QueueSet([queue("a", leave_when_unstaffed="paused", when_unstaffed="queue:nope")],
                 PROMPTS)
