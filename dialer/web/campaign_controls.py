"""The console's campaign controls: Pause dialing, Resume dialing and Stop, and the words
that say who stopped or paused the campaign and when.

Each control's form carries the campaign's stored state as its page showed it
(``state_seen``). A Pause, Resume or Stop from a page whose state changed since (another
tab, another supervisor, the command line) is refused with the state now and who set it,
and changes nothing; the page takes the state for its next send. (A Pause sent without
the page's version, by a script, is taken over any state: it dials less.)

Each form also carries the campaign's state version its page showed (``state_version``,
bumped by every stored state change from any path: the console, ``dialer campaign
pause/start/stop``, the runner). Check and act are one step in the store: the runner writes
the Pause, Resume or Stop only over that version (one conditional UPDATE:
``CampaignStore.transition_campaign``, ``state_follow.stop_stored``), so of two tabs in two
``dialer web`` processes exactly one wins, and a tab that saw ``running`` before a pause
and a resume is refused although the state looks the same. The web's per-campaign lock
stays as a first line (two tabs on one web process wait for each other rather than
conflict). A Stop is written by the runner, which records who stopped before the write so
that its run ends naming them.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from campaigns.store import CampaignStore
from dialer.runner.state_follow import from_console, stop_stored
from dialer.runner.stored_state import (
    STATE_FIELD,
    STOP_ACTION,
    VERSION_FIELD,
    StoredState,
    stored_state,
)

__all__ = ["STATE_FIELD", "STOP_ACTION", "VERSION_FIELD", "CampaignLocks", "dialing",
           "seen_version", "stop", "stored_state"]

RESUMABLE = ("running", "paused")
"""Store states a console's Resume may dial in: a campaign stopped, archived or deleted
stays so (the runner's resume would record it as running again)."""
STOPPABLE = RESUMABLE
STOP_CONFIRM = (
    "Stop campaign {campaign} now? No new calls are dialed; calls in progress "
    "finish (up to the stop grace); agents are logged out and their phones "
    "released; the dialer process of {campaign} ends. The console cannot undo "
    "this: only `dialer campaign start {campaign}` and `dialer run {campaign}` "
    "on the command line start it again."
)
"""What the Stop button asks first (what `dialer campaign stop` does to a running process:
docs/operations.md, "A running process follows the campaign's state")."""


class CampaignLocks:
    """One lock per campaign: a console's check and its action on that campaign are one
    step (the second of two tabs sees the first's result)."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    def __call__(self, campaign: str) -> asyncio.Lock:
        return self._locks.setdefault(campaign, asyncio.Lock())


def seen_version(data: dict[str, Any]) -> int | None:
    """The state version a control's page showed; None when the form has none (a client
    of an older page or a script: checked against the state seen alone, as before). A
    version that is not a whole number is no version any store holds: -1, refused."""
    raw = str(data.get(VERSION_FIELD, "")).strip()
    if not raw:
        return None
    return int(raw) if raw.isascii() and raw.isdigit() else -1


def stale(now: StoredState, seen: str, version: int | None) -> bool:
    """Whether the page's view is not the stored one: another state, or the same state
    after changes in between (a pause and a resume: the version moved)."""
    return bool(seen and seen != now.state) or (version is not None and version != now.version)


def conflict(campaign: str, now: StoredState, action: str) -> dict[str, Any]:
    return {
        "ok": False,
        "conflict": True,
        **now.answer(),
        "error": f"nothing changed: campaign {campaign} is {now.changed()} now, not as this "
        f"page showed it (another tab, supervisor or the command line changed "
        f"it). Check it and {action} again if it still stands",
    }


async def stop(
    store: CampaignStore,
    campaign: str,
    seen: str,
    links: list[Any],
    supervisor: str,
    *,
    confirmed: bool,
    version: int | None = None,
) -> dict[str, Any]:
    """The console's Stop, as ``dialer campaign stop``: the stored state (written only
    over the state the page showed) and every running process of the campaign told at
    once (each then ends its run as a stored stop ends it). Called under the campaign's
    lock."""
    now = await asyncio.to_thread(stored_state, store, campaign)
    if not confirmed:
        return {
            "ok": False,
            "error": f"campaign {campaign} not stopped: a stop must be "
            "confirmed (no new dials, calls in progress finish, agents logged out)",
        }
    if now.state == "stopped":
        if stale(now, seen or "stopped", version):
            return {**conflict(campaign, now, "stop"), "was": now.state}
        return {
            "ok": True,
            "was": "stopped",
            **now.answer(),
            "message": f"campaign {campaign} was already {now.words}",
        }
    if now.state not in STOPPABLE:
        return {
            "ok": False,
            **now.answer(),
            "was": now.state,
            "error": f"campaign {campaign} is {now.words}: nothing to stop",
        }
    if stale(now, seen, version):
        return {**conflict(campaign, now, "stop"), "was": now.state}
    expected = [seen or now.state]
    cas = {} if version is None else {"expected_version": version}
    at: Any = None
    done = answered = False
    if links:
        first = await links[0].request(
            {"op": "campaign", "action": "stop", "supervisor": supervisor, "expected": expected,
             **cas}
        )
        done, at = bool(first.get("ok")), first.get("at")
        # Not answered (the process going away, still starting): the store is still told,
        # as `dialer campaign stop` tells it; the runner reads it within its poll.
        answered = done or "state" in first
    if not answered:
        # (After an unanswered request, ``stopped`` may be that runner's own write.)
        also = ["stopped"] if links else []
        at = datetime.now(UTC).timestamp()
        row = await asyncio.to_thread(store.campaign, campaign)
        # (Over the version seen too: a stop that process stored meanwhile reads as done.)
        done, _ = await asyncio.to_thread(stop_stored, store, row.id or 0, expected + also, at,
                                          version, supervisor)
    if done:
        # Every other process of the campaign: stopped already, by this supervisor.
        for link in links[1:]:
            await link.request(
                {
                    "op": "campaign",
                    "action": "stop",
                    "supervisor": supervisor,
                    "expected": ["stopped"],
                }
            )
    after = await asyncio.to_thread(stored_state, store, campaign)
    if not done:
        return {**conflict(campaign, after, "stop"), "was": now.state}
    words = f"stopped {from_console(supervisor, at if isinstance(at, float) else None)}"
    return {
        "ok": True,
        "was": now.state,
        "at": at,
        **after.answer(),
        "state_words": words,
        "message": f"campaign {campaign} {words}: no new dials, calls in progress "
        "finish, agents are logged out; `dialer campaign start "
        f"{campaign}` on the command line starts it again",
    }


async def dialing(
    store: CampaignStore,
    campaign: str,
    action: str,
    seen: str,
    links: list[Any],
    supervisor: str,
    version: int | None = None,
) -> dict[str, Any]:
    """Pause or Resume dialing (under the campaign's lock): a Pause always; a Resume only
    over the state (and state version) the page showed, and never of a stopped campaign.
    The first process writes the store over ``version`` (compare-and-set); the campaign's
    other processes then follow that write (their ``expected_version`` is the one it stored)."""
    pause = action == "campaign_pause"
    now = await asyncio.to_thread(stored_state, store, campaign)
    if not pause and now.state not in RESUMABLE:
        return {
            "ok": False,
            **now.answer(),
            "error": f"campaign {campaign} is {now.words}: dialing stays stopped; "
            f"start it with `dialer campaign start {campaign}` (and `dialer "
            f"run {campaign}`) on the command line if it should dial",
        }
    # A Pause is taken over any state, from any page, however old its view: it dials less.
    # (A supervisor who clicks Pause wants dialing to stop now; refusing a stale tab's
    # Pause would keep dialing until a second click.) Sent without a version, the runner
    # writes it over whatever is stored.
    if pause:
        seen, version = "", None
    if stale(now, seen, version):
        return conflict(campaign, now, "pause" if pause else "resume")
    if not links:
        return {"ok": False, "error": f"campaign {campaign} is not running"}
    results = []
    for link in links:
        result = await link.request(
            {"op": "campaign", "action": "pause" if pause else "resume", "supervisor": supervisor,
             **({} if version is None else {"expected_version": version})}
        )  # named in the pause alert
        results.append(result)
        if result.get("conflict"):  # another writer passed first: nothing changed here
            after = await asyncio.to_thread(stored_state, store, campaign)
            return conflict(campaign, after, "pause" if pause else "resume")
        stored = result.get("state_version")
        if version is not None and result.get("ok") and isinstance(stored, int):
            version = stored  # the next process follows this very write
    result = next((r for r in results if not r.get("ok")), results[0])
    if result.get("ok"):
        done = "paused" if pause else "running"
        result = {
            **result,
            "message": (
                f"dialing was already {done}"
                if result.get("was") == done
                else f"dialing {'paused' if pause else 'resumed'}"
            ),
        }
    return {**result, **(await asyncio.to_thread(stored_state, store, campaign)).answer()}
