"""What a running campaign is doing, and in plain words why it is not dialing when it is not.

``diagnose`` is pure: facts in (switch links, agents, calls, the hopper, which leads are
callable), a ``Diagnosis`` out. ``RunStatus`` is the runner's part that gathers the facts
every second (and, when the hopper is empty, asks the store which leads are callable and
when the next ones will be), so the dashboard, the status line of ``dialer run``, ``dialer
monitor`` and the exit code all say the same thing. ``dialer doctor`` words its checks with
the same sentences.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from campaigns.availability import LeadAvailability, lead_availability
from dialer.engine import Engine
from dialer.runner.campaign_link import CampaignLink
from dialer.runner.dbworker import DbWorker
from dialer.runner.inbound_stop import voicemails_note
from dialer.runner.switches import SwitchPool
from dialer.runner.wiring import RunPhase
from dialer.words import counted

LEADS_REFRESH = 10.0
"""Seconds between looks at the store's leads while the hopper is empty."""
EXIT_COULD_NOT_DIAL = 3
"""``dialer run`` exit status when it stopped while something kept it from dialing."""


class Activity(StrEnum):
    STARTING = "starting"
    DIALING = "dialing"
    WAITING = "waiting"    # nothing in the way; pacing chose not to dial (agents busy)
    PAUSED = "paused"      # the campaign's stored state or a supervisor holds dialing
    BLOCKED = "blocked"    # something keeps it from dialing: see the reasons
    FINISHED = "finished"  # no lead left to dial
    STOPPING = "stopping"


class Blocker(StrEnum):
    SWITCH = "switch"
    AGENTS = "agents"
    LEADS = "leads"


@dataclass(frozen=True, slots=True)
class SwitchLink:
    switch_id: str
    state: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class RunnerFacts:
    """What ``diagnose`` looks at (all plain values)."""

    campaign: str
    started: bool
    stopping: bool = False
    hanging_up: bool = False
    switches: tuple[SwitchLink, ...] = ()
    agents_by_state: Mapping[str, int] | None = None
    calls_in_progress: int = 0
    hopper: int = 0
    leads: LeadAvailability | None = None
    pacing: str | None = None
    voicemails: str | None = None
    """While stopping: the callers leaving a voicemail the stop waits for, in words."""
    held: str | None = None
    """Why dialing is held by the stored state or the console (state_follow.py)."""
    stop_cause: str | None = None
    """While stopping because the stored state ended the run: who stopped it and when."""
    refusing: tuple[str, ...] = ()
    """Switches that refuse every call while another dials, each in words (send_hold.py):
    said beside the activity, no blocker (the others dial)."""


@dataclass(frozen=True, slots=True)
class Diagnosis:
    activity: Activity
    reasons: tuple[str, ...] = ()
    blockers: tuple[Blocker, ...] = ()

    @property
    def blocked(self) -> bool:
        return bool(self.blockers)

    def sentence(self) -> str:
        """One line: what it is doing, and why not dialing when it is not."""
        if not self.reasons:
            return self.activity.value
        return f"{self.activity.value}: {'; '.join(self.reasons)}"

    def to_json(self) -> dict[str, Any]:
        return {"activity": self.activity.value, "reasons": list(self.reasons),
                "blockers": [b.value for b in self.blockers]}


_SOCKET_ERRORS = (
    (("errno 111", "connection refused", "connect call failed"), "connection refused"),
    (("name or service not known", "nodename nor servname", "temporary failure in name",
      "name resolution", "gaierror", "errno -2", "errno -3"), "cannot resolve the host name"),
    (("timed out", "timeout"), "no answer (connection timed out)"),
    (("no route to host", "network is unreachable", "errno 113", "errno 101"),
     "network unreachable"),
    (("auth", "password", "-err invalid"), "password refused"),
)


def short_error(text: str | None) -> str | None:
    """A connection error in a few words (the full text stays in the log)."""
    if not text:
        return None
    lowered = text.lower()
    for needles, words in _SOCKET_ERRORS:
        if any(needle in lowered for needle in needles):
            return words
    return text


def switch_problem(link: SwitchLink) -> str | None:
    """A switch that cannot take calls now, in words; None when it is connected."""
    if link.state == "connected":
        return None
    if link.state == "failed":
        return f"switch {link.switch_id}: {short_error(link.error) or 'refused'} (not retrying)"
    why = short_error(link.error) or ("connecting" if link.state == "connecting"
                                      else link.state)
    return f"switch {link.switch_id}: {why}, retrying"


def agents_problem(campaign: str, by_state: Mapping[str, int]) -> str | None:
    """Why no agent can take a call now; None when some agent can (or soon will)."""
    logged_in = {s: n for s, n in by_state.items() if s != "logged_out" and n}
    total = sum(logged_in.values())
    if total == 0:
        return (f"0 agents logged in (run with --login-agents, or `dialer agent login "
                f"{campaign} NAME`)")
    if set(logged_in) == {"paused"}:
        everyone = ("the 1 logged-in agent is" if total == 1 else
                    f"all {total} logged-in agents are")
        return f"{everyone} paused (`dialer agent ready {campaign} NAME`)"
    if set(logged_in) <= {"connecting", "paused"}:
        connecting = logged_in.get("connecting", 0)
        phones = "1 agent's phone" if connecting == 1 else f"{connecting} agents' phones"
        return f"waiting for {phones} to answer"
    return None


def diagnose(facts: RunnerFacts) -> Diagnosis:
    """The runner's activity and every reason it cannot dial, most fundamental first."""
    reasons: list[str] = []
    blockers: list[Blocker] = []
    switch_reasons = [r for r in map(switch_problem, facts.switches) if r]
    if facts.switches and len(switch_reasons) == len(facts.switches):
        reasons += switch_reasons
        blockers.append(Blocker.SWITCH)
    if facts.agents_by_state is not None:
        agents = agents_problem(facts.campaign, facts.agents_by_state)
        if agents:
            reasons.append(agents)
            blockers.append(Blocker.AGENTS)
    finished = False
    if facts.hopper == 0 and facts.leads is not None:
        leads = facts.leads.reason()
        if leads:
            reasons.append(leads)
            finished = facts.leads.total > 0 and facts.leads.dialable == 0
            if not finished:
                blockers.append(Blocker.LEADS)
    if facts.stopping:
        calls = counted(facts.calls_in_progress, "call")
        note = ("hanging up the calls in progress" if facts.hanging_up else
                f"finishing {calls} in progress (Ctrl-C again hangs them up now)")
        notes = tuple(n for n in (facts.stop_cause, note, facts.voicemails) if n)
        return Diagnosis(Activity.STOPPING, (*notes, *reasons), tuple(blockers))
    if not facts.started:
        return Diagnosis(Activity.STARTING, tuple(reasons), tuple(blockers))
    if facts.held:
        return Diagnosis(Activity.PAUSED, (facts.held, *reasons), tuple(blockers))
    if blockers:
        return Diagnosis(Activity.BLOCKED, (*reasons, *facts.refusing), tuple(blockers))
    if finished and facts.calls_in_progress == 0:
        return Diagnosis(Activity.FINISHED, tuple(reasons))
    if facts.calls_in_progress:
        return Diagnosis(Activity.DIALING, facts.refusing)
    return Diagnosis(Activity.WAITING,
                     ((facts.pacing,) if facts.pacing else ()) + facts.refusing)


class RunStatus:
    """The runner's status, refreshed every second (a task of the runner's task group).

    Given what the facts are read from: the campaign's link and the database worker (which
    leads are callable, when the hopper is empty), the switches, the hopper, the calls
    recovery adopted (they are in progress too), the run's phase and the clock; the engine
    comes once built (``attach``)."""

    def __init__(self, link: CampaignLink, db: DbWorker, *, switches: SwitchPool,
                 hopper: Sized, adopted: Sized, phase: RunPhase,
                 clock: Callable[[], float]) -> None:
        self.link = link
        self.db = db
        self.switches = switches
        self.hopper = hopper
        self.adopted = adopted
        """Calls from before a restart, followed to their end (``Recovery.orphans``)."""
        self.phase = phase
        self.clock = clock
        self.engine: Engine | None = None
        self.leads: LeadAvailability | None = None
        self._leads_at = -LEADS_REFRESH
        self.current = Diagnosis(Activity.STARTING)
        self.dialing_held: Callable[[], str | None] = lambda: None
        """Why dialing is held by the campaign's stored state or the console, if it is
        (the runner's ``StateFollow.held_reason``): the activity is then ``paused``."""
        self.stop_cause: Callable[[], str | None] = lambda: None
        """Who stopped the campaign and when, if its stored state ended the run (the
        runner's ``StateFollow.stop_cause``): said first while stopping."""
        self.switches_refusing: Callable[[], Mapping[str, str]] = dict
        """Switch → why it gets no dial, while it refuses and another dials (the runner's
        ``SendGuard.refusing``)."""
        self.at_stop: Diagnosis | None = None
        """The diagnosis just before the stop began (what the exit status reports)."""

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once built (its agents, calls and pacing)."""
        self.engine = engine

    def facts(self, leads: LeadAvailability | None) -> RunnerFacts:
        engine = self.engine
        links = tuple(SwitchLink(sid, client.state.value, client.last_error)
                      for sid, client in self.switches.clients.items())
        agents: dict[str, int] | None = None
        calls = 0
        pacing = None
        if engine is not None:
            agents = {a.state.value: 0 for a in engine.pool.agents.values()}
            for agent in engine.pool.agents.values():
                agents[agent.state.value] += 1
            calls = len(engine.calls) + len(self.adopted)
            decision = engine.last_decision
            pacing = decision.explanation if decision is not None else None
        phase = self.phase
        voicemails = None
        if phase.stopping and not phase.hanging_up and engine is not None:
            finishing = engine.inbound.voicemails()
            if finishing:
                voicemails = voicemails_note(finishing, self.clock())
        return RunnerFacts(campaign=self.link.name, started=phase.ready.is_set(),
                           stopping=phase.stopping, hanging_up=phase.hanging_up,
                           switches=links, agents_by_state=agents, calls_in_progress=calls,
                           hopper=len(self.hopper), leads=leads, pacing=pacing,
                           voicemails=voicemails, held=self.dialing_held(),
                           refusing=tuple(self.switches_refusing().values()),
                           stop_cause=self.stop_cause() if phase.stopping else None)

    async def refresh(self) -> Diagnosis:
        now = self.clock()
        if self.phase.inbound_only:
            self.leads = None  # queues and no leads: an empty hopper is not what is missing
        elif len(self.hopper) == 0 and now - self._leads_at >= LEADS_REFRESH:
            self._leads_at = now
            with contextlib.suppress(Exception):  # a status look must never stop a run
                self.leads = await self.db.call(
                    lead_availability, self.link.store, self.link.campaign_id,
                    datetime.fromtimestamp(now, tz=UTC))
        elif len(self.hopper):
            self.leads = None  # the hopper has leads: they are not what is missing
        before = self.current
        self.current = diagnose(self.facts(self.leads))
        if self.current.activity is Activity.STOPPING and self.at_stop is None:
            self.at_stop = before
        return self.current

    async def run(self) -> None:
        while True:
            await self.refresh()
            await asyncio.sleep(1.0)

    def final(self) -> Diagnosis:
        """What held at the stop (or now, if the run never began stopping)."""
        return self.at_stop or self.current

    def exit_code(self) -> int:
        """0, or ``EXIT_COULD_NOT_DIAL`` when it stopped while unable to dial."""
        return EXIT_COULD_NOT_DIAL if self.final().blocked else 0
