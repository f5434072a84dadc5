"""Fill a campaign store with calls of known kinds and times, through ``CampaignStore``'s own
journal API (``journal_batch``: the runner's writes), for the history builder's tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns.journal_batch import AgentStateOp, BeginOp, DispositionOp, FinishOp, UpdateOp
from campaigns.leads import LeadInput
from campaigns.models import AgentState
from campaigns.settings import Outcome
from campaigns.store import CampaignStore


@dataclass(frozen=True, slots=True)
class Call:
    """One attempt: ``kind`` is live, machine, busy or no_answer; times in seconds."""

    dialed_at: datetime
    kind: str
    ring: float = 8.0
    talk: float = 60.0
    wrap: float = 10.0
    connected: bool = True
    """A live or machine answer that reached an agent (else: abandoned / hung up on)."""


def make_campaign(store: CampaignStore, name: str, leads: int, agents: Sequence[str],
                  at: datetime, settings: dict | None = None) -> None:
    store.create_campaign(name, settings or {}, at=at,
                          agents=[(a, f"user/{1000 + i}") for i, a in enumerate(agents)])
    store.add_leads(name, [LeadInput(f"+1201{2000000 + i:07d}") for i in range(leads)], at=at)


def record_calls(store: CampaignStore, name: str, calls: Iterable[Call], agent: str,
                 batch: int = 2000) -> int:
    """Journal ``calls`` (one fresh lead each, connected ones to ``agent``); the number of
    attempts written."""
    lead_ids = [lead.id for lead in store.leads(name, status="new", limit=10**9)]
    agent_id = store.agent(agent).id
    ops: list = []
    written = 0
    for index, call in enumerate(calls):
        uuid = f"{name}-{index}"
        t0 = call.dialed_at
        ops.append(BeginOp(uuid, lead_ids[index], t0))
        answered = t0 + timedelta(seconds=call.ring)
        if call.kind in ("live", "machine"):
            kind = "machine" if call.kind == "machine" else "live"
            ops.append(UpdateOp(uuid, {"answered_at": answered, "answer_kind": kind}))
            if call.connected:
                bridged = answered + timedelta(seconds=0.5)
                ended = bridged + timedelta(seconds=call.talk)
                ops.append(FinishOp(uuid, ended, Outcome.ANSWERED if kind == "live"
                                    else Outcome.MACHINE, "NORMAL_CLEARING",
                                    fields={"bridged_at": bridged, "agent_id": agent_id}))
                if kind == "live":
                    ops.append(DispositionOp(uuid, "SALE",
                                             ended + timedelta(seconds=call.wrap)))
            else:
                ops.append(FinishOp(uuid, answered + timedelta(seconds=12),
                                    Outcome.ABANDONED if kind == "live" else Outcome.MACHINE))
        elif call.kind == "busy":
            ops.append(FinishOp(uuid, t0 + timedelta(seconds=4), Outcome.BUSY, "USER_BUSY"))
        else:
            ops.append(FinishOp(uuid, t0 + timedelta(seconds=25), Outcome.NO_ANSWER,
                                "NO_ANSWER"))
        written += 1
        if len(ops) >= batch:
            _apply(store, ops)
            ops = []
    _apply(store, ops)
    return written


def record_shifts(store: CampaignStore, name: str, agents: Sequence[str],
                  shifts: Iterable[tuple[datetime, datetime]]) -> None:
    """Each agent ready from the start of each shift, paused at its end."""
    campaign_id = store.campaign(name).id
    ops: list = []
    for start, end in shifts:
        for agent in agents:
            agent_id = store.agent(agent).id
            ops += [AgentStateOp(agent_id, AgentState.READY, start, campaign_id=campaign_id),
                    AgentStateOp(agent_id, AgentState.PAUSED, end, campaign_id=campaign_id,
                                 reason="end of shift")]
    _apply(store, ops)


def _apply(store: CampaignStore, ops: list) -> None:
    if not ops:
        return
    result = store.journal_batch(ops)
    assert not result.refused and not result.problems, (result.refused, result.problems)
