"""A campaign's stored state in words: who set it, from where, and when.

Every state change is stored with when it was made and, for the console's (written by the
runner, or by the web when no process answers), the supervisor who made it (migration
0015: ``state_changed_at``, ``state_changed_by``; NULL by: ``dialer campaign pause/stop``).
So the store alone says "stopped by supervisor sam from the console at 14:05 UTC" or
"stopped from the command line at 14:05 UTC", in the state follower's words
(``state_follow.from_console``, ``from_command_line``), at once: a conflict's answer names
the winner of a race before the winner's audit entry is written. A change stored before
0015 is matched with the console's audit entry of it, as before. The console's page (also
once the dialer process has gone), its conflict answers and ``dialer doctor`` read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from campaigns.store import CampaignStore
from dialer.runner.state_follow import from_command_line, from_console

STATE_FIELD = "state_seen"
"""The console's dialing controls' hidden field: the stored state the page showed."""
VERSION_FIELD = "state_version"
"""Their other hidden field: the campaign's state version the page showed (the store
writes a Pause, Resume or Stop only over it: ``CampaignStore.transition_campaign``)."""
STOP_ACTION = "campaign_stop"
"""The console's audit action of a stop (its ``after`` keeps the instant it stored)."""
CONSOLE_ACTIONS = {"stopped": STOP_ACTION, "paused": "campaign_pause",
                   "running": "campaign_resume"}
WORDED = ("stopped", "paused")
"""States whose label says who set them and when (a running one says it in a conflict)."""
SAME_WRITE = 5.0
"""Seconds between a stored pause and the console's audit entry of it (written just after
the runner's answer) for the pause to be that entry's; a stop's entry keeps the instant it
stored, which must be the store's."""


@dataclass(frozen=True, slots=True)
class StoredState:
    """The campaign's stored state and, for a stop or a pause, who set it and when."""

    state: str
    words: str
    """``stopped by supervisor sam from the console at 14:05 UTC``, ``paused from the
    command line at 14:05 UTC``, ``running``."""
    version: int = 0
    """The campaign's state version (bumped by every stored state change)."""
    source: str = ""
    """Who set the state and when, for every state: ``by supervisor sam from the console
    at 14:05 UTC``, ``from the command line at 14:05 UTC``; "" when unknown."""

    def answer(self) -> dict[str, Any]:
        """What a console page takes from an answer: its next ``state_seen`` and
        ``state_version``, its label."""
        return {
            STATE_FIELD: self.state,
            VERSION_FIELD: self.version,
            "state_words": self.words,
            "stopped": self.state == "stopped",
        }

    def changed(self) -> str:
        """The state with who set it and when, for a conflict's answer ("running, set by
        supervisor kim from the console at 14:03 UTC")."""
        if self.state in WORDED:
            return self.words
        return f"{self.state}, set {self.source}" if self.source else self.state


def _epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def stored_state(store: CampaignStore, campaign: str) -> StoredState:
    """The stored state in words: who made the last state change and when, as the store
    keeps them with it (a supervisor from the console, or the command line); for a change
    stored before it kept them, the console's when its audit entry was written with that
    change, the command line's otherwise (database thread)."""
    row = store.campaign(campaign)
    state = str(row.state)
    version = row.state_version
    if row.state_changed_at is not None:  # kept with the change itself (0015)
        at = _epoch(row.state_changed_at) or 0.0
        source = (from_command_line(at) if row.state_changed_by is None
                  else from_console(row.state_changed_by, at))
        return StoredState(state, f"{state} {source}" if state in WORDED else state, version,
                           source)
    # A change stored before the store kept who made it: matched with the audit log.
    changed = _epoch(row.updated_at)
    if state not in CONSOLE_ACTIONS:
        return StoredState(state, state, version)
    if changed is None:
        return StoredState(state, f"{state} from the command line" if state in WORDED
                           else state, version, "from the command line")
    source = console_source(store, campaign, CONSOLE_ACTIONS[state], changed) or \
        from_command_line(changed)
    return StoredState(state, f"{state} {source}" if state in WORDED else state, version,
                       source)


def console_source(store: CampaignStore, campaign: str, action: str,
                   changed: float) -> str | None:
    """``by supervisor sam from the console at 14:05 UTC`` when the console's last ``action``
    entry of the campaign was written with the change stored at ``changed``; None when the
    change was not the console's (database thread)."""
    for entry in store.audit_entries(campaigns=[campaign], limit=200):
        if entry.action == action and entry.ok:
            written = (entry.after or {}).get("at")  # a stop's: the instant it stored
            at = written if isinstance(written, int | float) else _epoch(entry.at)
            same = (
                abs(at - changed) < 0.001
                if written is not None and at is not None
                else at is not None and -1.0 <= at - changed <= SAME_WRITE
            )
            if same and at is not None:
                return from_console(entry.user_name, at)
            break
    return None
