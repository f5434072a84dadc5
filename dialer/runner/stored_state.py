"""A campaign's stored state in words: who set it, from where, and when.

A stop or a pause made on the supervisor's console is written to the store by the runner
and to the audit log by the console (``dialer/web/campaign_controls.py``); one made with
``dialer campaign pause/stop`` only to the store. So the store's state and its last change,
matched with the console's audit entry of that change, say "stopped by supervisor sam from
the console at 14:05 UTC" or "stopped from the command line at 14:05 UTC", in the state
follower's words (``state_follow.from_console``, ``from_command_line``). The console's page
(also once the dialer process has gone) and ``dialer doctor`` read it here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from campaigns.store import CampaignStore
from dialer.runner.state_follow import from_command_line, from_console

STATE_FIELD = "state_seen"
"""The console's dialing controls' hidden field: the stored state the page showed."""
STOP_ACTION = "campaign_stop"
"""The console's audit action of a stop (its ``after`` keeps the instant it stored)."""
CONSOLE_ACTIONS = {"stopped": STOP_ACTION, "paused": "campaign_pause"}
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

    def answer(self) -> dict[str, Any]:
        """What a console page takes from an answer: its next ``state_seen``, its label."""
        return {
            STATE_FIELD: self.state,
            "state_words": self.words,
            "stopped": self.state == "stopped",
        }


def _epoch(value: datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def stored_state(store: CampaignStore, campaign: str) -> StoredState:
    """The stored state in words: a stop or a pause is the console's when its audit entry
    was written with that change (the store's last change), the command line's otherwise
    (database thread)."""
    row = store.campaign(campaign)
    state = str(row.state)
    if state not in CONSOLE_ACTIONS:
        return StoredState(state, state)
    changed = _epoch(row.updated_at)
    if changed is None:
        return StoredState(state, f"{state} from the command line")
    for entry in store.audit_entries(campaigns=[campaign], limit=200):
        if entry.action == CONSOLE_ACTIONS[state] and entry.ok:
            written = (entry.after or {}).get("at")  # a stop's: the instant it stored
            at = written if isinstance(written, int | float) else _epoch(entry.at)
            same = (
                abs(at - changed) < 0.001
                if written is not None and at is not None
                else at is not None and -1.0 <= at - changed <= SAME_WRITE
            )
            if same and at is not None:
                return StoredState(state, f"{state} {from_console(entry.user_name, at)}")
            break
    return StoredState(state, f"{state} {from_command_line(changed)}")
