"""Property: every queue callback dial rests on the full compliance gate allowing it at that
moment.

The engine's inbound world (inbound_kit) runs with the runner's own callback gate
(``dialer/runner/callback_gate.py`` over a ``DialTimeGate`` with the shipped rule tables),
fed as the runner feeds it: a callback's facts are loaded when it is requested or restored,
each callback dial is counted (``record_dial``) and its outcome marked (``record_outcome``).
Callers from several states (Michigan's and Rhode Island's stricter windows and holidays,
Alaska's two zones) ask for callbacks or are restored with inquiries of various ages; some
numbers are on the national registry; each has earlier campaign calls. A judge that shares
nothing with the gate but the rules (a fresh ``ComplianceEngine`` over the registries, the
earlier calls and every callback dial made so far) decides each callback ``Originate`` again
at its instant: it must allow it. A gate that ignored a refusal, forgot to count callbacks or
took the caller's request for consent would be caught.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inbound_kit import Caller, queue, world

from dialer.commands import AttemptFinished, Direction, Originate, QueueCallbackRequested
from dialer.events import QueueCallbackPending
from dialer.runner.callback_gate import CallbackFacts, CallbackGate
from dialer.runner.dial_gate import DialTimeGate, rule_tables
from dnc.interfaces import PastAttempt, RegistryHit, RegistryKind, RegistryVersion
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, LeadFacts, Profile

START = datetime(2026, 12, 24, 12, tzinfo=UTC)  # Thursday 07:00 in New York; Christmas next
T0 = START.timestamp()
NUMBERS = ("+12125550101", "+13135550102", "+14015550103", "+19075550104", "+13125550105",
           "+12135550106")
"""New York, Detroit (Michigan 09-21, two zones), Providence (Rhode Island: weekdays 09-18,
Saturdays 10-17, its holidays), Anchorage (two zones), Chicago, Los Angeles."""
RULES = CampaignRules("c1", profiles=(Profile.US_FEDERAL, Profile.US_STATE, Profile.REG_F),
                      autodialed=False, seller="Acme")
TABLES = rule_tables(Path("/nonexistent-data-dir"))
NATIONAL = RegistryVersion("national", RegistryKind.NATIONAL, "national@t",
                           START - timedelta(days=5))


class Registries:
    def __init__(self, listed: set[str]) -> None:
        self.listed = listed

    def hits(self, number_e164: str) -> list[RegistryHit]:
        return [RegistryHit(NATIONAL)] if number_e164 in self.listed else []

    def versions(self) -> list[RegistryVersion]:
        return [NATIONAL]


class Calls:
    """Attempts by number; the gate reads the earlier ones at prefetch, the judge all."""

    def __init__(self, attempts: list[PastAttempt]) -> None:
        self.made = list(attempts)

    def attempts(self, number_e164: str, since: datetime) -> list[PastAttempt]:
        return [a for a in self.made if a.number_e164 == number_e164 and a.at >= since]


def _inquiry(age: float | None) -> float | None:
    return None if age is None else T0 - age * 86_400.0


restored = st.lists(st.tuples(st.integers(0, len(NUMBERS) - 1),
                              st.floats(0, 30 * 3600),                     # when restored
                              st.none() | st.sampled_from([0.5, 40.0, 95.0])),  # inquiry age
                    max_size=4)
asking = st.lists(st.tuples(st.integers(0, len(NUMBERS) - 1), st.floats(0, 20 * 3600)),
                  max_size=4)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(listed=st.sets(st.sampled_from(NUMBERS), max_size=3),
       earlier=st.lists(st.integers(0, 7), min_size=len(NUMBERS), max_size=len(NUMBERS)),
       pending=restored, callers=asking, answers=st.booleans())
def test_every_callback_dial_rests_on_the_full_gate_allowing_it(listed, earlier, pending,
                                                                callers, answers) -> None:
    # ``earlier[n]`` campaign calls to number n over the last six days (Reg F's seven in
    # seven: a callback may be the seventh, not the eighth).
    history = [PastAttempt(START - timedelta(days=6) + timedelta(hours=5 * k), NUMBERS[n], "c1")
               for n, calls in enumerate(earlier) for k in range(calls)]
    registries = Registries(set(listed))
    dial_gate = DialTimeGate(RULES, registries, Calls(history), inner_opted_out=lambda n: False,
                             tables=TABLES)
    gate = CallbackGate(dial_gate, "c1")
    w = world(queue(callback={"max_attempts": 3, "retry_after": 900, "offer_after": 0}),
              agents=1, start=T0, callback_gate=gate, decision_interval=60.0)
    w.callback_answers = answers
    inquiries: dict[str, float | None] = {}
    dialed: dict[str, str] = {}

    def driver(command) -> None:
        """What the runner does with these commands (dialer/runner/inbound.py)."""
        if isinstance(command, QueueCallbackRequested):
            inquiries[command.callback_id] = command.place_at
            gate.prefetch([CallbackFacts(command.callback_id, command.number_e164,
                                         command.place_at)], command.at)
        elif isinstance(command, Originate) and "dialer_queue_callback" in command.variables:
            dialed[command.call_id] = command.variables["dialer_queue_callback"]
            dial_gate.record_dial(command.number_e164, command.at, "c1",
                                  f"queue-callback:{dialed[command.call_id]}")
        elif isinstance(command, AttemptFinished) and command.direction is Direction.CALLBACK \
                and command.dialed_at is not None:
            dial_gate.record_outcome(command.number_e164, command.dialed_at,
                                     answered_live=command.answered_at is not None,
                                     conversation=command.bridged_at is not None)

    w.observers.append(driver)
    for i, (n, offset, age) in enumerate(pending):
        callback_id = f"cb-{i}"
        inquiries[callback_id] = _inquiry(age)
        at = T0 + offset
        gate.prefetch([CallbackFacts(callback_id, NUMBERS[n], inquiries[callback_id])], at)
        w.at(at, QueueCallbackPending(at, callback_id, "sales", NUMBERS[n], place_at=at,
                                      inquiry_at=inquiries[callback_id]))
    for i, (n, offset) in enumerate(callers):
        w.add(Caller(f"c{i}", T0 + offset, "sales", NUMBERS[n], keys=[(1.0, "1")]))
    w.run()

    judge_calls = Calls(history)
    judge = ComplianceEngine(registries, judge_calls, TABLES)
    for command in w.commands:
        if isinstance(command, AttemptFinished) and command.call_id in dialed and \
                command.bridged_at is not None:
            _mark_conversation(judge_calls, command)
        if not (isinstance(command, Originate) and command.call_id in dialed):
            continue
        callback_id = dialed[command.call_id]
        inquiry = inquiries[callback_id]
        facts = LeadFacts(command.number_e164, lead_id=f"queue-callback:{callback_id}",
                          ebr_last_inquiry=None if inquiry is None
                          else datetime.fromtimestamp(inquiry, UTC))
        moment = datetime.fromtimestamp(command.at, UTC)
        decision = judge.decide(facts, RULES, moment, (NATIONAL,))
        assert decision.allowed, (
            f"callback {callback_id} to {command.number_e164} dialed at {moment:%a %H:%M} UTC "
            f"against {[f'{o.rule_id}: {o.reason}' for o in decision.reasons]}")
        judge_calls.made.append(PastAttempt(moment, command.number_e164, "c1",
                                            lead_id=facts.lead_id))


def _mark_conversation(calls: Calls, finished: AttemptFinished) -> None:
    moment = datetime.fromtimestamp(finished.dialed_at, UTC)
    for index, attempt in enumerate(calls.made):
        if attempt.number_e164 == finished.number_e164 and attempt.at == moment:
            calls.made[index] = PastAttempt(attempt.at, attempt.number_e164, attempt.campaign,
                                            lead_id=attempt.lead_id, answered_live=True,
                                            conversation=True)
