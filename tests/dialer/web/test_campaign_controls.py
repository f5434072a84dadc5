"""The console's Stop without a browser (dialer/web/campaign_controls.py): with no dialer
process running it is stored as `dialer campaign stop` stores it; a process that does not
answer does not keep it from being stored (fail closed); unconfirmed or of a draft, nothing
changes; and the words of a stored stop name the console's supervisor only while the stop
is theirs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from campaigns.store import CampaignStore
from dialer.runner.demo import demo_settings
from dialer.web.campaign_controls import stop, stored_state

AT = datetime(2026, 5, 28, 20, 26, 40, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    store = CampaignStore.open(f"sqlite:///{tmp_path / 'c.db'}")
    store.create_campaign("spring", demo_settings(False), at=AT)
    store.transition_campaign("spring", "running", at=AT)
    store.create_campaign("draft", demo_settings(False), at=AT)
    yield store
    store.close()


class Unanswered:
    """A process whose control socket does not answer (going away)."""

    def __init__(self) -> None:
        self.asked: list[dict[str, Any]] = []

    async def request(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.asked.append(payload)
        return {"ok": False, "error": "connection refused"}


def _stop(store: CampaignStore, campaign: str, links: list[Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("confirmed", True)
    return asyncio.run(stop(store, campaign, "running", links, "sam", **kw))


def _audit(store: CampaignStore, result: dict[str, Any]) -> None:
    """What the console writes after a stop (pages_supervisor._audit)."""
    store.audit(
        at=datetime.now(UTC),
        user_name="sam",
        role="supervisor",
        action="campaign_stop",
        campaign="spring",
        before={"state": "running"},
        after={"state": "stopped", "at": result["at"]},
        ok=True,
    )


def test_with_no_process_running_the_stop_is_stored_and_named(store) -> None:
    result = _stop(store, "spring", [])
    assert result["ok"] and store.campaign("spring").state == "stopped"
    assert "stopped by supervisor sam from the console at" in result["state_words"]
    _audit(store, result)
    words = stored_state(store, "spring").words
    assert words.startswith("stopped by supervisor sam from the console at ")
    # Started and stopped again from the command line: no longer sam's.
    store.transition_campaign("spring", "running", at=datetime.now(UTC))
    store.transition_campaign("spring", "stopped", at=datetime.now(UTC))
    assert stored_state(store, "spring").words.startswith("stopped from the command line at ")


def test_a_process_that_does_not_answer_does_not_keep_the_stop_from_the_store(store) -> None:
    link = Unanswered()
    result = _stop(store, "spring", [link])
    assert result["ok"], result
    assert store.campaign("spring").state == "stopped"
    assert link.asked[0]["action"] == "stop" and link.asked[0]["supervisor"] == "sam"


def test_unconfirmed_or_a_draft_nothing_changes(store) -> None:
    refused = _stop(store, "spring", [], confirmed=False)
    assert not refused["ok"] and "must be confirmed" in refused["error"]
    assert store.campaign("spring").state == "running"
    draft = asyncio.run(stop(store, "draft", "", [], "sam", confirmed=True))
    assert not draft["ok"] and "nothing to stop" in draft["error"]
    assert store.campaign("draft").state == "draft"


def test_doctor_says_who_stopped_and_when(store) -> None:
    """Before: `dialer doctor` said only "stopped: start it with ..."."""
    from dialer.runner.doctor import _campaign_checks

    result = _stop(store, "spring", [])
    _audit(store, result)
    state = _campaign_checks(store, "spring")[0][0]
    assert state.message.startswith("stopped by supervisor sam from the console at "), state
    assert "dialer campaign start spring" in state.message


@pytest.mark.parametrize("answering", [False, True])
def test_a_stop_from_a_page_that_saw_an_older_version_changes_nothing(store,
                                                                      answering) -> None:
    """Paused and resumed from the command line since the page was drawn: the state looks
    as the page showed it (running), its version does not. With no process running, or
    one that does not answer, the web's own write is the compare-and-set."""
    seen = store.campaign("spring").state_version
    store.transition_campaign("spring", "paused", at=datetime.now(UTC))
    store.transition_campaign("spring", "running", at=datetime.now(UTC))
    links = [Unanswered()] if answering else []
    refused = _stop(store, "spring", links, version=seen)
    assert not refused["ok"] and refused["conflict"], refused
    assert "running, set from the command line at" in refused["error"]
    assert store.campaign("spring").state == "running"
    assert store.campaign("spring").state_version == seen + 2
    # Sent again with the version the answer showed, it stands, named.
    done = _stop(store, "spring", links, version=refused["state_version"])
    assert done["ok"] and store.campaign("spring").state == "stopped"
    assert stored_state(store, "spring").words.startswith(
        "stopped by supervisor sam from the console at ")
