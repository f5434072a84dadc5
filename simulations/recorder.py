"""Record a simulated campaign in the campaign store, as the live runner records a real one.

One replication of one policy runs on the simulator (``simulations.driver.Simulation``) and
every storage-bound command the engine emits goes through the runner's own translation
(``dialer.runner.campaign_link.CampaignLink``: ``begin_op``, ``finish_op``,
``agent_state_op``, ``disposition_op``) into ``CampaignStore.journal_batch``, in batches. So
a simulated day leaves the rows a real day leaves: a campaign, a lead list, one
``call_attempt`` per dial (dialed, answered, bridged and ended times on the simulated clock
mapped to ``start``; outcome, hangup cause, answer kind, abandoned, the safe-harbour
message), agents with their state history, and dispositions; ``campaign_report``,
``dialer report`` and its XLSX and plots then read it as they read any campaign.

What differs from a live day, and why:

- Leads are created as the simulation reaches them (one list, ``simulated leads``; lead
  *i*'s number is the simulator's ``+1555`` + *i* and its ``source_line`` is *i*), not
  imported from a file: the simulated numbers are not real numbers.
- Mid-call progress (``answered_op``, ``bridged_op``) is not written separately: the
  attempt's finish carries the same fields, so the closed row is the same.
- Dispositions: the simulated agent's wrap-up ends with ``SIM`` (a simulated conversation:
  a final, contact disposition this module adds to the store) for a person, ``AM`` for an
  answering machine connected to an agent (AMD off).
- The simulator sends agents off shift with a pause (at closing time, and when
  ``agents_by_hour`` makes the floor smaller); the store records it as a log-out (the next
  shift or hour logs them in again), so agent hours are the hours staffed, not the night.
- The campaign is left ``archived`` (read-only, never startable) and has no caller ID: a
  recorded simulation can be reported on, never dialed. Its lead list's ``source_file``
  (``simulation:...``) marks it as one: ``replace=True`` deletes only such a campaign.

Call ids are prefixed with the campaign id (``sim<id>-c<n>``): the journal finds attempts by
``call_uuid``, and two recorded policies both have a call ``c0``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from campaigns.journal_batch import JournalOp
from campaigns.models import (
    Agent,
    AgentStateChange,
    CallAttempt,
    Callback,
    Campaign,
    CampaignAgent,
    Disposition,
    Lead,
    LeadList,
    Recording,
)
from campaigns.models import AgentState as StoreAgentState
from campaigns.settings import CampaignSettings, CampaignState
from dialer.commands import AgentState, AgentStateChanged, AttemptFinished, JournalAttempt
from dialer.events import AnswerKind
from dialer.runner.campaign_link import AgentSpec, CampaignLink
from simulations.errors import SimulationError

if TYPE_CHECKING:
    from campaigns.store import CampaignStore
    from simulations.scenario import Scenario

SIMULATED_CONTACT = Disposition(code="SIM", label="Simulated conversation", final=True,
                                contact=True)
MACHINE_DISPOSITION = "AM"
SOURCE_PREFIX = "simulation:"
"""``lead_list.source_file`` of a recorded simulation's list (how one is recognised)."""
OWNER_PREFIX = "simulation:"
"""``call_attempt.process_owner`` of a recorded simulation's attempts."""
OFF_DUTY = frozenset({"end of shift", "off shift"})
"""Reasons of the driver's pauses that send an agent home: closing time
(``Simulation._close_if_idle``) and a smaller floor in this hour (``agents_by_hour``)."""
DAY = 86400.0


class RecordingError(SimulationError):
    """A simulation cannot be recorded (bad start, name taken, scenario not supported)."""


@dataclass(frozen=True, slots=True)
class RecordedRun:
    """What ``record_simulation`` wrote, and the simulator's own figures for the same run."""

    campaign: str
    campaign_id: int
    start: datetime
    """The simulated clock's 0 (the first shift's start), UTC."""
    end: datetime
    """End of the period that holds every recorded event: ``campaign_report(store,
    campaign, start, end)`` covers the whole run."""
    attempts: int
    metrics: dict[str, Any]
    """``simulations.metrics.run_metrics`` of this replication (ground truth)."""


def record_simulation(store: CampaignStore, scenario: Scenario, policy: str, *, name: str,
                      start: datetime, seed: int = 1, replication: int = 0,
                      params: dict[str, Any] | None = None, replace: bool = False,
                      batch_size: int = 20_000) -> RecordedRun:
    """Run replication ``replication`` of ``policy`` (with ``params``) on ``scenario`` and
    record it in ``store`` as campaign ``name``, the simulated clock's 0 at ``start`` (an
    aware datetime). The stream is ``(seed, replication)``, as in ``replicate``: the run is
    the one ``dialer simulate`` reports for that replication.

    ``name`` taken: refused, unless ``replace`` and the campaign is a recorded simulation
    (then it is deleted first). Outbound scenarios only (no inbound calls or queues).
    """
    from simulations.driver import Simulation
    from simulations.metrics import run_metrics

    check_recordable(scenario, start)
    simulation = Simulation(scenario, policy, seed, replication, params)
    prepare_name(store, name, replace=replace)
    link = create_campaign(store, scenario, policy, params or {}, name=name, start=start,
                           provenance=f"{scenario.path}:{policy}:seed={seed}:"
                                      f"replication={replication}")
    recorder = Recorder(store, link, start, batch_size=batch_size)
    simulation.observe((JournalAttempt, AttemptFinished, AgentStateChanged), recorder.take)
    try:
        tally = simulation.run()
        recorder.close()
    except BaseException:
        delete_simulated(store, link.campaign_id)  # no half-recorded campaign is left
        raise
    end = start + timedelta(seconds=max(scenario.campaign.days * DAY,
                                        math.ceil(recorder.last_at) + 1.0))
    return RecordedRun(name, link.campaign_id, start, end, recorder.attempts,
                       run_metrics(scenario, tally))


def check_recordable(scenario: Scenario, start: datetime) -> None:
    if start.tzinfo is None:
        raise RecordingError(f"start {start.isoformat()}: give a time zone (UTC: +00:00)")
    if not scenario.campaign.outbound or scenario.inbound.any_calls or scenario.queues:
        raise RecordingError(f"{scenario.path}: only outbound scenarios can be recorded "
                             "(this one has inbound calls or queues)")


def is_simulated(store: CampaignStore, campaign_id: int) -> bool:
    """True when the campaign is a recorded simulation (what ``replace`` may delete): every
    lead list of it is a simulation's (and it has one), and every attempt was journaled by
    a simulation."""
    with store.engine.connect() as connection:
        sources = connection.execute(sa.select(LeadList.source_file).where(
            LeadList.campaign_id == campaign_id)).scalars().all()
        foreign = connection.execute(sa.select(CallAttempt.id).where(
            CallAttempt.campaign_id == campaign_id, sa.or_(
                CallAttempt.process_owner.is_(None),
                ~CallAttempt.process_owner.startswith(OWNER_PREFIX))).limit(1)).first()
    return (bool(sources) and all((s or "").startswith(SOURCE_PREFIX) for s in sources)
            and foreign is None)


def check_name(store: CampaignStore, name: str, *, replace: bool) -> int | None:
    """The id of the recorded simulation ``replace`` would delete to free ``name``, None
    when the name is free; a name in use (any state but deleted) is refused without
    ``replace``, and a real campaign's always."""
    with store.engine.connect() as connection:
        found = connection.execute(sa.select(Campaign.id, Campaign.state).where(
            Campaign.name == name)).first()
    if found is None:
        return None
    campaign_id, state = found
    if not replace:
        raise RecordingError(f"campaign {name!r} already exists (--replace replaces a "
                             "recorded simulation; --campaign-name chooses another name)")
    if state not in (CampaignState.ARCHIVED, CampaignState.DRAFT) or not is_simulated(
            store, campaign_id):
        raise RecordingError(f"campaign {name!r} is not a recorded simulation: not replaced "
                             "(choose another --campaign-name)")
    return int(campaign_id)


def prepare_name(store: CampaignStore, name: str, *, replace: bool) -> None:
    """``check_name``, then delete the recorded simulation it names, if any."""
    existing = check_name(store, name, replace=replace)
    if existing is not None:
        delete_simulated(store, existing)


def delete_simulated(store: CampaignStore, campaign_id: int) -> None:
    """Every row of a recorded simulation, its agents included (one transaction)."""
    with store.session() as session:
        agent_ids = list(session.execute(sa.select(CampaignAgent.agent_id).where(
            CampaignAgent.campaign_id == campaign_id)).scalars())
        for table in (AgentStateChange, Recording, CallAttempt, Callback, Lead, LeadList,
                      CampaignAgent):
            session.execute(sa.delete(table).where(table.campaign_id == campaign_id))
        if agent_ids:
            # Only agents no other campaign uses (a recorded simulation's agents are its own).
            shared = sa.select(CampaignAgent.agent_id).where(CampaignAgent.agent_id.in_(
                agent_ids))
            session.execute(sa.delete(Agent).where(Agent.id.in_(agent_ids),
                                                   Agent.id.not_in(shared)))
        session.execute(sa.delete(Campaign).where(Campaign.id == campaign_id))
        session.commit()


def campaign_settings(scenario: Scenario, policy: str, params: dict[str, Any]
                      ) -> dict[str, Any]:
    """The store's settings of the simulated campaign (what the engine ran with, except
    the AMD false-positive estimate: the scenario's rate, which the simulated engine does not
    charge since the driver reports every false positive, docs/simulations.md). No caller
    ID: a recorded simulation cannot be started."""
    c, amd = scenario.campaign, scenario.amd
    return {
        "pacing_policy": policy, "pacing_params": dict(params),
        "abandon_target": c.abandon_limit, "connect_window": c.connect_window,
        "ring_timeout": max(scenario.population.no_answer_timeout, 15.0),
        "amd_enabled": amd.enabled,
        "amd_false_positive_estimate": amd.false_positive if amd.enabled else None,
        "decision_interval": c.decision_interval,
        "abandon_window_hours": c.window_days * 24.0,
        "allowed_dispositions": [*CampaignSettings().allowed_dispositions,
                                 SIMULATED_CONTACT.code],
    }


def create_campaign(store: CampaignStore, scenario: Scenario, policy: str,
                    params: dict[str, Any], *, name: str, start: datetime, provenance: str
                    ) -> SimulationLink:
    """The campaign (draft until recorded), its agents, its lead list, the ``SIM``
    disposition; returns the link the recorder translates through."""
    agents = [(f"{name}/a{i}", f"simulated/a{i}") for i in range(scenario.campaign.agents)]
    with store.engine.connect() as connection:
        taken = connection.execute(sa.select(Agent.name).where(
            Agent.name.in_([a for a, _ in agents]))).scalars().first()
    if taken is not None:
        raise RecordingError(f"agent {taken!r} already exists: choose another campaign name")
    if len(agents[-1][0] if agents else name) > 120:
        raise RecordingError(f"campaign name {name!r} is too long for its agents' names")
    existing = {d.code: d for d in store.dispositions()}
    known = existing.get(SIMULATED_CONTACT.code)
    if known is None:
        store.add_disposition(SIMULATED_CONTACT.model_copy())
    elif not (known.final and known.contact):
        raise RecordingError(f"disposition {known.code!r} exists and is not a final contact")
    row = store.create_campaign(name, campaign_settings(scenario, policy, params), at=start,
                                agents=agents)
    with store.engine.begin() as connection:
        list_id = connection.execute(sa.insert(LeadList).values(
            campaign_id=row.id, name="simulated leads", source_file=(
                SOURCE_PREFIX + provenance)[:500], created_at=start, imported_rows=0,
            rejected_rows=0, active=True).returning(LeadList.id)).scalar_one()
    return SimulationLink(store, row.id or 0, name, list_id,
                          {f"a{i}": agent.id for i, agent in enumerate(store.agents(row.id))
                           if agent.name == f"{name}/a{i}"})


class SimulationLink(CampaignLink):
    """The runner's ``CampaignLink`` over a campaign made for a simulation: the same op
    builders, without the checks that a campaign is running and may dial."""

    def __init__(self, store: CampaignStore, campaign_id: int, name: str, list_id: int,
                 agents: dict[str, int]) -> None:
        self.store = store
        self.name = name
        self.campaign_id = campaign_id
        self.list_id = list_id
        self.owner = f"{OWNER_PREFIX}{name}"[:120]
        self.settings = store.settings(campaign_id)
        self.agents = {engine_id: AgentSpec(engine_id, f"simulated/{engine_id}",
                                            store_id=store_id)
                       for engine_id, store_id in agents.items()}
        self.dispositions = {d.code: d for d in store.dispositions(campaign_id)}


def _shift(finished: AttemptFinished, offset: float, call_uuid: str) -> AttemptFinished:
    """The record on the store's clock (epoch seconds)."""
    def moved(at: float | None) -> float | None:
        return None if at is None else at + offset

    return dataclasses.replace(
        finished, call_id=call_uuid, at=finished.at + offset,
        dialed_at=moved(finished.dialed_at), answered_at=moved(finished.answered_at),
        bridged_at=moved(finished.bridged_at), ended_at=finished.ended_at + offset
        if finished.ended_at else finished.at + offset,
        message_started_at=moved(finished.message_started_at),
        recording_started_at=moved(finished.recording_started_at))


class Recorder:
    """Buffers the engine's storage-bound commands and writes them through the link's op
    builders and ``journal_batch``, ``batch_size`` commands a transaction."""

    def __init__(self, store: CampaignStore, link: SimulationLink, start: datetime, *,
                 batch_size: int = 20_000) -> None:
        self.store = store
        self.link = link
        self.offset = start.timestamp()
        self.batch_size = batch_size
        self.attempts = 0
        self.last_at = 0.0
        self._buffer: list[Any] = []
        self._lead_ids: dict[int, int] = {}
        self._leads_made = 0
        self._in_wrap: dict[str, str] = {}
        """Engine agent id → the call (store uuid) whose wrap-up it is in."""
        self._disposition: dict[str, str] = {}
        """Store uuid → the disposition its wrap-up ends with."""
        self._prefix = f"sim{link.campaign_id}-"

    def take(self, command: Any) -> None:
        """The driver's observer: keep the command for the next batch."""
        buffer = self._buffer
        buffer.append(command)
        if len(buffer) >= self.batch_size:
            self.flush()

    def close(self) -> None:
        """Write what is left, count the list's leads and archive the campaign."""
        self.flush()
        with self.store.engine.begin() as connection:
            connection.execute(sa.update(LeadList).where(LeadList.id == self.link.list_id)
                               .values(imported_rows=self._leads_made))
        at = datetime.fromtimestamp(self.offset + self.last_at, UTC)
        self.store.transition_campaign(self.link.campaign_id, CampaignState.ARCHIVED, at=at)

    def flush(self) -> None:
        commands, self._buffer = self._buffer, []
        if not commands:
            return
        needed = max((int(c.lead_id) for c in commands if isinstance(c, JournalAttempt)),
                     default=-1)
        if needed >= self._leads_made:
            self._add_leads(needed + 1)
        ops = self._ops(commands)
        result = self.store.journal_batch(ops, owner=self.link.owner)
        if result.refused or result.problems:
            first = next(iter(result.refused.values()), None) or result.problems[0]
            raise RecordingError(f"the store refused a simulated record: {first}")

    def _ops(self, commands: Sequence[Any]) -> list[JournalOp]:
        link, offset, prefix = self.link, self.offset, self._prefix
        ops: list[JournalOp] = []
        for command in commands:
            if isinstance(command, JournalAttempt):
                self.attempts += 1
                ops.append(link.begin_op(dataclasses.replace(
                    command, at=command.at + offset, call_id=prefix + command.call_id,
                    lead_id=str(self._lead_ids[int(command.lead_id)]))))
            elif isinstance(command, AttemptFinished):
                uuid = prefix + command.call_id
                if command.agent_id is not None:
                    self._disposition[uuid] = (
                        MACHINE_DISPOSITION if command.answer_kind is AnswerKind.MACHINE
                        else SIMULATED_CONTACT.code)
                ops.append(link.finish_op(_shift(command, offset, uuid)))
                self.last_at = max(self.last_at, command.ended_at or command.at)
            else:
                ops.extend(self._agent_ops(command))
        return ops

    def _agent_ops(self, change: AgentStateChanged) -> list[JournalOp]:
        """The change, as the runner journals it, and the disposition that ends a wrap-up
        (the runner writes the agent's; here the simulated agent's)."""
        at = change.at + self.offset
        uuid = self._prefix + change.call_id if change.call_id else None
        ops: list[JournalOp] = []
        if change.previous is AgentState.WRAP_UP:
            ended = self._in_wrap.pop(change.agent_id, None)
            if ended is not None:
                ops.append(self.link.disposition_op(
                    ended, self._disposition.pop(ended, SIMULATED_CONTACT.code),
                    change.at + self.offset))
        if change.state is AgentState.WRAP_UP and uuid is not None:
            self._in_wrap[change.agent_id] = uuid
        op = self.link.agent_state_op(dataclasses.replace(change, at=at, call_id=uuid))
        if op is not None:
            if change.state is AgentState.PAUSED and change.reason in OFF_DUTY:
                op = dataclasses.replace(op, state=StoreAgentState.LOGGED_OUT)
            ops.append(op)
        self.last_at = max(self.last_at, change.at)
        return ops

    def _add_leads(self, upto: int) -> None:
        """Leads ``_leads_made`` … ``upto - 1`` of the simulated pool, in the campaign's list
        (their ids are read back by ``source_line``, the pool index)."""
        first = self._leads_made
        due = datetime.fromtimestamp(self.offset, UTC)
        rows = [{"campaign_id": self.link.campaign_id, "list_id": self.link.list_id,
                 "phone": f"+1555{i:07d}", "alt_phones": [], "custom": {}, "consent": [],
                 "status": "new", "attempts": 0, "attempts_today": 0, "priority": 0,
                 "source_line": i, "next_attempt_at": due} for i in range(first, upto)]
        with self.store.engine.begin() as connection:
            connection.execute(sa.insert(Lead), rows)
            made = connection.execute(sa.select(Lead.source_line, Lead.id).where(
                Lead.list_id == self.link.list_id, Lead.source_line >= first)).all()
        self._lead_ids.update((int(index), int(lead_id)) for index, lead_id in made)
        self._leads_made = upto
