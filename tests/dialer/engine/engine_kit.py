"""Shared helpers for the engine tests: a tiny progressive policy and a recording gate."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.commands import Command, Originate
from dialer.engine import CampaignConfig, Engine
from dialer.events import AgentLoggedIn, CallAnswered, CallBridged
from dialer.ports import DialTarget, GateVerdict, ListLeadSource
from pacing_models.interface import AttemptResult, PacingDecision, PacingState


@dataclass
class Progressive:
    """One line per free agent, minus calls already ringing or waiting (a test policy)."""

    name: str = "progressive"
    attempts: list[tuple[AttemptResult, float, float]] = field(default_factory=list)
    handles: list[tuple[float, float, float]] = field(default_factory=list)
    states: list[PacingState] = field(default_factory=list)

    def decide(self, state: PacingState) -> PacingDecision:
        self.states.append(state)
        n = state.agents_free - len(state.ringing_elapsed) - state.answered_waiting
        return PacingDecision(max(0, n), "one line per free agent")

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        self.attempts.append((result, ring_seconds, at))

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        self.handles.append((talk_seconds, wrap_seconds, at))


@dataclass
class Fixed(Progressive):
    """Launch ``n`` calls at every decision (to overdial on purpose)."""

    n: int = 3

    def decide(self, state: PacingState) -> PacingDecision:
        self.states.append(state)
        return PacingDecision(self.n, "fixed")


class RecordingGate:
    """Allows every number except those in ``refused`` (and recorded messages except to
    ``no_message``); remembers each check."""

    def __init__(self, refused: set[str] | None = None,
                 no_message: set[str] | None = None) -> None:
        self.refused = refused or set()
        self.no_message = no_message or set()
        self.checks: list[tuple[str, float, bool]] = []
        self.message_checks: list[tuple[str, float, float, bool]] = []

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        allowed = target.number_e164 not in self.refused
        self.checks.append((target.number_e164, at, allowed))
        return GateVerdict(allowed, () if allowed else ("internal DNC",), ("internal@1",))

    def check_message(self, target: DialTarget, dialed_at: float, at: float) -> GateVerdict:
        allowed = target.number_e164 not in self.no_message
        self.message_checks.append((target.number_e164, dialed_at, at, allowed))
        return GateVerdict(allowed, () if allowed else ("us.prerecorded_consent: none",),
                           (), f"message:{target.lead_id}")


def targets(n: int, campaign: str = "c1") -> list[DialTarget]:
    return [
        DialTarget(f"L{i}", f"+1201555{i:04d}", campaign, customer_key=f"K{i}")
        for i in range(n)
    ]


def make_engine(
    n_leads: int = 100,
    policy: Progressive | None = None,
    gate: RecordingGate | None = None,
    routing: object = None,
    **config: object,
) -> tuple[Engine, ListLeadSource, Progressive, RecordingGate]:
    settings: dict[str, object] = {"campaign_id": "c1", "caller_id_number": "+12015550000"}
    settings.update(config)
    leads = ListLeadSource(targets(n_leads))
    policy = policy or Progressive()
    gate = gate or RecordingGate()
    engine = Engine(
        CampaignConfig(**settings),  # type: ignore[arg-type]
        policy,
        leads,
        gate,
        routing=routing,  # type: ignore[arg-type]
        assume_switches_up=True,
    )
    return engine, leads, policy, gate


def of_type(commands: list, kind: type) -> list:
    return [c for c in commands if isinstance(c, kind)]


def dial_one(engine: Engine, at: float = 1.0) -> str:
    """The one call a decision at ``at`` places (one ready agent, progressive)."""
    (originate,) = of_type(engine.tick(at), Originate)
    return originate.call_id


def abandoned_with_message(engine: Engine) -> tuple[str, list[Command]]:
    """Two calls dialed for ann (a ``Fixed(n=2)`` policy): the first answered and bridged,
    the second answered with nobody free, so its connect window closes at 7.7 s. Returns
    the second call and what that instant's tick commanded (the safe-harbour message)."""
    engine.handle(AgentLoggedIn(0.0, "ann"))
    first, second = (o.call_id for o in of_type(engine.tick(1.0), Originate))
    engine.handle(CallAnswered(5.0, first))
    engine.handle(CallBridged(5.05, first, "ann"))
    engine.handle(CallAnswered(6.0, second))
    return second, engine.tick(7.7)
