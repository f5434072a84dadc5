"""The runner's campaign upkeep: hopper refills, claim renewal, the shared ledger (its
rolling window and the campaign's current period), this process's claim on the campaign's
abandonment slack, and the audit log's anchors.

A part the ``Runner`` (dialer/runner/runner.py) holds: it owns what only it keeps (the
callback leads it claimed, the other processes' last ledger counts) and is handed what it
reads (the store, the hopper, the gate, the database worker, the clock). Each loop runs as
a task of the runner's task group and does its database work on the database thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from dialer.events import CallbackDue, Event
from dialer.ports import DialTarget
from dialer.runner.campaign_link import utc
from dialer.runner.dbworker import STORE_ERRORS, StoreTrouble
from dnc.rules.model import CampaignState
from dnc.rules.ofcom import OFCOM_ABANDON_WINDOW, ofcom_day_start

if TYPE_CHECKING:
    from campaigns.hopper import SelectionCheck
    from campaigns.journal import LedgerCounts
    from campaigns.slack_claims import OwnSlackView, SlackGrant
    from campaigns.store import CampaignStore
    from dialer.engine import Engine
    from dialer.runner.campaign_link import CampaignLink
    from dialer.runner.compliance import GatePort
    from dialer.runner.dbworker import DbWorker
    from dialer.runner.hopper import Hopper
    from dialer.runner.settings import RunnerSettings

log = logging.getLogger("dialer.runner")
LEDGER_REFRESH = 3.0
"""Seconds between refreshes of the other processes' share of the campaign's ledger."""
OFCOM_WINDOW = OFCOM_ABANDON_WINDOW.total_seconds()
SLACK_CLAIM_HOLD = 30.0
"""Seconds a granted slack claim stays good in the engine without a new grant (then it
lapses to 0: the process dials with no slack until its record is written again)."""
SLACK_CLAIM_DRAIN = 60.0
"""Seconds beyond the ring timeout and its set-up allowance that a line placed just before
the claim lapsed may still be in flight (AMD's verdict, the connect window, the switch's
backstop): a record expires only after the lines of its claim have drained."""


def slack_claim_ttl(ring_timeout: float) -> float:
    """Seconds a process's slack record lives after it is written: the hold, then the
    longest a line placed under it stays in flight. Another process may take the claim only
    after that, so a process that cannot write its record (or crashed) leaves no line out
    whose abandon another's claim would not cover."""
    from dialer.engine.config import SETUP_ALLOWANCE

    return SLACK_CLAIM_HOLD + ring_timeout + SETUP_ALLOWANCE + SLACK_CLAIM_DRAIN


class CampaignUpkeep:
    """Background loops that keep the runner's view of its campaign current.

    The runner starts ``refill``, ``renew_claims``, ``refresh_ledger`` and
    ``anchor_audit`` as tasks, calls the ``*_once`` steps at start and stop, and tells it
    when a callback lead it claimed has left its hands (``callback_settled``)."""

    def __init__(self, *, store: CampaignStore, link: CampaignLink, owner: str,
                 ledger_window: float, settings: RunnerSettings, hopper: Hopper,
                 db: DbWorker, gate: GatePort,
                 claim_check: SelectionCheck, claim_ttl: timedelta,
                 clock: Callable[[], float], post: Callable[[Event], None]) -> None:
        self.store = store
        self.link = link
        self.ledger_window = ledger_window
        """The abandonment ledger's window in seconds (the campaign's; no retune moves it)."""
        self.settings = settings
        self.owner = owner
        self.hopper = hopper
        self.db = db
        self.gate = gate
        self.claim_check = claim_check
        self.claim_ttl = claim_ttl
        self.clock = clock
        self.post = post
        self.engine: Engine | None = None
        """The engine once started (``attach``): its ledger and the leads on agents'
        screens; before that, the ledger's counts wait in ``shared_ledger``."""
        self.callback_leads: set[str] = set()
        """Leads claimed for a due callback, waiting in the engine for their agent."""
        self.shared_ledger: LedgerCounts | None = None
        """The other processes' live answers and abandons in the window (last refresh)."""
        self.slack_grant: SlackGrant | None = None
        """This process's last claim on the campaign's slack (None: none granted yet)."""
        self.slack_base = 0
        """The ledger's ``abandons_seen`` when the last granted claim was counted."""

    def attach(self, engine: Engine) -> None:
        """The runner's engine, once recovery has built it. It starts with no slack (a
        newcomer claims none until it has seen the other processes' records): the first
        ledger refresh, before any dial, grants its claim."""
        self.engine = engine
        engine.ledger.set_slack_claim(0, engine.ledger.abandons_seen, math.inf)

    def callback_settled(self, lead_id: str) -> None:
        """A callback lead was journaled or released by the engine: no longer held here."""
        self.callback_leads.discard(lead_id)

    async def refill_once(self) -> None:
        if self.hopper.closed:
            return
        wanted = self.hopper.wanted()
        if wanted:
            claimed = await self.db.call(self._claim, wanted, self.clock())
            if self.hopper.closed:
                return  # stopping: _close gives every claim back
            targets: list[DialTarget] = []
            for target, callback in claimed:
                if callback is None:
                    targets.append(target)
                else:
                    self.callback_leads.add(target.lead_id)
                    self.post(callback)
            self.hopper.add(targets)

    def _claim(self, n: int, now: float) -> list[tuple[DialTarget, CallbackDue | None]]:
        """Claim leads (database thread): the compliance check at selection time, then the
        dial-time gate's prefetch, before anything reaches the engine."""
        from campaigns.compliance import lead_facts

        at = utc(now)
        claimed = self.store.claim_leads(self.link.campaign_id, n, owner=self.owner, now=at,
                                         check=self.claim_check, ttl=self.claim_ttl)
        flush = getattr(self.claim_check, "flush_audit", None)
        if callable(flush):
            flush()  # every refusal at selection is audited, like those at dial time
        pairs = [(self.link.target(lead), lead) for lead in claimed]
        self.gate.prefetch([(target, lead_facts(lead)) for target, lead in pairs], at)
        return [(target, None if lead.callback_id is None else CallbackDue(
            now, str(lead.callback_id), target, self.link.agent_name(lead.callback_agent_id)))
            for target, lead in pairs]

    async def refill(self) -> None:
        trouble = StoreTrouble("hopper refill")
        while True:
            # No claim while the store cannot be written (dialing is held): the claims
            # would fail, and leads claimed now would wait out the outage in the hopper.
            if self.db.outage is None:
                try:
                    await self.refill_once()
                except STORE_ERRORS as error:
                    trouble.failed(error)
                else:
                    trouble.ok()
            await asyncio.sleep(0.2 if not self.hopper.exhausted and self.db.outage is None
                                else 2.0)

    async def renew_claims(self) -> None:
        """Renew what this process holds well before it expires (a third of the TTL), so a
        long wait in the hopper never lets another process take a lead; drop what was lost."""
        period = min(60.0, self.claim_ttl.total_seconds() / 3)
        trouble = StoreTrouble("claim renewal")
        while True:
            await asyncio.sleep(period)
            try:
                await self._renew_claims_once()
            except STORE_ERRORS as error:
                # Claims not renewed may lapse: another process may then take the lead,
                # and the journal refuses our dial of it (fail closed).
                trouble.failed(error)
            else:
                trouble.ok()

    async def _renew_claims_once(self) -> None:
        held = self.hopper.lead_ids() | self.callback_leads
        if self.engine is not None:  # leads on agents' screens (preview dialing)
            held |= {target.lead_id for target in self.engine.previews.values()}
        if not held:
            return
        until = utc(self.clock()) + self.claim_ttl
        kept = await self.db.call(self.store.renew_claims, self.owner,
                                  [int(lead_id) for lead_id in held], until=until)
        lost = {lead_id for lead_id in held if int(lead_id) not in kept}
        if lost:
            log.warning("%d claims were lost before dialing: dropped", len(lost))
            self.hopper.discard(lost)

    async def refresh_ledger_once(self) -> None:
        now = self.clock()
        engine = self.engine
        # The campaign's current period too (47 CFR 64.1200(a)(7)(i), each successive
        # 30-day period): its start as the engine's ledger reckons it, in the same query.
        period = engine.ledger.period_at(now) if engine is not None else None
        counts = await self.db.call(
            self.store.ledger_counts, self.link.campaign_id, now=utc(now),
            window=timedelta(seconds=self.ledger_window), exclude_owner=self.owner,
            period_since=None if period is None else utc(period))
        self.shared_ledger = counts
        if engine is not None:
            engine.ledger.set_shared_counts(counts.live_answers, counts.abandons)
            if period is not None:
                engine.ledger.set_shared_period_counts(
                    period, counts.period_live_answers, counts.period_abandons)
            if self.ledger_window == OFCOM_WINDOW:
                # Ofcom measures the abandoned-call rate per campaign over 24 hours and the
                # rules engine needs it at dial time (2016 statement, Annex 3). A rate over
                # another window is not that measure: the gate's stays unknown and
                # uk.abandon_rate refuses UK dials (fail closed). The 2010 clarification
                # reads the period as midnight to midnight: the UK day's rate goes too, and
                # the rule refuses when either is 3 % or more.
                day_start, live, abandons = await self.db.call(self._ofcom_day_counts, now)
                own_live, own_abandons = engine.ledger.own_counts_since(
                    max(day_start, now - self.ledger_window))
                live, abandons = live + own_live, abandons + own_abandons
                self.gate.campaign_state = CampaignState(
                    abandon_rate_24h=engine.ledger.rate(),
                    abandon_rate_today=abandons / live if live else 0.0)

    async def share_slack_once(self) -> SlackGrant | None:
        """Publish this process's record and take its claim on the campaign's slack
        (campaigns/slack_claims.py; None before the engine is attached). What it publishes
        is read from the engine at one instant: the claim counts the abandons from then on
        against itself. Fail closed: when the record cannot be written the engine keeps no
        slack (the last record, if any, still counts for the others until it expires)."""
        engine = self.engine
        if engine is None:
            return None
        try:
            return await self._share_slack(engine, self.clock())
        except BaseException:
            engine.ledger.set_slack_claim(0, engine.ledger.abandons_seen, math.inf)
            raise

    async def _share_slack(self, engine: Engine, now: float) -> SlackGrant:
        from campaigns.slack_claims import share_slack

        view, base = own_slack_view(engine, now, self.record_left(engine))
        granted = await self.db.call(
            share_slack, self.store, self.link.campaign_id, self.owner, own=view,
            target=engine.config.abandon_target, now=utc(now),
            window=timedelta(seconds=self.ledger_window),
            ttl=slack_claim_ttl(engine.config.ring_timeout))
        engine.ledger.set_slack_claim(granted.remaining, base, now + SLACK_CLAIM_HOLD)
        if (self.slack_grant is None or granted.peers != self.slack_grant.peers
                or (granted.remaining is None) != (self.slack_grant.remaining is None)):
            log.info("abandonment slack: %s (%d other process(es) with a claim)",
                     "the whole slack" if granted.remaining is None
                     else f"{granted.remaining} of {granted.slack:.2f} abandon(s)",
                     granted.peers)
        self.slack_grant, self.slack_base = granted, base
        return granted

    def record_left(self, engine: Engine) -> float:
        """The claim this process's record holds, less its abandons since (∞: the whole
        slack; 0: no record written yet). Not the engine's claim, which lapses to 0 when a
        grant fails: the record still covers the lines placed under it, and a grant never
        sheds that cover below the lines still out (pacing_models/slack_share.py)."""
        grant = self.slack_grant
        if grant is None:
            return 0.0
        if grant.remaining is None:
            return math.inf
        return float(grant.remaining - (engine.ledger.abandons_seen - self.slack_base))

    def _ofcom_day_counts(self, now: float) -> tuple[float, int, int]:
        """(start of the UK day, live answers, abandons) of the campaign since 00:00 UK
        time that the engine's ledger does not hold (database thread): every other
        process's, and this process's own before the ledger's 24 h window, which only the
        25-hour day the clocks go back reaches into (its last hour)."""
        at = utc(now)
        start = ofcom_day_start(at)
        others = self.store.ledger_counts(self.link.campaign_id, now=at, window=at - start,
                                          exclude_owner=self.owner)
        live, abandons = others.live_answers, others.abandons
        horizon = now - self.ledger_window
        if start.timestamp() < horizon:
            for answered, abandoned in self.store.ledger_entries(
                    self.link.campaign_id, since=start, process_owner=self.owner):
                if answered.timestamp() < horizon:
                    live, abandons = live + 1, abandons + int(abandoned)
        return start.timestamp(), live, abandons

    async def anchor_audit(self) -> None:
        """Anchor the audit log every ``audit_anchor_interval`` seconds (and at every stop,
        ``anchor_audit_once``), so a cut tail is detected without a manual step."""
        while True:
            await asyncio.sleep(self.settings.audit_anchor_interval)
            await self.anchor_audit_once()

    async def anchor_audit_once(self) -> None:
        from dnc.rules.audit import AuditLog

        log_ = AuditLog(self.settings.data / "audit")
        try:
            anchor = await self.db.call(log_.anchor, self.settings.audit_anchor_copy)
        except Exception as error:  # a broken chain is reported, never silently skipped
            log.error("audit log anchor failed: %s (run `dialer compliance audit verify`)",
                      error)
            return
        if anchor is not None:
            log.info("audit log anchored at seq %s", anchor["seq"])

    async def refresh_ledger(self) -> None:
        """The campaign's abandonment rate is the campaign's, not this process's: the other
        processes' live answers and abandons are added to the engine's ledger."""
        trouble = StoreTrouble("shared abandonment ledger")
        while True:
            await asyncio.sleep(LEDGER_REFRESH)
            try:
                await self.refresh_ledger_once()
                await self.share_slack_once()
            except STORE_ERRORS as error:
                trouble.failed(error)  # the last counts hold; dialing is held meanwhile
            else:
                trouble.ok()


def own_slack_view(engine: Engine, now: float, record_left: float
                   ) -> tuple[OwnSlackView, int]:
    """(What this process publishes with its slack claim, its ledger's ``abandons_seen``),
    read at one instant: its own counts (the ledger's less the other processes' shared
    part), its current period, its excess lines in flight (lines beyond the free agents:
    each may abandon) and its record's claim left (``record_left``)."""
    from campaigns.slack_claims import OwnSlackView
    from pacing_models.policies import calls_in_flight
    from pacing_models.slack_share import PublishedCounts

    state = engine.pacing_state(now)  # prunes the ledger to ``now`` first
    ledger = engine.ledger
    period = ledger.period_start if math.isfinite(ledger.period_start) else None
    counts = PublishedCounts(
        ledger.live_answers - ledger.shared_live_answers,
        ledger.abandons - ledger.shared_abandons,
        None if period is None else
        ledger.period_live_answers - ledger.shared_period_live_answers,
        None if period is None else ledger.period_abandons - ledger.shared_period_abandons)
    # The free agents as the policy saw them at its last decision: net of those kept for
    # the inbound queues (blending), which no outbound line may count on.
    lines = getattr(getattr(engine, "pool", None), "lines", None)
    kept = lines.inbound.kept if lines is not None else 0
    exposure = max(calls_in_flight(state) - max(state.agents_free - kept, 0), 0)
    return OwnSlackView(counts, period, exposure, record_left), ledger.abandons_seen
