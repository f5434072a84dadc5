"""The engine's dialing side: pacing decisions, dialing, and the switches that are up.

A part the engine (dialer/engine/engine.py) owns, kept apart so that each module has one
job: this one turns the pacing policy's decision into compliance-checked, journaled
originates placed on a switch. Its own state is what dialing needs between decisions: the
switches that are up (and whose turn it is), which ``PacingState`` fields the policy reads,
the supervisor's pause, the dial count and the last decision. It reads the collaborators it
is given (the pool, the ledger, the calls and the lines in flight, the watch, the lead
source and the gate, the inbound router and the desk, the placement, gateways and caller
IDs), and asks the rest of the engine only through ``DialingServices``. The event handlers
for customer calls live in call_flow.py, those for agents in agent_work.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from struct import Struct

from dialer.commands import (
    AttemptFinished,
    CallOutcome,
    Command,
    Direction,
    Hangup,
    JournalAttempt,
    Originate,
    ReleaseLead,
    originate,
)
from dialer.engine.blending import apply_reserve
from dialer.engine.caller_ids import CallerIdChoice, CallerIdPool
from dialer.engine.calls import Call, CallState, Failover, transition
from dialer.engine.config import (
    MIN_RING_TIMEOUT,
    SETUP_ALLOWANCE,
    CampaignConfig,
    CampaignConfigError,
    switch_ring_timeout,
)
from dialer.engine.desk import AgentDesk
from dialer.engine.gateways import GatewayRouter, Route, fill_dial_string, gateway_variables
from dialer.engine.inbound import InboundRouter
from dialer.engine.ledger import AbandonLedger
from dialer.engine.placement import SwitchPlacement
from dialer.engine.scheduler import AgentPool, UnknownSwitchError
from dialer.engine.watch import Wait, Watch
from dialer.events import DialingPaused, SwitchDown, SwitchRefusing, SwitchUp
from dialer.hangup import HangupCause
from dialer.ports import ComplianceGate, DialTarget, GateVerdict, LeadSource
from pacing_models.interface import PacingDecision, PacingPolicy, PacingState
from pacing_models.records import builder

S = CallState
DIAL_MARGIN = 15.0
"""Seconds past the ring timeout before a call with no news is given up (switch_waits.py)."""
_new, _call_init = Call.__new__, Call.__init__
"""``object.__new__`` for the Python class; the native class's own allocation when compiled
(dialer/accel: a native class refuses ``object.__new__``)."""
_OUTBOUND, _DIALING, _DIAL_WAIT = Direction.OUTBOUND, CallState.DIALING, Wait.DIAL
_journal_attempt, _originate_record = builder(JournalAttempt), originate
"""The per-attempt records of ``_dial_plain``, built from all their fields (records.py)."""
_PACING_STATE_ORDER = (
    "now", "agents_free", "busy_elapsed", "wrap_elapsed", "ringing_elapsed",
    "live_answers_in_window", "abandons_in_window", "abandon_target", "connect_window",
    "decision_interval", "answered_waiting", "agents_logged_in", "lines_per_agent",
    "free_elapsed", "agents_reserved", "ringing_lines", "amd_abandons", "verdict_elapsed",
    "in_progress_started", "in_progress_counts", "live_answers_seen", "abandons_seen",
    "window_live_answers", "window_abandons", "period_live_answers", "period_abandons")
"""The fields ``pacing_state`` fills, in the order it passes them."""


def _pacing_state_by_name(*values: object) -> PacingState:
    return PacingState(**dict(zip(_PACING_STATE_ORDER, values, strict=True)))  # type: ignore[arg-type]


_pacing_state = (builder(PacingState)
                 if tuple(PacingState.__dataclass_fields__) == _PACING_STATE_ORDER
                 else _pacing_state_by_name)
"""One per decision (``pacing_state``): built from all its fields in their order; should
the contract gain a field (with its default), by name until it is given its place here."""


_ELAPSED_FIELDS = ("busy_elapsed", "wrap_elapsed", "ringing_elapsed", "free_elapsed",
                   "verdict_elapsed", "in_progress_started")
"""The PacingState fields that cost O(agents or lines) to build at every decision (the last
one's sizes, ``in_progress_counts``, come with it)."""

EVERY_ELAPSED_FIELD = (True, True, True, True, True, True)
"""Every one of them (``pacing_state``'s default: a caller asking for the whole state)."""
_UNDECLARED_FIELDS = (True, True, True, True, True, False)
"""What a policy without ``state_fields`` gets: every tuple, and not the packed start
instants, which repeat the tuples and are filled only for a policy that names them
(pacing_models/interface.py); packing them besides cost such a policy some 8 k instructions
per attempt (callgrind, ``benchmarks/bench_engine.py``)."""
_PACKERS: dict[int, Struct] = {}
"""A ``Struct`` of n doubles by n (``in_progress_started``)."""


def _packer(count: int) -> Struct:
    packer = _PACKERS.get(count)
    if packer is None:
        if len(_PACKERS) >= 1024:
            _PACKERS.clear()
        packer = _PACKERS[count] = Struct(f"{count}d")
    return packer


def elapsed_fields_needed(
    policy: PacingPolicy,
) -> tuple[bool, bool, bool, bool, bool, bool]:
    """Which elapsed-time fields ``policy`` reads (``_ELAPSED_FIELDS`` order), from its
    optional ``state_fields``.

    A policy may declare ``state_fields`` (names of the ``PacingState`` fields it reads);
    the engine then builds only the elapsed-time fields among them and leaves the others
    empty. Without the declaration every field is filled, as the contract promises, except
    the packed start instants, which only a policy that names them gets (they repeat the
    four tuples).
    """
    declared = getattr(policy, "state_fields", None)
    if declared is None:
        return _UNDECLARED_FIELDS
    unknown = set(declared) - set(PacingState.__dataclass_fields__)
    if unknown:
        raise CampaignConfigError(
            f"pacing policy {getattr(policy, 'name', policy)!r}: state_fields names "
            f"{', '.join(sorted(unknown))}, not PacingState fields"
        )
    return tuple(name in declared for name in _ELAPSED_FIELDS)  # type: ignore[return-value]


_COUNTED_FIELDS = frozenset({"agents_free", "ringing_lines", "answered_waiting",
                             "agents_logged_in", "lines_per_agent", "decision_interval"})
"""The ``PacingState`` fields a decision may be reused on (``reuses_decisions``): counts the
engine keeps (the decision's key) and the campaign's constants."""
_DECISIONS_KEPT = 4096
"""Decisions kept by their key (then it starts afresh): bounded memory."""


def reuses_decisions(policy: PacingPolicy) -> bool:
    """Whether the engine may hand ``policy``'s decision out again, without building the
    state or asking the policy, when the state's counts are those of an earlier decision.

    Only for a policy that says so (``same_state_same_decision``: its decision is a function
    of its declared ``state_fields`` alone, with no learning and no clock, as progressive
    and power are) and whose ``state_fields`` are all among ``_COUNTED_FIELDS``: then equal
    counts (free agents, lines in flight, answered calls waiting, agents logged in) under
    the same campaign settings make an equal decision. The promise is the policy's own or
    its own class's, never inherited: a subclass may decide on more."""
    said = getattr(policy, "__dict__", {}).get(
        "same_state_same_decision", vars(type(policy)).get("same_state_same_decision"))
    declared = getattr(policy, "state_fields", None)
    return said is True and declared is not None and _COUNTED_FIELDS.issuperset(declared)


@dataclass(frozen=True, slots=True)
class DialingServices:
    """What the dialing side may ask of the engine that owns it (and nothing more)."""

    emit: Callable[[Command], None]
    policy: Callable[[], PacingPolicy]
    """The campaign's pacing policy now (``Engine.policy``, which a retune or a driver may
    replace): it decides at each decision."""
    amd_abandons: Callable[[], int]
    """Abandons charged to AMD machine verdicts so far (call_flow.py counts them;
    ``PacingState.amd_abandons``)."""
    new_id: Callable[[], str]


class Dialing:
    """Pacing decisions, dialing and the switches of one campaign.

    ``config`` is the campaign's current one (the engine sets it again when a supervisor
    retunes the campaign, and calls ``policy_changed`` when the policy changes); the policy
    itself is asked of the engine at each decision (``DialingServices.policy``).
    ``calls``, ``dialing`` and ``verdicts`` are the engine's, shared with the call flow,
    which takes the lines out of ``dialing`` and ``verdicts`` (call_flow.py): this side adds
    each call it dials to ``calls`` and ``dialing`` and reads both lines at each decision.
    ``switches_up``: the switches up from the start (a driver that sends no ``SwitchUp``).
    """

    def __init__(
        self, config: CampaignConfig, pool: AgentPool, ledger: AbandonLedger,
        calls: dict[str, Call], dialing: dict[str, float], verdicts: dict[str, float],
        watch: Watch, leads: LeadSource, gate: ComplianceGate, inbound: InboundRouter,
        desk: AgentDesk, placement: SwitchPlacement | None, gateways: GatewayRouter | None,
        caller_ids: CallerIdPool | None, switches_up: tuple[str, ...],
        services: DialingServices,
    ) -> None:
        self.config = config
        self.pool = pool
        self.ledger = ledger
        self.calls = calls
        self.dialing = dialing
        """Outbound calls dialing, ringing or awaiting AMD's verdict → when dialed (pacing's
        ``ringing_elapsed``, less those in ``verdicts``; ``ringing_lines`` counts them all)."""
        self.verdicts = verdicts
        """Of ``dialing``, the calls answered and awaiting AMD's verdict → when answered
        (pacing's ``verdict_elapsed``)."""
        self.watch = watch
        self._dial_waits = watch._dials
        """The watch's line of ``DIAL`` waits (deadline order: watch.py)."""
        self.leads = leads
        self.gate = gate
        self.inbound = inbound
        self.desk = desk
        self._placement = placement
        """Several switches: spreads new calls where agents will be free (placement.py)."""
        self.gateways = gateways
        """Carriers' gateways (dialer/engine/gateways.py); None: the driver's default."""
        self.caller_ids = caller_ids
        """The caller-ID pool (dialer/engine/caller_ids.py); None: the config's number."""
        self._emit = services.emit
        self._policy = services.policy
        self._amd_abandons = services.amd_abandons
        self._new_id = services.new_id
        self.switches_up: dict[str, None] = dict.fromkeys(switches_up)
        """The switches connected now, in the order they came up (their ids)."""
        self._switch_turn = 0
        self._up_order: tuple[str, ...] = tuple(self.switches_up)
        """The switches new calls may go to: those up, less those refusing."""
        self.refusing: dict[str, None] = {}
        """Switches up that refuse originates (``SwitchRefusing``: the runner's send hold):
        no new dial goes there, and their agents' share of a decision is not placed."""
        self._state_builds = elapsed_fields_needed(services.policy())
        """For the policy's decisions: build busy, wrap, ringing, free, verdict tuples?"""
        self._decisions: dict[tuple[int, int, int, int], PacingDecision] | None = (
            {} if reuses_decisions(services.policy()) else None)
        """The policy's decisions by the counts they were made on (``reuses_decisions``);
        None: every decision builds the state and asks the policy."""
        self._decisions_config = config
        """The settings the kept decisions were made under (a retune clears them)."""
        self._fixed_caller_id: CallerIdChoice | None = None
        """Without a pool: the choice of the config's number, made once."""
        self.paused = False
        """A supervisor paused the campaign: nothing new is dialed until resumed."""
        self.dials = 0
        """Calls placed so far (each failover leg and callback included)."""
        self.last_decision: PacingDecision | None = None
        self.ring_hung_up: set[str] = set()
        """Ringing calls a decision hung up (``_hang_up_ringing``, ``end_rung_calls``) whose
        end the switch has not reported yet: each is hung up once. The call flow reads it
        too (one whose answer crossed the hang-up gets no agent: call_flow.py), so it is
        pruned in place."""
        self._ring_times: dict[str, float] = {}
        """Calls in flight whose ring time is not the campaign's current ``ring_timeout``
        (a queue callback's, a failover leg's budget, a call placed before a retune) → it."""
        self._ring_config = config
        """The settings whose ``ring_timeout`` the calls outside ``_ring_times`` ring for."""

    def policy_changed(self, policy: PacingPolicy) -> None:
        """A retune put a new policy in place: build the fields it reads from the next
        decision on (``CampaignConfigError`` if it names fields ``PacingState`` lacks)."""
        self._state_builds = elapsed_fields_needed(policy)
        self._decisions = {} if reuses_decisions(policy) else None

    def on_dialing_paused(self, event: DialingPaused) -> None:
        """A supervisor pauses or resumes the campaign's dialing (``pace``, ``dial``)."""
        self.paused = event.paused

    def pacing_state(
        self, now: float,
        builds: tuple[bool, bool, bool, bool, bool, bool] = EVERY_ELAPSED_FIELD,
    ) -> PacingState:
        """The snapshot the pacing policy decides on (incremental counters, O(busy agents)).

        ``builds`` says which of busy, wrap, ringing, free and verdict elapsed tuples and the
        packed start instants to fill (the decisions pass what the policy declared it reads;
        by default all of them).
        """
        pool = self.pool
        ledger = self.ledger
        ledger.prune(now)
        config = self.config
        # The rolling window or the campaign's current period, whichever binds (ledger.py).
        live, abandons = ledger.binding_counts(config.abandon_target)
        ready = pool.ready
        lines = pool.lines
        busy, wrap, ringing, free, verdict, packed = builds
        dialing, verdicts = self.dialing, self.verdicts
        amd_abandons = self._amd_abandons  # read, then called below (not LOAD_METHOD)
        if packed:
            # The clocks themselves, copied by one C call: no Python float per item.
            on_call, wrapping = pool.on_call, pool.wrapping
            waiting = ([t for call_id, t in dialing.items() if call_id not in verdicts]
                       if verdicts else dialing.values())
            counts: tuple[int, int, int, int] | None = (
                len(waiting), len(verdicts), len(on_call), len(wrapping))
            started = _packer(len(waiting) + len(verdicts) + len(on_call) + len(wrapping)).pack(
                *waiting, *verdicts.values(), *on_call.values(), *wrapping.values())
        else:
            started, counts = b"", None
        # List comprehensions turned into tuples: a third cheaper than generator
        # expressions, and this runs at every decision over every busy agent and line.
        # Built from all its fields in their order (``builder``, records.py): one state per
        # decision, a decision per simulated second.
        return _pacing_state(
            now,
            len(ready),
            tuple([now - t for t in pool.on_call.values()]) if busy else (),
            tuple([now - t for t in pool.wrapping.values()]) if wrap else (),
            (tuple([now - t for t in dialing.values()]) if not verdicts else
             tuple([now - t for call_id, t in dialing.items() if call_id not in verdicts]))
            if ringing else (),
            live,
            abandons,
            config.abandon_target,
            # The window an answer can wait in: the message is sent the switch's latency
            # budget before the legal window closes.
            config.connect_window - config.message_latency_budget,
            config.decision_interval,
            # ``outbound_waiting`` (a property: a Python call from C in CPython 3.11) only
            # when a call is waiting: the line is empty at nearly every decision.
            lines.outbound_waiting if lines.outbound else 0,
            pool.logged_in,
            config.lines_per_agent,
            tuple([now - agent.since for agent in ready.values()]) if free else (),
            0,  # agents_reserved: ``apply_reserve`` sets it (blending)
            len(dialing),
            amd_abandons(),
            tuple([now - t for t in verdicts.values()]) if verdict and verdicts else (),
            started,
            counts,
            # Running totals (the bias loop's realised abandons, whatever binds) and both
            # measurements apart (a policy may plan against each).
            ledger.live_answers_seen,
            ledger.abandons_seen,
            ledger.live_answers,
            ledger.abandons,
            ledger.period_live_answers,
            ledger.period_abandons,
        )

    def pace(self, now: float, out: list[Command]) -> None:
        """One pacing decision at ``now``; the calls it places go to ``out`` (the engine's
        commands of this tick)."""
        if self.dialing and not self.config.rings_from_dial:
            self.end_rung_calls(now, out)
        if self.desk.consults.by_leg:
            self.desk.end_rung_consults(now)
        if self.paused:
            self.last_decision = PacingDecision(0, "campaign paused by a supervisor")
            return
        if self.config.agent_preview:
            if self.switches_up:
                self.desk.offer_previews(now)
            self.last_decision = PacingDecision(
                0, f"preview dialing: {len(self.desk.previews)} lead(s) on agents' screens")
            return
        builds = self._state_builds
        decisions = self._decisions
        if decisions is not None:
            # A policy whose decision is a function of the counts (``reuses_decisions``):
            # the state is built, and the policy asked, only for counts not seen before
            # (a decision every second, most of them on the same counts as an earlier one).
            # The ledger is pruned at every decision as ``pacing_state`` does (its period
            # moves with the clock), and the blending reserve is asked first (it may keep
            # agents), as below.
            self.ledger.prune(now)
            reserve = self.inbound.decision_reserve(now)
            if not reserve:
                pool = self.pool
                lines = pool.lines
                key = (len(pool.ready), len(self.dialing),
                       lines.outbound_waiting if lines.outbound else 0, pool.logged_in)
                if self.config is not self._decisions_config:
                    decisions.clear()
                    self._decisions_config = self.config
                decision = decisions.get(key)
                if decision is None:
                    if len(decisions) >= _DECISIONS_KEPT:
                        decisions.clear()
                    policy = self._policy
                    decision = decisions[key] = policy().decide(self.pacing_state(now, builds))
                self._launch(decision, now, out)
                return
            state = self.pacing_state(now, builds)
        else:
            state = self.pacing_state(now, builds)
            reserve = self.inbound.decision_reserve(now)
        if reserve:
            # Blending: the agents the inbound queues need are not the campaign's to dial for.
            if builds[5]:
                # ``apply_reserve`` leaves agents out of the tuples (and drops the packed
                # instants): the policy reads the tuples then.
                state = self.pacing_state(now, (True, True, True, builds[3], True, False))
            state = apply_reserve(state, reserve)
        policy = self._policy  # read, then called: ``self._policy()`` is an unspecialised
        self._launch(policy().decide(state), now, out)  # LOAD_METHOD of an instance attribute

    def _launch(self, decision: PacingDecision, now: float, out: list[Command]) -> None:
        """Place the calls ``decision`` asks for (``pace``'s second half)."""
        self.last_decision = decision
        after = decision.hang_up_ringing_after
        if after is not None and self.dialing:
            self._hang_up_ringing(after, now, out)
        n = decision.calls_to_launch
        if n <= 0 or not self._up_order:
            return
        if self.config.max_lines is not None:
            n = min(n, self.config.max_lines - len(self.dialing))
        router = self.gateways
        if router is not None and n > 0 and all(map(router.serves_switch, self._up_order)):
            # The gateways' free channels and CPS tokens bound what may be launched: a call
            # that cannot be placed is never counted as placed.
            n = min(n, router.headroom(self._up_order, now))
        if n <= 0:
            return
        if self._placement is not None and (
                self.refusing or len(self.switches_up) < len(self.config.switch_ids)):
            n = self._share_of_takers(n)
            if n <= 0:
                return
        targets = self.leads.next_leads(n, now)
        if self._placement is not None:
            self._dial_spread(targets, now)
            return
        if router is None and self.caller_ids is None:
            self._dial_plain(targets, now, out)
            return
        dial = self.dial
        for target in targets:
            dial(target, now, Direction.OUTBOUND, None)

    def _hang_up_ringing(self, after: float, now: float, out: list[Command]) -> None:
        """Hang up the outbound calls that have rung ``after`` seconds or more
        (``PacingDecision.hang_up_ringing_after``), never one that has rung less than
        ``MIN_RING_TIMEOUT`` (47 CFR 64.1200(a)(6): "at least 15 seconds or four (4) rings"):
        a value below it, or not a number, reads as it. The ring is the called phone's, so it
        runs from the ringing the switch reported (``Call.ringing_at``), not from the dial:
        call set-up (post-dial delay) takes seconds, and a call whose ringing was never
        reported is left to the ring timeout; only a driver whose calls ring from the dial
        (``CampaignConfig.rings_from_dial``: the simulator) measures from the dial.
        A call awaiting AMD's verdict has been answered and is left alone, as is a call an
        agent was reserved for (a callback or a preview: nobody is over-committed for it).
        The switch's report ends each call as an unanswered one (``NO_ANSWER``)."""
        limit = after if after > MIN_RING_TIMEOUT else MIN_RING_TIMEOUT
        config = self.config
        if limit >= config.ring_timeout:
            return  # the ring timeout ends them first
        done = self.ring_hung_up
        dialing, verdicts, calls = self.dialing, self.verdicts, self.calls
        from_dial = config.rings_from_dial
        if len(done) > 64 and len(done) > len(dialing):
            done.intersection_update(dialing)
        for call_id, t in dialing.items():  # in the order dialed: the oldest first
            if now - t < limit:
                break  # rung less than dialed: no later call has rung long enough either
            if call_id in verdicts or call_id in done:
                continue
            call = calls.get(call_id)
            if call is None or call.agent_first:
                continue
            if not from_dial:
                rang = call.ringing_at
                if rang is None or now - rang < limit:
                    continue
            done.add(call_id)
            out.append(Hangup(now, call_id, HangupCause.NO_ANSWER))

    def end_rung_calls(self, now: float, out: list[Command]) -> None:
        """Hang up the unanswered calls whose ring time is over, at a decision (every
        ``decision_interval``, paused or not): ``ring_timeout`` after the ringing the switch
        reported (``Call.ringing_at``: CHANNEL_PROGRESS or PROGRESS_MEDIA), or, while none
        is reported, ``ring_timeout + SETUP_ALLOWANCE`` after the dial. The switch's own
        ``originate_timeout`` runs from the originate, set-up included, so it is given only
        as a backstop behind this (``switch_ring_timeout``): the called phone rings the
        ring timeout, never less than 15 s (47 CFR 64.1200(a)(6); review row F4). A call
        awaiting AMD's verdict has been answered and is left alone. Not for a driver whose
        calls ring from the dial (``rings_from_dial``): its switch's timeout is exact."""
        config = self.config
        dialing, verdicts, calls = self.dialing, self.verdicts, self.calls
        own = self._ring_times
        if config is not self._ring_config:
            # A retune: the calls in flight keep the ring time they were dialed with (their
            # switch's backstop was set from it).
            before = self._ring_config.ring_timeout
            if before != config.ring_timeout:
                for call_id in dialing:
                    own.setdefault(call_id, before)
            self._ring_config = config
        if len(own) > 64 and len(own) > len(dialing):
            own = self._ring_times = {c: r for c, r in own.items() if c in dialing}
        done = self.ring_hung_up
        if len(done) > 64 and len(done) > len(dialing):
            done.intersection_update(dialing)
        ring = config.ring_timeout
        for call_id, t in dialing.items():  # in the order dialed: the oldest first
            if now - t < MIN_RING_TIMEOUT:
                break  # no call dialed since has rung 15 s (nor waited out its set-up)
            if call_id in verdicts or call_id in done:
                continue
            call = calls.get(call_id)
            if call is None:
                continue
            limit = own.get(call_id, ring) if own else ring
            rang = call.ringing_at
            if rang is None:
                if now - t < limit + SETUP_ALLOWANCE:
                    continue
            elif now - rang < limit:
                continue
            done.add(call_id)
            out.append(Hangup(now, call_id, HangupCause.NO_ANSWER))

    def _dial_plain(self, targets: list[DialTarget], now: float, out: list[Command]
                    ) -> None:
        """One decision's outbound calls on the plain path: the campaign's one caller ID and
        the driver's default route (no gateway router, no caller-ID pool), campaign not
        paused and a switch up (``pace`` checked both).

        The same checks, records and order as ``dial`` → ``_place_call`` → ``_originate``
        for these calls, written out in one loop with the campaign's constants read once:
        this runs once per attempt, and the chain's four calls and their ten arguments were
        about a tenth of the engine's own work per attempt under simulation. Any change to
        that chain must be made here too (the command-stream digests of
        tests/simulations/test_engine_stream_hashes.py cover both).
        """
        config = self.config
        campaign_id = config.campaign_id
        caller_number = config.caller_id_number
        caller_name = config.caller_id_name
        # The switch's originate_timeout: the backstop behind ``end_rung_calls``.
        ring_timeout = switch_ring_timeout(config.ring_timeout, config.rings_from_dial,
                                           config.decision_interval)
        detect_machine = config.amd_enabled
        check = self.gate.check
        calls, dialing = self.calls, self.dialing
        new_id = self._new_id
        up = self._up_order
        # Every call of this decision has the same ``DIAL`` deadline: at the end of the
        # watch's line of them when no earlier than its last (always, unless the clock went
        # back), else through ``add_dial`` (watch.py).
        deadline = now + ring_timeout + DIAL_MARGIN
        dials = self._dial_waits
        if not dials or dials[-1][0] <= deadline:
            order, add_dial = self.watch._order, dials.append
            floor = self.watch.floor  # (``add_dial`` lowers it itself)
            if deadline < floor.at:
                floor.at = deadline
        else:
            order, add_dial = None, None
        for target in targets:
            verdict = check(target, now)
            if not verdict.allowed:
                self.leads.release(target.lead_id)
                out.append(ReleaseLead(now, target.lead_id, "compliance", verdict))
                continue
            switch_id = up[0] if len(up) == 1 else self._next_switch()
            call_id = new_id()
            # ``Call(...)``: its ``__init__`` called as a function, not through the class
            # (``type.__call__`` enters a second evaluation loop in CPython 3.11).
            call = _new(Call)
            _call_init(call, call_id, _OUTBOUND, _DIALING, now, target, switch_id)
            call.customer_key = target.customer_key
            call.caller_id = caller_number
            calls[call_id] = call
            dialing[call_id] = now
            if add_dial is not None:
                add_dial((deadline, next(order), _DIAL_WAIT, call_id, None))
            else:
                self.watch.add_dial(deadline, call_id)
            lead_id, number = target.lead_id, target.number_e164
            out.append(_journal_attempt(
                now, call_id, lead_id, campaign_id, number, target.attempt_number, verdict,
                switch_id, _OUTBOUND, None, caller_number, None, None))
            variables = {"dialer_campaign": campaign_id, "dialer_lead_id": lead_id,
                         "dialer_attempt": str(target.attempt_number),
                         "dialer_call_id": call_id}
            if target.variables:
                # ``_originate``'s ``**target.variables``: the same dict, without the
                # generic merge an empty mapping proxy (a lead without variables) costs.
                variables.update(target.variables)
            out.append(_originate_record(
                now, call_id, number, caller_number, caller_name, ring_timeout, variables,
                detect_machine, switch_id, None, None))
            self.dials += 1

    def _dial_spread(self, targets: list[DialTarget], now: float) -> None:
        """Several switches: each call goes where its answer is likeliest to find an agent."""
        assert self._placement is not None
        plan = self._placement.plan(
            self._up_order, self.pool.lanes, self.pool.agents, self.calls, self.dialing
        )
        for target in targets:
            switch_id = plan.best()
            call = self.dial(target, now, Direction.OUTBOUND, None, switch_id)
            if call is not None:
                plan.placed(call.switch_id)

    def _share_of_takers(self, n: int) -> int:
        """Of ``n`` calls decided on the campaign's pooled counts, those for the agents of
        the switches that take calls, while some switch refuses them (``refusing``) or is
        down (its event socket lost: ``SwitchDown``).

        An answer can only reach an agent of its own switch, so the calls meant for a
        refusing or down switch's agents, placed on another switch, would find none of
        theirs and be abandoned. A down switch's agents stay in the pool (their legs are on
        a switch the runner cannot see; the policy still counts them free), so before
        2026-12-08 a lost link sent their whole share to the other switches: two agents on
        each of two switches, one link lost, and progressive rang four lines for the two
        agents left. The lines the decision wants in all (those ringing and ``n``) are
        shared by capacity (``SwitchPlacement.plan`` over every switch of the campaign:
        free agents, and engaged ones likely to free up); the switches taking calls get
        their share, less what rings there already, rounded half up (a half share is a
        call: two switches equally staffed, a decision asking one call places it). With
        no capacity anywhere all ``n`` go, round robin over the takers."""
        assert self._placement is not None
        plan = self._placement.plan(
            self.config.switch_ids, self.pool.lanes, self.pool.agents, self.calls,
            self.dialing)
        takers = self._up_order
        total = taking = 0.0
        for switch_id, capacity in zip(plan.switch_ids, plan.capacity, strict=True):
            total += capacity
            if switch_id in takers:
                taking += capacity
        if total <= 0.0:
            return n
        calls = self.calls
        ringing = sum(1 for call_id in self.dialing
                      if calls[call_id].switch_id in takers)
        wanted = (len(self.dialing) + n) * taking / total - ringing
        return min(n, max(0, math.floor(wanted + 0.5)))

    def _next_switch(self) -> str:
        up = self._up_order
        if len(up) == 1:
            return up[0]
        self._switch_turn = (self._switch_turn + 1) % len(up)
        return up[self._switch_turn]

    def dial(
        self, target: DialTarget, now: float, direction: Direction, callback_id: str | None,
        switch_id: str | None = None,
    ) -> Call | None:
        """Check the target at this instant; journal, then originate. None if refused.

        ``switch_id``: where to dial (a callback: its agent's switch); None: round robin.
        """
        if self.paused:
            self.leads.release(target.lead_id)
            self._emit(ReleaseLead(now, target.lead_id, "campaign paused"))
            return None
        verdict = self.gate.check(target, now)
        if not verdict.allowed:
            self.leads.release(target.lead_id)
            self._emit(ReleaseLead(now, target.lead_id, "compliance", verdict))
            return None
        if not self.switches_up:
            self.leads.release(target.lead_id)
            self._emit(ReleaseLead(now, target.lead_id, "no switch connected"))
            return None
        if switch_id is None:
            up = self._up_order
            if not up:
                self.leads.release(target.lead_id)
                self._emit(ReleaseLead(now, target.lead_id, "every switch refuses calls"))
                return None
            switch_id = up[0] if len(up) == 1 else self._next_switch()
        elif switch_id not in self.switches_up:
            self.leads.release(target.lead_id)
            self._emit(ReleaseLead(now, target.lead_id, f"switch {switch_id} not connected"))
            return None
        elif switch_id in self.refusing:
            self.leads.release(target.lead_id)
            self._emit(ReleaseLead(now, target.lead_id, f"switch {switch_id} refuses calls"))
            return None
        return self._place_call(target, now, direction, callback_id, switch_id, verdict,
                                self.config.ring_timeout)

    def place_callback(self, target: DialTarget, now: float, callback_id: str,
                        switch_id: str, ring_timeout: float, verdict: GateVerdict
                        ) -> Call | None:
        """A queue callback, checked by the inbound router on the reserved agent's switch
        (``EngineServices.place_call``, inbound.py)."""
        return self._place_call(target, now, Direction.CALLBACK, callback_id, switch_id,
                                verdict, ring_timeout, release=False)

    def _place_call(self, target: DialTarget, now: float, direction: Direction,
                    callback_id: str | None, switch_id: str, verdict: GateVerdict,
                    ring_timeout: float, release: bool = True) -> Call | None:
        """Choose the caller ID and the gateway, journal, then originate (the compliance and
        switch checks are the caller's). None when no caller ID is under its daily cap or
        no gateway can take the call now; the lead is given back (``release``; a queue
        callback's caller keeps their place instead)."""
        caller = self._caller_id(target, now)
        if caller is None:
            if release:
                self._not_placed(target, now, "every caller ID of the campaign is at its "
                                 "daily cap")
            return None
        call_id = self._new_id()
        route: Route | None = None
        router = self.gateways
        if router is not None and router.serves_switch(switch_id):
            switches = (switch_id,) if direction is not Direction.OUTBOUND else (
                switch_id, *[s for s in self._up_order if s != switch_id])
            route = router.route(call_id, target.number_e164, switches, now)
            if route is None:
                if self.caller_ids is not None:
                    self.caller_ids.release(caller.number, now)
                if release:
                    self._not_placed(target, now, "no route")
                return None
            switch_id = route.switch_id
        call = self._originate(call_id, target, now, direction, callback_id, switch_id,
                               verdict, ring_timeout, caller, route, None)
        self.dials += 1
        return call

    def _originate(self, call_id: str, target: DialTarget, now: float, direction: Direction,
                   callback_id: str | None, switch_id: str, verdict: GateVerdict,
                   ring_timeout: float, caller: CallerIdChoice, route: Route | None,
                   failover: Failover | None) -> Call:
        config = self.config
        call = Call(call_id, direction, S.DIALING, now, target, switch_id)
        call.callback_id = callback_id
        call.customer_key = target.customer_key
        call.caller_id = caller.number
        call.failover = failover
        self.calls[call_id] = call
        self.dialing[call_id] = now
        if ring_timeout != config.ring_timeout and not config.rings_from_dial:
            self._ring_times[call_id] = ring_timeout
        # The switch's originate_timeout: the backstop behind ``end_rung_calls``.
        ring_timeout = switch_ring_timeout(ring_timeout, config.rings_from_dial,
                                           config.decision_interval)
        self.watch.add_dial(now + ring_timeout + DIAL_MARGIN, call_id)
        variables = {
            "dialer_campaign": config.campaign_id,
            "dialer_lead_id": target.lead_id,
            "dialer_attempt": str(target.attempt_number),
            "dialer_call_id": call_id,
            **target.variables,
        }
        gateway = dial_string = None
        if route is not None:
            call.gateway = gateway = route.gateway
            dial_string = fill_dial_string(route, target.number_e164)
            variables["dialer_gateway"] = gateway
            variables.update(gateway_variables(route, caller.variables))
        emit = self._emit
        emit(
            JournalAttempt(
                now, call_id, target.lead_id, config.campaign_id, target.number_e164,
                target.attempt_number, verdict, switch_id, direction, callback_id,
                caller.number, gateway, failover.previous_call_id if failover else None,
            )
        )
        emit(
            Originate(
                now, call_id, target.number_e164, caller.number,
                config.caller_id_name, ring_timeout, variables,
                config.amd_enabled, switch_id, gateway, dial_string,
            )
        )
        return call

    def _caller_id(self, target: DialTarget, now: float) -> CallerIdChoice | None:
        pool = self.caller_ids
        if pool is None:
            # The campaign's one number: the same (immutable) choice for every call.
            number = self.config.caller_id_number
            fixed = self._fixed_caller_id
            if fixed is None or fixed.number != number:
                fixed = CallerIdChoice(number, "fixed", {"caller_id": number})
                self._fixed_caller_id = fixed
            return fixed
        return pool.choose(target.number_e164, now, target.attributes)

    def _not_placed(self, target: DialTarget, now: float, reason: str) -> None:
        self.leads.release(target.lead_id)
        self._emit(ReleaseLead(now, target.lead_id, reason))

    def fail_over(self, call: Call, at: float, cause: HangupCause) -> bool:
        """A gateway refused an outbound call with a carrier cause before any answer: retry
        the same attempt at once on the next gateway, within the ring budget. True when a
        new leg was placed (the refused leg is then closed here, without a result for
        pacing: the attempt goes on).

        Each new leg passes the compliance gate again and is journaled as its own call (the
        strictest count of attempts). Only outbound calls fail over (a callback's reserved
        agent follows its own call). The new leg rings for what is left of the campaign's
        ring timeout, never less than the legal minimum (47 CFR 64.1200(a)(6)): with less
        left, the attempt ends with the carrier's cause."""
        router = self.gateways
        target = call.target
        if (router is None or target is None or call.direction is not Direction.OUTBOUND
                or not router.failover_allowed(cause)):
            return False
        gateway = router.gateway_of(call.call_id)
        if gateway is None:
            return False
        first = call.failover.first_dialed_at if call.failover else call.dialed_at
        tried = (*call.failover.tried, gateway) if call.failover else (gateway,)
        reached = not call.unplaced or (call.failover is not None and call.failover.reached)
        budget = self.config.ring_timeout - (at - first)
        if budget < MIN_RING_TIMEOUT or call.switch_id not in self.switches_up:
            return False
        verdict = self.gate.check(target, at)
        if not verdict.allowed:
            return False
        call_id = self._new_id()
        switches = (call.switch_id, *[s for s in self._up_order if s != call.switch_id])
        route = router.route(call_id, target.number_e164, switches, at, exclude=tried)
        if route is None:
            return False
        transition(call, S.ENDED, cause)
        del self.calls[call.call_id]
        self.dialing.pop(call.call_id, None)
        router.ended(call.call_id, at, cause, failed_over=True)
        self._emit(AttemptFinished(
            at, call.call_id, self.config.campaign_id, call.direction, CallOutcome.FAILED,
            cause, target.lead_id, target.number_e164, target.attempt_number, call.dialed_at,
            ended_at=at, callback_id=call.callback_id, caller_id=call.caller_id,
            gateway=gateway, failed_over_to=call_id))
        caller = CallerIdChoice(call.caller_id, "failover", self._caller_variables(call))
        self._originate(call_id, target, at, call.direction, call.callback_id,
                        route.switch_id, verdict, budget, caller, route,
                        Failover(first, call.call_id, tried, reached))
        return True

    def _caller_variables(self, call: Call) -> dict[str, str]:
        pool = self.caller_ids
        variables = {"caller_id": call.caller_id}
        if pool is not None:
            for entry in pool.numbers:
                if entry.number == call.caller_id and entry.attestation:
                    variables["attestation"] = entry.attestation
        return variables

    # --- switch ------------------------------------------------------------------------------

    def on_switch_up(self, event: SwitchUp) -> None:
        self.known_switch(event.switch_id)
        self.switches_up[event.switch_id] = None
        self._order()

    def on_switch_down(self, event: SwitchDown) -> None:
        self.switches_up.pop(event.switch_id, None)
        self._order()

    def on_switch_refusing(self, event: SwitchRefusing) -> None:
        """The switch refuses originates, or may be sent them again (the runner's send
        hold, dialer/runner/send_hold.py)."""
        self.known_switch(event.switch_id)
        if event.refusing:
            self.refusing[event.switch_id] = None
        else:
            self.refusing.pop(event.switch_id, None)
        self._order()
        # Queue callbacks go to agents of the other switches meanwhile (inbound_lines.py);
        # once it takes calls again, the next decision serves the ones left waiting.
        self.pool.hold_switches(frozenset(self.refusing))

    def _order(self) -> None:
        refusing = self.refusing
        self._up_order = tuple(s for s in self.switches_up if s not in refusing)

    def known_switch(self, switch_id: str) -> str:
        """The switch id, checked against the campaign's (``UnknownSwitchError``)."""
        if switch_id not in self.config.switch_ids:
            raise UnknownSwitchError(
                f"switch {switch_id!r} is not one of campaign {self.config.campaign_id}'s "
                f"switches ({', '.join(self.config.switch_ids)}): add it to switch_ids"
            )
        return switch_id
