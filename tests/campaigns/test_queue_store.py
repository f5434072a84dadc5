"""The queue store: configurations validated alone and together, nothing half-written;
queue callbacks claimed by one process; voicemail turned into callbacks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from campaign_clock import NOW

from campaigns.models import QueueCallbackStatus, VoicemailStatus
from campaigns.queue_callbacks import QueueCallbacks
from campaigns.queue_store import QueueError, QueueStore
from campaigns.voicemail_store import VoicemailStore
from dialer.engine.prompts import PromptSet


@pytest.fixture
def queues(store):
    return QueueStore(store, PromptSet.standard(), calendars={})


@pytest.fixture
def callbacks(store):
    return QueueCallbacks(store)


@pytest.fixture
def voicemail(store):
    return VoicemailStore(store)


def test_create_show_edit_and_list(queues) -> None:
    queues.create({"name": "support"}, at=NOW)
    created = queues.create({"name": "sales", "strategy": "round_robin", "max_wait": 60,
                             "overflow": "queue:support"}, at=NOW)
    assert created.overflow.target == "support"
    edited = queues.edit("sales", {"service_level": {"target": 0.9}}, at=NOW)
    assert edited.service_level.target == 0.9 and edited.service_level.within == 20.0
    assert edited.max_wait == 60  # the rest is kept
    assert [c.name for c in queues.all()] == ["sales", "support"]
    assert queues.get("sales").strategy.value == "round_robin"


def test_bad_configurations_are_refused_and_nothing_is_written(queues) -> None:
    with pytest.raises(QueueError, match=r"queue sales: strategy: Input should be"):
        queues.create({"name": "sales", "strategy": "random"}, at=NOW)
    with pytest.raises(QueueError, match="overflow: queue 'billing' is not configured"):
        queues.create({"name": "sales", "max_wait": 30, "overflow": "queue:billing"}, at=NOW)
    with pytest.raises(QueueError, match="prompt 'jingle' is not in the prompt set"):
        queues.create({"name": "sales", "announcements": {"welcome": "jingle"}}, at=NOW)
    assert queues.all() == []
    queues.create({"name": "a"}, at=NOW)
    queues.create({"name": "b", "max_wait": 30, "overflow": "queue:a"}, at=NOW)
    with pytest.raises(QueueError, match="round in a circle"):
        queues.edit("a", {"max_length": 5, "when_full": "queue:b"}, at=NOW)
    assert queues.get("a").max_length is None
    with pytest.raises(QueueError, match="cannot be renamed"):
        queues.edit("a", {"name": "c"}, at=NOW)
    with pytest.raises(QueueError, match="already exists"):
        queues.create({"name": "a"}, at=NOW)
    with pytest.raises(QueueError, match="target of queue b's overflow"):
        queues.delete("a", at=NOW)
    queues.delete("b", at=NOW)
    assert [c.name for c in queues.all()] == ["a"]
    with pytest.raises(QueueError, match="no queue named 'b'"):
        queues.get("b")


def test_a_runner_gets_its_queues_and_their_overflow_targets(queues) -> None:
    queues.create({"name": "support"}, at=NOW)
    queues.create({"name": "sales", "max_wait": 30, "overflow": "queue:support"}, at=NOW)
    queues.create({"name": "other"}, at=NOW)
    served = queues.queue_set(["sales"], PromptSet.standard())
    assert sorted(q.name for q in served) == ["sales", "support"]
    with pytest.raises(QueueError, match="'nope' does not exist"):
        queues.queue_set(["nope"], PromptSet.standard())


def test_callbacks_are_held_by_one_process_until_their_claim_expires(callbacks) -> None:
    place = NOW - timedelta(minutes=5)
    callbacks.add_callback("cb1", "sales", "+12025550101", place, at=NOW, priority=2)
    callbacks.add_callback("cb2", "sales", "+12025550102", NOW, at=NOW)
    callbacks.add_callback("cb3", "other", "+12025550103", NOW, at=NOW)
    ttl = timedelta(seconds=60)
    first = callbacks.claim_callbacks(["sales"], "runner-a", now=NOW, ttl=ttl)
    assert [c.id for c in first] == ["cb1", "cb2"]
    assert callbacks.claim_callbacks(["sales"], "runner-b", now=NOW, ttl=ttl) == []
    callbacks.finish_callback("cb1", QueueCallbackStatus.COMPLETED, 1, at=NOW, call_uuid="x")
    later = NOW + timedelta(seconds=61)  # runner-a died: its claim ran out
    assert [c.id for c in callbacks.claim_callbacks(["sales"], "runner-b", now=later,
                                                    ttl=ttl)] == ["cb2"]
    assert callbacks.release_callbacks("runner-b") == 1
    (done,) = callbacks.callbacks(status="completed")
    assert (done.id, done.attempts, done.completed_call_uuid) == ("cb1", 1, "x")


def test_a_process_whose_claim_lapsed_never_writes_over_the_new_holder(callbacks) -> None:
    """runner-a's claim ran out and runner-b took the callback: a's late attempt or end
    (its call ended after the lapse) is not written over b's row; b's are, and so are a's
    while nobody else holds it."""
    ttl = timedelta(seconds=60)
    callbacks.add_callback("cb1", "sales", "+12025550101", NOW, at=NOW)
    assert [c.id for c in callbacks.claim_callbacks(["sales"], "runner-a", now=NOW,
                                                    ttl=ttl)] == ["cb1"]
    # While a holds it, a writes; b (no claim) does not.
    assert callbacks.callback_attempted("cb1", 1, NOW + ttl, owner="runner-a", at=NOW)
    assert not callbacks.callback_attempted("cb1", 5, NOW, owner="runner-b", at=NOW)
    later = NOW + timedelta(seconds=61)
    assert [c.id for c in callbacks.claim_callbacks(["sales"], "runner-b", now=later,
                                                    ttl=ttl)] == ["cb1"]
    assert callbacks.callback_attempted("cb1", 2, later + ttl, owner="runner-b", at=later)
    # a, late: neither its attempt nor its end lands on b's callback.
    assert not callbacks.callback_attempted("cb1", 2, later, owner="runner-a", at=later)
    assert not callbacks.finish_callback("cb1", QueueCallbackStatus.FAILED, 2, at=later,
                                         owner="runner-a")
    (row,) = callbacks.callbacks()
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 2, "runner-b")
    # b's claim runs out with nobody taking it: a's end is written (nobody else acts on it).
    gone = later + timedelta(seconds=61)
    assert callbacks.finish_callback("cb1", QueueCallbackStatus.COMPLETED, 3, at=gone,
                                     call_uuid="x", owner="runner-a")
    (row,) = callbacks.callbacks()
    assert (row.status, row.attempts, row.claimed_by) == ("completed", 3, None)


def test_voicemail_becomes_a_callback_once(queues, voicemail) -> None:
    queues.create({"name": "sales"}, at=NOW)
    message = voicemail.add_voicemail("call-1", "sales", "+12025550101", "/vm/call-1.wav",
                                      NOW, NOW + timedelta(seconds=42))
    assert message.seconds == 42.0
    (listed,) = voicemail.voicemails(queue="sales", status="new")
    callback = voicemail.voicemail_to_callback(listed.id, "cb-vm", at=NOW, priority=3)
    assert (callback.number, callback.source, callback.priority) == (
        "+12025550101", "voicemail", 3)
    assert voicemail.voicemails()[0].status == VoicemailStatus.CALLBACK
    with pytest.raises(QueueError, match="already has callback cb-vm"):
        voicemail.voicemail_to_callback(listed.id, "cb-2", at=NOW)
    with pytest.raises(QueueError, match="no voicemail with id 999"):
        voicemail.voicemail_to_callback(999, "cb-3", at=NOW)


def test_a_queue_stored_before_a_check_is_refused_naming_its_repair(queues, store) -> None:
    """A row written by an earlier version (an overflow nobody reaches) is never half-read:
    reading it names the repair, and the repair works."""
    import sqlalchemy as sa

    from campaigns.models import InboundQueue

    queues.create({"name": "sales", "max_wait": 60, "overflow": "voicemail"}, at=NOW)
    with store.session() as session:
        session.execute(sa.update(InboundQueue).values(config={
            "name": "sales", "overflow": {"kind": "voicemail"}}))
        session.commit()
    with pytest.raises(QueueError, match=r"queue sales: overflow needs max_wait .*stored "
                                         r"earlier; repair it with `dialer queue edit sales"):
        queues.get("sales")
    # Only where it is used: another queue can be created, listed and served meanwhile.
    queues.create({"name": "support"}, at=NOW)
    readable, broken = queues.survey()
    assert [c.name for c in readable] == ["support"] and list(broken) == ["sales"]
    assert "repair it with `dialer queue edit sales" in broken["sales"]
    assert queues.names() == ["sales", "support"]
    assert [*queues.queue_set(["support"], PromptSet.standard()).queues] \
        == ["support"]
    with pytest.raises(QueueError, match=r"queue sales: overflow needs max_wait .*stored "):
        queues.queue_set(["sales"], PromptSet.standard())
    assert queues.edit("sales", {"max_wait": 90}, at=NOW).max_wait == 90
    assert queues.get("sales").overflow is not None


def test_two_queues_stored_before_a_check_can_each_be_repaired(queues, store) -> None:
    """Editing one queue checks it against the others: an unreadable other must not refuse
    the edit that repairs this one (two such rows used to block each other for good), and a
    queue overflowing to an unreadable one is refused where it is served."""
    import sqlalchemy as sa

    from campaigns.models import InboundQueue

    for name in ("sales", "support"):
        queues.create({"name": name, "max_wait": 60, "overflow": "voicemail"}, at=NOW)
    queues.create({"name": "front", "max_wait": 30, "overflow": "queue:sales"}, at=NOW)
    with store.session() as session:
        for name in ("sales", "support"):
            session.execute(sa.update(InboundQueue).where(InboundQueue.name == name).values(
                config={"name": name, "overflow": {"kind": "voicemail"}}))
        session.commit()
    assert sorted(queues.survey()[1]) == ["sales", "support"]
    with pytest.raises(QueueError, match=r"queue sales: .*stored earlier"):
        queues.queue_set(["front"], PromptSet.standard())  # front overflows to sales
    queues.edit("sales", {"max_wait": 90}, at=NOW)
    queues.edit("support", {"max_wait": 90}, at=NOW)
    assert queues.survey()[1] == {}
    assert sorted(queues.queue_set(["front"], PromptSet.standard()).queues) \
        == ["front", "sales"]


def test_a_queue_a_campaign_serves_cannot_be_retired(queues, store) -> None:
    """Retiring it left the campaign naming a queue that no longer exists: its next
    `dialer run` refused to start."""
    queues.create({"name": "sales"}, at=NOW)
    queues.create({"name": "support"}, at=NOW)
    store.create_campaign("spring", {"caller_ids": ["+12025550100"],
                                     "queues": ["sales", "support"]}, at=NOW)
    with pytest.raises(QueueError, match=r"queue sales is served by campaign spring .*"
                                         r"`dialer campaign edit spring --set "
                                         r"'queues=\[\"support\"\]'`"):
        queues.delete("sales", at=NOW)
    assert [c.name for c in queues.all()] == ["sales", "support"]
    store.edit_campaign("spring", {"queues": ["support"]}, at=NOW)
    queues.delete("sales", at=NOW)
    assert [c.name for c in queues.all()] == ["support"]


def _break(store, name: str, config: dict) -> None:
    """Write ``config`` as queue ``name``'s stored row, as an earlier version could have."""
    import sqlalchemy as sa

    from campaigns.models import InboundQueue

    with store.session() as session:
        session.execute(sa.update(InboundQueue).where(InboundQueue.name == name).values(
            config=config))
        session.commit()


def test_a_queue_stored_before_a_check_blocks_no_retirement(queues, store) -> None:
    """Retiring queue B read every other queue, so one stored before a check (A) refused
    it; and retiring A itself, its repair path, was refused the same way when another
    unreadable queue existed. Each is now read only where it is used."""
    for name in ("a", "b", "c"):
        queues.create({"name": name, "max_wait": 60, "overflow": "voicemail"}, at=NOW)
    _break(store, "a", {"name": "a", "overflow": {"kind": "voicemail"}})
    _break(store, "c", {"name": "c", "overflow": "voicemail"})
    queues.delete("b", at=NOW)
    queues.delete("a", at=NOW)
    assert queues.names() == ["c"]


def test_an_unreadable_queue_sending_callers_to_another_still_blocks_retiring_it(
        queues, store) -> None:
    """Read raw, its overflow still counts: retiring its target would leave it pointing
    at a queue that no longer exists."""
    queues.create({"name": "support"}, at=NOW)
    queues.create({"name": "sales", "max_wait": 60, "overflow": "queue:support"}, at=NOW)
    _break(store, "sales", {"name": "sales", "overflow": "queue:support"})
    with pytest.raises(QueueError, match=r"queue support is the target of queue sales's "
                                         r"overflow"):
        queues.delete("support", at=NOW)
    _break(store, "sales", {"name": "sales", "ivr": {"menus": {"main": {
        "prompt": "main_menu", "options": {"1": {"kind": "queue", "target": "support"}}}}},
        "bogus": 1})
    with pytest.raises(QueueError, match=r"ivr.menus.main.options.1"):
        queues.delete("support", at=NOW)


def _menus(**menus) -> dict:
    return {"name": "sales", "ivr": {"start": "main", "menus": {
        name: {"prompt": "main_menu", **menu} for name, menu in menus.items()}}}


def test_a_menu_nobody_reaches_is_refused_when_saved_and_can_be_removed(queues) -> None:
    """A caller enters at the start menu only: a menu no option leads to was stored and
    never played (a typo in a menu:NAME usually), and an edit could not take it away."""
    with pytest.raises(QueueError, match=r"queue sales: ivr.menus.billing: menu 'billing' is "
                                         r"reached by no key .*--unset ivr.menus.billing"):
        queues.create(_menus(main={"options": {"1": "queue"}},
                             billing={"options": {"1": "queue"}}), at=NOW)
    queues.create(_menus(main={"options": {"1": "menu:billing"}},
                         billing={"options": {"1": "queue", "0": "back"}}), at=NOW)
    with pytest.raises(QueueError, match=r"ivr.menus.billing: menu 'billing' is reached by no"):
        queues.edit("sales", {"ivr": {"menus": {"main": {"options": {"1": "queue"}}}}}, at=NOW)
    edited = queues.edit("sales", {"ivr": {"menus": {"main": {"options": {"1": "queue"}}}}},
                         at=NOW, unset=["ivr.menus.billing", "ivr.menus.main.options.1"])
    assert list(edited.ivr.menus) == ["main"]
    assert str(edited.ivr.menus["main"].options["1"]) == "queue"
    with pytest.raises(QueueError, match=r"ivr.menus.biling: nothing to remove there "
                                         r"\(ivr.menus has: main\)"):
        queues.edit("sales", {}, at=NOW, unset=["ivr.menus.biling"])
    with pytest.raises(QueueError, match="keeps its name"):
        queues.edit("sales", {}, at=NOW, unset=["name"])


def test_an_opt_out_nobody_chose_is_refused_when_saved(queues) -> None:
    """on_timeout or on_invalid = opt_out put a caller who pressed nothing (or the wrong
    key) on the do-not-call list."""
    for key in ("on_timeout", "on_invalid"):
        with pytest.raises(QueueError, match=rf"ivr.menus.main.{key}: opt_out would put a "
                                             r"caller who .* on the do-not-call list"):
            queues.create(_menus(main={"options": {"1": "queue"}, key: "opt_out"}), at=NOW)
    queues.create(_menus(main={"options": {"1": "queue", "9": "opt_out"}}), at=NOW)


def test_menus_no_key_leads_out_of_are_named_not_refused(queues) -> None:
    """"Press 1 for our hours, or stay on the line": callers leave only by timing out.
    It works, slowly; the note says so."""
    config = queues.create(_menus(main={"options": {"1": "menu:hours"}},
                                  hours={"options": {"0": "back", "*": "repeat"}}), at=NOW)
    (problem,) = config.problems()
    assert not problem.refused and "no key leads out of the menus" in problem.message
    assert not queues.edit("sales", {"ivr": {"menus": {"hours": {"options": {
        "1": "queue"}}}}}, at=NOW).problems()


def test_a_queue_with_pending_callbacks_is_retired_only_saying_where_they_go(
        queues, store, callbacks) -> None:
    """Retired, its callbacks stayed pending and no runner claimed them again."""
    queues.create({"name": "sales"}, at=NOW)
    queues.create({"name": "support"}, at=NOW)
    callbacks.add_callback("a", "sales", "+12025550101", NOW, at=NOW)
    callbacks.add_callback("b", "sales", "+12025550102", NOW + timedelta(minutes=5), at=NOW,
                           owner="host/spring", claim_ttl=timedelta(minutes=2))
    with pytest.raises(QueueError, match=r"queue sales has 2 pending callback\(s\) \(the "
                                         r"oldest due .*--callbacks-to OTHER_QUEUE.*"
                                         r"--cancel-callbacks"):
        queues.delete("sales", at=NOW)
    with pytest.raises(QueueError, match=r"1 of queue sales's pending callbacks are held by "
                                         r"a running dialer process \(host/spring\)"):
        queues.delete("sales", at=NOW, callbacks_to="support")
    assert queues.names() == ["sales", "support"]  # nothing half-done
    assert {c.queue for c in callbacks.callbacks()} == {"sales"}
    later = NOW + timedelta(minutes=3)  # the claim ran out
    assert queues.delete("sales", at=later, callbacks_to="support") == 2
    assert {(c.queue, c.status) for c in callbacks.callbacks()} == {("support", "pending")}
    assert queues.delete("support", at=later, cancel_callbacks=True) == 2
    assert {c.status for c in callbacks.callbacks()} == {QueueCallbackStatus.CANCELLED}


def test_times_max_wait_always_cuts_short_are_refused_when_saved(queues) -> None:
    """A callback offered after 600 s in a queue every caller leaves at 300 s, or a
    longest-wait alert above max_wait: stored, and never acted."""
    base = {"name": "sales", "max_wait": 300, "overflow": "voicemail"}
    with pytest.raises(QueueError, match=r"queue sales: callback.offer_after: 600 s: never "
                                         r"offered, max_wait \(300 s\) sends every caller"):
        queues.create({**base, "callback": {"offer_after": 600}}, at=NOW)
    with pytest.raises(QueueError, match=r"alerts.longest_wait: 300 s: never raised"):
        queues.create({**base, "alerts": {"longest_wait": 300}}, at=NOW)
    queues.create({**base, "callback": {"enabled": False, "offer_after": 600},
                   "alerts": {"longest_wait": 120}}, at=NOW)
    with pytest.raises(QueueError, match=r"callback.offer_after"):
        queues.edit("sales", {"callback": {"enabled": True}}, at=NOW)


def test_text_where_a_list_is_meant_says_how_to_write_the_list(queues) -> None:
    """`--set agents=ann` said only "Input should be a valid tuple"."""
    with pytest.raises(QueueError, match=r"queue sales: agents: a list is meant, got the text "
                                         r"'ann': write \[\"ann\"\] \(with --set: "
                                         r"'agents=\[\"ann\"\]'\)"):
        queues.create({"name": "sales", "agents": "ann"}, at=NOW)
