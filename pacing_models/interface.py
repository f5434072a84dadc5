"""The one question every pacing policy answers: how many new calls to launch now.

This module is the contract between ``pacing_models`` and its callers (the dialer
engine, the simulator, the benchmarks). Policies receive an immutable snapshot of the
campaign (``PacingState``) and learn from outcomes through ``observe_*`` calls; they never
read a clock. Fields may be added with defaults; existing fields keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pacing_models.records import fast_init


class AttemptResult(StrEnum):
    """How a dial attempt ended, as pacing needs to know it."""

    LIVE = "live"            # answered by a person
    MACHINE = "machine"      # answered by an answering machine / voicemail
    NO_ANSWER = "no_answer"  # rang until the ring timeout, or the callee never picked up
    BUSY = "busy"            # busy signal
    FAILED = "failed"        # network failure, invalid number, rejected, ...


@fast_init
@dataclass(frozen=True, slots=True)
class PacingState:
    """A snapshot of a campaign at the moment of a pacing decision.

    Times are seconds. ``now`` is whatever clock the driver uses (real or virtual);
    policies only ever use differences.
    """

    now: float
    agents_free: int
    """Agents ready and idle right now (not reserved for a call)."""
    busy_elapsed: tuple[float, ...] = ()
    """For every agent on a call: seconds since that call was connected."""
    wrap_elapsed: tuple[float, ...] = ()
    """For every agent in wrap-up: seconds since wrap-up began."""
    ringing_elapsed: tuple[float, ...] = ()
    """For every outbound call still ringing (not yet answered): seconds since it was dialed.
    With answering-machine detection the ring time ``observe_attempt`` reports runs to the
    verdict (a call needs an agent from the verdict, not the answer); a call answered and
    awaiting the verdict is listed in ``verdict_elapsed`` instead."""
    live_answers_in_window: int = 0
    """Live (human) answers in the campaign's abandonment measurement window (the rolling
    window, or the campaign's current 30-day period when that has less slack: the engine
    hands the measurement that binds, dialer/engine/ledger.py)."""
    abandons_in_window: int = 0
    """Abandoned calls in the same window (the legal numerator)."""
    abandon_target: float = 0.03
    """Maximum abandons ÷ live answers the campaign must respect (e.g. 0.03)."""
    connect_window: float = 2.0
    """Seconds from a live answer to an agent before the call counts as abandoned."""
    decision_interval: float = 1.0
    """Seconds until the next pacing decision (the look-ahead horizon starts here)."""
    answered_waiting: int = 0
    """Calls answered by a person and waiting for an agent right now."""
    agents_logged_in: int = 0
    """Agents logged in (free, reserved, on call, wrap-up or paused)."""
    lines_per_agent: float = 1.0
    """Campaign's dial level for ``power`` and the starting level of ``adaptive``."""
    free_elapsed: tuple[float, ...] = ()
    """For every free agent: seconds idle so far (optional; ``preview`` uses it when given)."""
    agents_reserved: int = 0
    """Agents kept for inbound queues (blending): already left out of ``agents_free`` (and,
    when fewer are free, of the busy and wrap-up agents closest to freeing up). Informative:
    a policy needs no change to respect it."""
    ringing_lines: int | None = None
    """Outbound calls dialing or ringing right now, or awaiting AMD's verdict (None:
    ``len(ringing_elapsed)``). The engine always fills it, so a policy that needs only the
    count (``calls_in_flight``) can leave ``ringing_elapsed`` out of its ``state_fields``:
    the engine then builds no per-line tuple at each decision."""
    amd_abandons: int = 0
    """Abandons charged to answering-machine detection's machine verdicts since the engine
    started, a running count: people AMD classed as machines and hung up on (reported by a
    correction) and the campaign's false-positive estimate. They are in
    ``abandons_in_window`` (the law counts them, so the budget pays for them), but no
    forecast of people waiting for an agent predicts them: a policy that learns its own
    error from the window's abandons leaves these out. 0 from a caller that does not
    count them."""
    verdict_elapsed: tuple[float, ...] = ()
    """For every outbound call answered and awaiting answering-machine detection's verdict:
    seconds since its answer (empty without AMD). Such a call is still a line in flight
    (``ringing_lines`` counts it) but no longer a ringing one: it has been answered, and it
    needs an agent at the verdict unless AMD calls it a machine, so it is far likelier to
    need one within seconds than a call still ringing after as long (a policy reads it
    with its own odds; ``VerdictObserver`` tells it how long verdicts take)."""
    in_progress_started: bytes = b""
    """The same four groups as one packed array, for a policy that reads them all at every
    decision: the instants (the driver's clock) at which each call still ringing was dialed,
    each call awaiting the verdict was answered, each agent on a call was connected and each
    agent in wrap-up began it, as native float64 (``struct`` "d"; ``numpy.frombuffer``),
    the groups in that order, each in the order of its tuple, so that ``now − start`` is
    the tuple's elapsed time to the bit. Sizes in ``in_progress_counts``. The engine fills
    both only for a policy that names them in ``state_fields`` (and then builds none of the
    four tuples the policy does not name): one C-level copy of its clocks instead of a
    Python float per item in four tuples, which a model policy would pack into an array
    again."""
    in_progress_counts: tuple[int, int, int, int] | None = None
    """(ringing, awaiting the verdict, on a call, in wrap-up): the sizes of the groups of
    ``in_progress_started``; None when it is not built (read the tuples then)."""
    live_answers_seen: int | None = None
    """Live answers the caller has counted since it started, a running total: never reset
    when an answer leaves the window or a period begins (an answer later found to be a
    machine is taken off). Its difference between two decisions is the live answers that
    came between them, whichever measurement ``live_answers_in_window`` follows: when the
    binding measurement switches (window ↔ period, or a new period begins) those counts
    jump, these do not. None: not counted (a policy then reads the window's differences)."""
    abandons_seen: int | None = None
    """Abandons the caller has counted since it started, a running total like
    ``live_answers_seen`` (it includes ``amd_abandons``). A policy that learns its own
    error from realised abandons reads its differences. None: not counted."""
    window_live_answers: int | None = None
    """Live answers in the rolling window alone (``live_answers_in_window`` is the window's
    or the period's, whichever binds). None: the caller counts no period (the window is
    then the only measurement, and ``live_answers_in_window`` is its count)."""
    window_abandons: int | None = None
    """Abandons in the rolling window alone (None with ``window_live_answers``)."""
    period_live_answers: int | None = None
    """Live answers in the campaign's current period (periods of the window's length from
    the campaign's first attempt; 47 CFR 64.1200(a)(7)(i), "each successive 30-day period
    or portion thereof"). The period is the window's latest part, so the window's answers
    before it, ``window_live_answers − period_live_answers``, are the previous period's
    over the stretch of it that this period has still to run: what the campaign answered
    last time over what is left now. None: no period counted."""
    period_abandons: int | None = None
    """Abandons in the current period (None with ``period_live_answers``)."""


PERIOD_PLAN_AIM = "set by the period plan"
"""The words a decision's explanation carries when the period plan set its aim (a model
decision's aim spent against the period's end, above the window's every-instant aim:
docs/pacing.md, "Periods"); the dashboard looks for them (``period_plan_set_aim``)."""


def period_plan_set_aim(explanation: str | None) -> bool:
    """Whether a decision's explanation says that the period plan set its aim."""
    return explanation is not None and PERIOD_PLAN_AIM in explanation


class _Deferrable:
    """The slot that holds a deferred explanation's formatter and values."""

    __slots__ = ("_deferred",)


@fast_init
@dataclass(frozen=True, slots=True)
class PacingDecision(_Deferrable):
    """How many calls to launch now, and why (shown on the live dashboard)."""

    calls_to_launch: int
    explanation: str
    """Why, for people. A decision made by ``deferred_decision`` formats it at its first
    read (attribute, equality, hash, ``repr``, pickling, ``dataclasses.replace``) from
    values fixed when the decision was made, and keeps it: the same string whenever read.
    Most decisions are never read by anyone (a simulated month makes ~900,000), and
    formatting one cost about as much as the forecast's Python around it."""
    expected_abandons: float = 0.0
    """The policy's own estimate of abandons caused by this decision (0 when not modelled)."""
    hang_up_ringing_after: float | None = None
    """Hang up every outbound call still ringing (not answered) that was dialed at least
    this many seconds ago (None: none). The driver never hangs up a call that has rung less
    than the law's minimum ring time, whatever the value (``MIN_RING_SECONDS``; a value
    below it reads as it): a policy uses it to shed the late answers of a horizon it has
    over-committed, never to shorten the legal ring."""


MIN_RING_SECONDS = 15.0
"""The shortest ring before a dialer may disconnect an unanswered call: 47 CFR
64.1200(a)(6) ("at least 15 seconds or four (4) rings"); the engine's ``MIN_RING_TIMEOUT``.
``PacingDecision.hang_up_ringing_after`` is read as at least this."""


class _Explanation:
    """``PacingDecision.explanation``: its slot, filled at the first read for a deferred
    decision. A data descriptor in place of the slot's own, so the other fields are read as
    plain slots (a ``__getattr__`` on the class would slow every attribute read)."""

    __slots__ = ("_deferred", "_slot")

    def __init__(self, slot: Any, deferred: Any) -> None:
        self._slot = slot
        self._deferred = deferred

    def __get__(self, decision: PacingDecision | None, owner: type | None = None) -> Any:
        if decision is None:
            return self
        try:
            return self._slot.__get__(decision, owner)
        except AttributeError:
            explain, values = self._deferred.__get__(decision, owner)
            text = explain(*values)
            self._slot.__set__(decision, text)
            return text

    def __set__(self, decision: PacingDecision, text: str) -> None:
        self._slot.__set__(decision, text)

    def __delete__(self, decision: PacingDecision) -> None:
        self._slot.__delete__(decision)


_explanation_slot = PacingDecision.__dict__["explanation"]
PacingDecision.explanation = _Explanation(  # type: ignore[assignment,misc]
    _explanation_slot, _Deferrable.__dict__["_deferred"])
_new_decision = object.__new__
_set_calls = PacingDecision.__dict__["calls_to_launch"].__set__
_set_expected = PacingDecision.__dict__["expected_abandons"].__set__
_set_hang_up = PacingDecision.__dict__["hang_up_ringing_after"].__set__
_set_deferred = _Deferrable.__dict__["_deferred"].__set__


def shedding_late_calls(decision: PacingDecision, after: float) -> PacingDecision:
    """``decision`` with ``hang_up_ringing_after`` = ``after``: set on a decision its policy
    has just made, before anyone else holds it (as ``deferred_decision`` fills its slots),
    so an eager decision's explanation is not formatted and a deferred one's stays
    deferred."""
    _set_hang_up(decision, after)
    return decision


def deferred_decision(calls_to_launch: int, expected_abandons: float,
                      explain: Callable[..., str], values: tuple[Any, ...],
                      hang_up_ringing_after: float | None = None) -> PacingDecision:
    """A decision whose explanation is ``explain(*values)``, formatted when first read.

    ``values`` must be immutable (numbers, strings, booleans), fixed at the decision: the
    explanation is then the one an eager decision would carry, whenever it is read."""
    decision: PacingDecision = _new_decision(PacingDecision)
    _set_calls(decision, calls_to_launch)
    _set_expected(decision, expected_abandons)
    _set_hang_up(decision, hang_up_ringing_after)
    _set_deferred(decision, (explain, values))
    return decision


@runtime_checkable
class PacingPolicy(Protocol):
    """A pacing policy. Stateful only through what it observes; no clock, no I/O."""

    name: str

    def decide(self, state: PacingState) -> PacingDecision:
        """Return how many new calls to launch now. Never negative."""
        ...

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        """Learn from a finished dial attempt (``ring_seconds``: dial to answer or to give-up)."""
        ...

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        """Learn from an agent's finished call (talk time and wrap-up time)."""
        ...


@runtime_checkable
class MachineObserver(Protocol):
    """Optional: a policy that tells answering machines reaching agents from people.

    Without AMD every answer goes to an agent, and so do the machines AMD misses; the
    engine learns later (the switch detects a beep, the agent says so, the simulator's
    ground truth) that a person was a machine. A policy with these two methods is told so;
    a policy without them sees such answers as live and their handles in ``observe_handle``,
    as before. People are what the abandonment limit counts; machines only take agents.
    """

    def observe_machine_routed(self, ring_seconds: float, at: float) -> None:
        """An answer reported as ``AttemptResult.LIVE`` by ``observe_attempt`` was an
        answering machine, connected or queued for an agent (``ring_seconds``: dial to
        answer, as reported then). Called at most once per attempt."""
        ...

    def observe_machine_handle(self, talk_seconds: float, wrap_seconds: float,
                               at: float) -> None:
        """An agent's finished call with an answering machine, reported here *instead of*
        ``observe_handle`` (so the talk-time law is that of people)."""
        ...


@runtime_checkable
class VerdictObserver(Protocol):
    """Optional: a policy that learns how long answering-machine detection takes.

    With AMD an answered call reaches the agents' queue (or is hung up as a machine) at the
    verdict, some seconds after the answer; the calls waiting for it are listed apart
    (``PacingState.verdict_elapsed``), and a policy with this method learns the delay's law
    to read them.
    """

    def observe_verdict(self, delay_seconds: float, at: float) -> None:
        """An outbound call's verdict (either kind) came ``delay_seconds`` after its answer.
        Called once per classified answer, before its ``observe_attempt``."""
        ...
