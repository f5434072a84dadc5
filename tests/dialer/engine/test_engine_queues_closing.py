"""A driver that stops serving its queues (``QueuesClosing``, a runner asked to stop): its
waiting callers keep their place as queue callbacks, or hear the queue's closed path, at
once, instead of being hung up when the stop grace runs out."""

from __future__ import annotations

from inbound_kit import Caller, queue, world

from dialer.commands import CallOutcome, PlayPrompt, QueueCallbackRequested
from dialer.events import QueuesClosing


def _prompts(w, call_id: str) -> list[str]:
    return [f for p in w.of_type(PlayPrompt) if p.call_id == call_id for f in p.files]


def test_waiting_callers_are_kept_as_callbacks_or_hear_the_closed_path() -> None:
    w = world(queue(), agents=1)
    w.add(Caller("busy", 1.0, "sales", "+12025550100", talk=600))
    w.add(Caller("c1", 2.0, "sales", "+12025550101", patience=1000))
    w.add(Caller("c2", 3.0, "sales", "", patience=1000, message=5))  # number withheld
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=100)
    (kept,) = w.of_type(QueueCallbackRequested)
    assert (kept.number_e164, kept.place_at) == ("+12025550101", 2.0)
    assert w.finished("c1").outcome is CallOutcome.CALLBACK_REQUESTED
    assert w.finished("c1").at < 20.0  # the confirmation, not the stop grace
    assert any("closed" in f for f in _prompts(w, "c2"))
    assert w.finished("c2").outcome is CallOutcome.VOICEMAIL


def test_a_caller_in_the_menu_at_the_stop_is_kept_too() -> None:
    """c1 is in the menu when the stop begins (the key they would press at 13 s comes too
    late): they leave it at once and keep a place from then (before, at their key)."""
    menu = {"menus": {"main": {"prompt": "main_menu", "timeout": 5,
                               "options": {"1": "queue"}}}}
    w = world(queue(ivr=menu), agents=1)
    w.add(Caller("busy", 0.0, "sales", "+12025550100", keys=[(2.0, "1")], talk=600))
    w.add(Caller("c1", 5.0, "sales", "+12025550101", keys=[(8.0, "1")], patience=1000))
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=100)
    (kept,) = w.of_type(QueueCallbackRequested)
    assert kept.number_e164 == "+12025550101" and kept.place_at == 10.0


def test_without_the_event_callers_wait() -> None:
    """The tests above are not vacuous: the same callers wait on."""
    w = world(queue(), agents=1)
    w.add(Caller("busy", 1.0, "sales", "+12025550100", talk=600))
    w.add(Caller("c1", 2.0, "sales", "+12025550101", patience=1000))
    w.run(until=100)
    assert not w.of_type(QueueCallbackRequested) and "c1" not in w.ended


def test_a_caller_leaving_a_voicemail_says_when_it_ends_at_the_latest() -> None:
    """A stopping runner waits for callers leaving a voicemail (dialer/runner/
    inbound_stop.py): the engine names each one's last instant, its greeting's end plus the
    queue's ``voicemail.max_seconds`` (when the engine hangs up), greeting or recording."""
    w = world(queue(voicemail={"max_seconds": 30}), agents=1)
    w.add(Caller("busy", 1.0, "sales", "+12025550100", talk=600))
    w.add(Caller("c2", 3.0, "sales", "", patience=1000, message=100))  # number withheld
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=10.5)
    (until,) = w.engine.inbound.voicemails().values()
    greeting = [p for p in w.of_type(PlayPrompt) if p.call_id == "c2"][-1]
    assert until == 10.0 + len(greeting.files) + 30  # the kit's prompts last 1 s each
    w.run(until=12.0 + len(greeting.files))
    assert w.engine.inbound.voicemails() == {"c2": until}  # recording: the same bound
    w.run(until=until + 1)
    assert w.finished("c2").outcome is CallOutcome.VOICEMAIL and w.finished("c2").at == until
    assert w.engine.inbound.voicemails() == {}


SLOW_MENU = {"menus": {"main": {"prompt": "main_menu", "timeout": 30, "retries": 3,
                                "options": {"1": "queue", "2": "voicemail"}}}}


def test_a_caller_still_in_a_menu_keeps_a_place_as_a_callback() -> None:
    """Before, a caller who had not chosen when the stop began stayed in the menu (its
    timeouts run minutes here) until the stop grace ran out and hung them up. Now they
    leave the menu at once for the queue the dialplan named: callbacks offered and their
    number known, a place kept as a callback (confirmed, then hung up)."""
    w = world(queue(ivr=SLOW_MENU), agents=1)
    w.add(Caller("busy", 0.0, "sales", "+12025550100", keys=[(2.0, "1")], talk=600))
    w.add(Caller("c1", 5.0, "sales", "+12025550101", patience=1000))
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=60)
    (kept,) = w.of_type(QueueCallbackRequested)
    assert (kept.number_e164, kept.place_at) == ("+12025550101", 10.0)
    assert any("callback_confirm" in f for f in _prompts(w, "c1"))
    assert w.finished("c1").outcome is CallOutcome.CALLBACK_REQUESTED
    assert w.finished("c1").at < 20.0


def test_a_caller_in_a_menu_hears_the_closed_path_without_a_callback() -> None:
    """No callback possible (number withheld; or callbacks off): the queue's closed
    prompts, then voicemail (``closed_voicemail``), else goodbye: never a silent hang-up."""
    w = world(queue(ivr=SLOW_MENU), queue("other", ivr=SLOW_MENU, closed_voicemail=False,
                                          callback={"enabled": False}), agents=1)
    w.add(Caller("busy", 0.0, "sales", "+12025550100", keys=[(2.0, "1")], talk=600))
    w.add(Caller("withheld", 5.0, "sales", "", patience=1000, message=5))
    w.add(Caller("no_callbacks", 6.0, "other", "+12025550102", patience=1000))
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=60)
    assert not w.of_type(QueueCallbackRequested)
    assert any("closed" in f for f in _prompts(w, "withheld"))
    assert w.finished("withheld").outcome is CallOutcome.VOICEMAIL
    heard = _prompts(w, "no_callbacks")
    assert heard[-1].endswith("/closed.wav")
    assert w.finished("no_callbacks").outcome is CallOutcome.CLOSED
    assert w.finished("no_callbacks").at < 20.0


def test_without_the_event_a_caller_stays_in_the_menu() -> None:
    """The two tests above are not vacuous: the same caller is still in the menu."""
    w = world(queue(ivr=SLOW_MENU), agents=1)
    w.add(Caller("c1", 5.0, "sales", "+12025550101", patience=1000))
    w.run(until=60)
    assert "c1" not in w.ended and w.engine.calls["c1"].state.value == "ivr"


def test_at_a_stop_a_free_agent_takes_no_new_caller_and_no_callback_is_dialed() -> None:
    """A free agent when the stop begins: the caller in the menu is not connected to them
    (the stop grace would cut the conversation), and the callback they keep is not dialed
    during the stop (the next start claims it from the store)."""
    from dialer.commands import Bridge, Originate

    w = world(queue(ivr=SLOW_MENU), agents=1)
    w.add(Caller("c1", 5.0, "sales", "+12025550101", patience=1000))
    w.at(10.0, QueuesClosing(10.0))
    w.run(until=60)
    assert not w.of_type(Bridge) and not w.of_type(Originate)
    (kept,) = w.of_type(QueueCallbackRequested)
    assert kept.place_at == 10.0 and list(w.engine.inbound.callbacks) == [kept.callback_id]


def test_a_callback_waiting_in_the_line_at_the_stop_is_not_dialed() -> None:
    """c1's callback waits in the line (the agent busy) when the stop begins; the agent
    frees up during the stop. Before, the callback was dialed then (an originate the stop
    grace would cut); now it leaves the line, is not an attempt and stays pending (no
    attempt, no end: the store keeps it for the next start), and the agent stays free."""
    from dialer.commands import AgentState, Originate, QueueCallbackAttempted, QueueCallbackFinished

    w = world(queue(callback={"offer_after": 10}), agents=1)
    w.add(Caller("busy", 0.0, "sales", "+12025550100", talk=300))
    w.add(Caller("c1", 1.0, "sales", "+12025550101", keys=[(20.0, "1")]))
    w.at(100.0, QueuesClosing(100.0))
    w.run(until=400)
    (requested,) = w.of_type(QueueCallbackRequested)
    assert requested.at < 100.0 and w.finished("busy").at == 300.0
    assert not w.of_type(Originate)
    assert not w.of_type(QueueCallbackAttempted) and not w.of_type(QueueCallbackFinished)
    callback = w.engine.inbound.callbacks[requested.callback_id]
    assert callback.attempts == 0 and callback.place_at == 1.0
    assert not w.engine.pool.lines.is_waiting(requested.callback_id)
    assert w.engine.pool.agents["a0"].state is AgentState.READY
