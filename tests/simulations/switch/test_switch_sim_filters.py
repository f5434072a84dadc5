"""mod_event_socket's subscription and filter rules, as the simulator applies them."""

from __future__ import annotations

from dialer.esl.event import Event
from simulations.switch.subscriptions import Subscription


def _event(name: str, **headers: str) -> Event:
    return Event.build(name, [(key.replace("_", "-"), value) for key, value in headers.items()])


def test_filters_follow_event_handler() -> None:
    subscription = Subscription()
    answer = _event("CHANNEL_ANSWER", Unique_ID="a", Caller_Destination_Number="15551234567")
    heartbeat = _event("HEARTBEAT")
    assert subscription.passes_filters(answer)  # no filter: everything passes
    assert subscription.filter_command("Unique-ID a") == "+OK filter added. [Unique-ID]=[a]"
    assert subscription.passes_filters(answer)
    assert not subscription.passes_filters(heartbeat)  # header missing: filter skipped, no match
    subscription.filter_command("Unique-ID A")  # equality ignores case
    subscription.filter_command("Caller-Destination-Number -15551234567")
    assert not subscription.passes_filters(answer)  # a negative match drops the event
    subscription.filter_command("delete all")
    subscription.filter_command("Caller-Destination-Number /^1555/")
    assert subscription.passes_filters(answer)
    assert not subscription.passes_filters(_event("CHANNEL_ANSWER",
                                                  Caller_Destination_Number="4420"))


def test_subscriptions_custom_all_and_nixevent() -> None:
    subscription = Subscription()
    reply = subscription.event_command("event plain CHANNEL_ANSWER CUSTOM avmd::beep")
    assert reply == "+OK event listener enabled plain"
    assert subscription.wants("CHANNEL_ANSWER", None)
    assert subscription.wants("CUSTOM", "avmd::beep")
    assert not subscription.wants("CUSTOM", "avmd::start")
    assert not subscription.wants("DTMF", None)
    subscription.event_command("event json ALL")
    assert subscription.format == "json" and subscription.wants("DTMF", None)
    assert subscription.nixevent_command("nixevent DTMF") == "+OK events nixed"
    assert not subscription.wants("DTMF", None) and subscription.wants("CHANNEL_ANSWER", None)
    assert subscription.noevents() == "+OK no longer listening for events"
    assert not subscription.wants("CHANNEL_ANSWER", None)
