"""Several dialer processes of one campaign share its abandonment slack (docs/pacing.md,
"Several processes: the slack is shared"): over any interleaving of two or three processes'
decisions, answers, abandons, publications that are read late (a record published at one
step and granted at a later one), lapsed claims, crashes and expiries, the lines all the
processes hold in flight beyond free agents (each may abandon once) never exceed the
campaign's slack r·L − A: the limit guard's worst-case bound, across processes.

Each process is its engine's ledger and the limit guard as the runner drives them; the
grant is ``pacing_models.slack_share.grant_for`` on an in-memory copy of the records (the
store's side, campaigns/slack_claims.py, runs the same function under its lock)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialer.engine.ledger import AbandonLedger
from pacing_models.interface import AttemptResult, PacingDecision, PacingState
from pacing_models.limit_guard import LimitGuard
from pacing_models.slack_share import PeerClaim, PublishedCounts, grant_for

TARGET = 0.03
WINDOW = 1e12  # one window for the whole run: the rolling window is the reserve's job


class Greedy:
    """A ratio policy that always wants many more lines than the slack allows."""

    name = "power"

    def decide(self, state: PacingState) -> PacingDecision:
        return PacingDecision(40, "greedy")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        pass

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        pass


@dataclass
class Process:
    ledger: AbandonLedger
    guard: LimitGuard
    lines: int = 0
    alive: bool = True
    lapsed: bool = False
    pending: tuple[PublishedCounts, int, float, int] | None = None
    record: tuple[int | None, int] | None = None
    """The claim its record holds and the abandons_seen it was counted at (upkeep.py)."""

    def record_left(self) -> float:
        if self.record is None:
            return 0.0
        remaining, base = self.record
        if remaining is None:
            return math.inf
        return float(remaining - (self.ledger.abandons_seen - base))

    def own(self) -> PublishedCounts:
        ledger = self.ledger
        return PublishedCounts(ledger.live_answers - ledger.shared_live_answers,
                               ledger.abandons - ledger.shared_abandons)


@dataclass
class Campaign:
    history_live: int
    history_abandons: int
    processes: list[Process] = field(default_factory=list)
    records: dict[int, PeerClaim] = field(default_factory=dict)
    clock: float = 0.0

    @property
    def live(self) -> int:
        return self.history_live + sum(p.own().window_live for p in self.processes)

    @property
    def abandons(self) -> int:
        return self.history_abandons + sum(p.own().window_abandons for p in self.processes)

    def slack(self) -> float:
        return TARGET * self.live - self.abandons

    def refresh(self, k: int) -> None:
        process = self.processes[k]
        own = process.own()
        shared = (self.live - own.window_live, self.abandons - own.window_abandons)
        process.ledger.set_shared_counts(*shared)
        # Never pruned: the period is the whole run, as the window is.
        process.ledger.set_shared_period_counts(process.ledger.period_start, *shared)

    def start(self) -> None:
        ledger = AbandonLedger(WINDOW)
        ledger.set_slack_claim(0, 0, math.inf)  # a newcomer claims nothing (upkeep.attach)
        self.processes.append(Process(ledger, LimitGuard(Greedy())))
        self.refresh(len(self.processes) - 1)

    def snapshot(self, k: int) -> None:
        process = self.processes[k]
        if process.alive:
            process.pending = (process.own(), process.lines, process.record_left(),
                               process.ledger.abandons_seen)

    def commit(self, k: int) -> None:
        process = self.processes[k]
        if not process.alive or process.pending is None:
            return
        counts, exposure, left, base = process.pending
        process.pending = None
        peers = [claim for j, claim in self.records.items() if j != k]
        dead = [p.own() for j, p in enumerate(self.processes)
                if j != k and j not in self.records]
        rest = PublishedCounts(self.history_live + sum(c.window_live for c in dead),
                               self.history_abandons + sum(c.window_abandons for c in dead))
        remaining, _ = grant_for(TARGET, counts, exposure, left, peers, rest, periods=False)
        self.records[k] = PeerClaim(remaining, counts)
        process.ledger.set_slack_claim(remaining, base, math.inf)
        process.record = (remaining, base)
        process.lapsed = False

    def dial(self, k: int) -> None:
        process = self.processes[k]
        if not process.alive:
            return
        live, abandons = process.ledger.binding_counts(TARGET)
        state = PacingState(now=self.clock, agents_free=0, ringing_lines=process.lines,
                            live_answers_in_window=live, abandons_in_window=abandons,
                            abandon_target=TARGET)
        process.lines += process.guard.decide(state).calls_to_launch

    def end_line(self, k: int, how: str) -> None:
        process = self.processes[k]
        if process.lines == 0:
            return
        process.lines -= 1
        self.clock += 1.0
        if how == "connected":
            process.ledger.record_live(self.clock)
        elif how == "abandoned":
            process.ledger.mark_abandoned(process.ledger.record_live(self.clock))

    def lapse(self, k: int) -> None:
        """The record could not be written: the engine's claim lapses to 0."""
        process = self.processes[k]
        process.ledger.set_slack_claim(0, process.ledger.abandons_seen, math.inf)
        process.lapsed = True

    def expire(self, k: int) -> None:
        """The record expires: only once the lines placed under it have drained (the
        record's life is the hold plus a line's longest time in flight, upkeep.py)."""
        process = self.processes[k]
        if (not process.alive or process.lapsed) and process.lines == 0:
            self.records.pop(k, None)
            process.record = None


STEPS = st.lists(st.tuples(
    st.sampled_from(["start", "refresh", "snapshot", "commit", "dial", "connected",
                     "abandoned", "unanswered", "lapse", "crash", "expire",
                     # A publication read at once, and a decision after a refresh, are
                     # the common case: drawn more often.
                     *["grant", "decide"] * 6, "abandoned", "connected"]),
    st.integers(0, 2)), min_size=10, max_size=150)


@settings(max_examples=400, deadline=None)
# A process whose grant failed (its engine's claim lapsed to 0, its record still counting)
# must not shed its record below the lines it still has out when it grants again.
@example(history=267, spent=0.0, steps=[("grant", 1), ("dial", 1), ("lapse", 1),
                                        ("grant", 0), ("grant", 1), ("grant", 0),
                                        ("dial", 0)], processes=2, newcomer=False)
@given(history=st.integers(0, 5000), spent=st.floats(0.0, 1.3), steps=STEPS,
       processes=st.integers(2, 3), newcomer=st.booleans())
def test_the_processes_lines_in_flight_never_exceed_the_campaigns_slack(
        history: int, spent: float, steps: list[tuple[str, int]], processes: int,
        newcomer: bool) -> None:
    campaign = Campaign(history, min(history, math.floor(spent * TARGET * history)))
    for _ in range(processes - newcomer):  # the last may start later (a "start" step)
        campaign.start()
    for kind, k in steps:
        if kind == "start":
            if len(campaign.processes) < processes:
                campaign.start()
            continue
        if k >= len(campaign.processes):
            continue
        if kind in ("connected", "abandoned", "unanswered"):
            campaign.end_line(k, kind)
        elif kind == "crash":
            campaign.processes[k].alive = False
        elif kind == "grant":
            campaign.snapshot(k)
            campaign.commit(k)
        elif kind == "decide":
            if campaign.processes[k].alive:
                campaign.refresh(k)
            campaign.dial(k)
        else:
            getattr(campaign, kind)(k)
        in_flight = sum(p.lines for p in campaign.processes)
        assert in_flight <= max(campaign.slack(), 0.0) + 1e-9, (
            f"{in_flight} line(s) in flight beyond free agents, slack {campaign.slack():.2f}")


def test_two_processes_each_alone_would_spend_the_whole_slack() -> None:
    """The case the share closes: each process's guard, seeing the campaign's counts, would
    put the whole slack in flight; with claims the second gets only what the first left."""
    campaign = Campaign(history_live=1000, history_abandons=10)  # slack 20
    campaign.start()
    campaign.snapshot(0)
    campaign.commit(0)  # alone: the whole slack
    campaign.dial(0)
    assert campaign.processes[0].lines == 19  # 20 less the guard's reserve of one
    campaign.start()
    campaign.snapshot(1)
    campaign.commit(1)
    campaign.dial(1)
    assert campaign.processes[1].lines == 0  # the first holds the whole slack
    for k in (0, 1, 0, 1):
        campaign.snapshot(k)
        campaign.commit(k)
        campaign.dial(k)
    assert sum(p.lines for p in campaign.processes) <= 20
    assert campaign.records[0].remaining == 19 and campaign.records[1].remaining == 1
