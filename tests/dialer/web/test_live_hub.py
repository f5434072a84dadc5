"""The web tier's fan-out (``dialer.web.live.Hub``): who is told what."""

from __future__ import annotations

from dialer.web.live import Hub, Page


def _events(page: Page) -> list[bytes]:
    found = []
    while not page.queue.empty():
        found.append(page.queue.get_nowait())
    return found


def test_a_runner_going_away_is_told_to_every_page_of_its_campaign_only() -> None:
    hub = Hub()
    ann, bob = Page("spring", "ann"), Page("spring", "bob")
    supervisor, elsewhere = Page("spring", None), Page("autumn", "carl")
    for page in (ann, bob, supervisor, elsewhere):
        hub.add(page)
    hub.dispatch("spring", {"type": "link", "connected": False, "instance": "vm/spring"})
    # Before: the message carries no agent, so no agent page (and no supervisor) got it, and
    # the desktop's "the campaign's dialer process went away" never showed.
    for page in (ann, bob, supervisor):
        (event,) = _events(page)
        assert event.startswith(b"event: link\n") and b'"connected":false' in event
    assert _events(elsewhere) == []


def test_an_agents_view_goes_to_that_agent_and_the_supervisors_only() -> None:
    hub = Hub()
    ann, bob, supervisor = Page("spring", "ann"), Page("spring", "bob"), Page("spring", None)
    for page in (ann, bob, supervisor):
        hub.add(page)
    hub.dispatch("spring", {"type": "agent", "agent": "ann", "state": "ready"})
    assert len(_events(ann)) == 1 and len(_events(supervisor)) == 1
    assert _events(bob) == []
