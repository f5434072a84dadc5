"""What a queue callback does with the full gate's verdict (dialer/engine/callback_verdicts.py):
held until the instant a refusal names, cancelled with the reasons when the refusal is final,
retried then failed when it names neither; the caller's inquiry travels with the target; and
without a callback gate the campaign's gate decides (the simulator's path is the runner's)."""

from __future__ import annotations

from datetime import UTC, datetime

from inbound_kit import Caller, queue, world

from dialer.commands import AgentState, CallbackResult, Originate, QueueCallbackFinished
from dialer.events import QueueCallbackPending
from dialer.ports import DialTarget, GateVerdict


class Verdicts:
    """A gate answering ``verdict`` (or allowing) and remembering what it was asked."""

    def __init__(self, verdict: GateVerdict | None = None) -> None:
        self.verdict = verdict
        self.asked: list[tuple[DialTarget, float]] = []

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        self.asked.append((target, at))
        return self.verdict or GateVerdict(True, ("allowed",), decision_id=f"dial:t:{at:g}")


FINAL = GateVerdict(False, ("us.national_dnc: listed in national@t with no consent",
                            "final: us.national_dnc: no later moment allows this callback"),
                    ("national@t",), "dial:t:1")
PENDING = QueueCallbackPending(10.0, "cb-1", "sales", "+12025550101", place_at=5.0)


def test_a_final_refusal_cancels_the_callback_with_the_reasons_and_the_audit_id() -> None:
    # Before: any refusal naming no time was tried max_attempts times, then "failed" with
    # no reason kept; a registry listing never clears by waiting.
    gate = Verdicts(FINAL)
    w = world(queue(callback={"max_attempts": 3, "retry_after": 60}), callback_gate=gate)
    w.at(10.0, PENDING)
    w.run()
    assert w.of_type(Originate) == [] and len(gate.asked) == 1
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.CANCELLED and done.attempts == 0
    assert done.reason is not None and done.reason.startswith("compliance dial:t:1: ")
    assert "us.national_dnc: listed in national@t" in done.reason
    assert w.agent_states("a0")[-1].state is AgentState.READY


def test_a_refusal_naming_no_time_is_retried_then_fails_with_the_reasons() -> None:
    gate = Verdicts(GateVerdict(False, ("us.national_freshness: national@t is 40 days old",)))
    w = world(queue(callback={"max_attempts": 2, "retry_after": 60}), callback_gate=gate)
    w.at(10.0, PENDING)
    w.run()
    assert [at for _, at in gate.asked] == [10.0, 70.0]
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.FAILED
    assert done.reason == "compliance: us.national_freshness: national@t is 40 days old"


def test_an_opted_out_number_ends_as_opted_out_with_the_reason() -> None:
    gate = Verdicts()
    w = world(queue(), callback_gate=gate)
    w.opted_out.add("+12025550101")
    w.at(10.0, PENDING)
    w.run()
    assert gate.asked == []  # the internal list first
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.OPTED_OUT
    assert done.reason == "compliance: internal DNC: the number opted out"


def test_the_callers_inquiry_travels_with_the_target() -> None:
    gate = Verdicts()
    w = world(queue(callback={"offer_after": 0}), agents=1, callback_gate=gate)
    inquiry = datetime(2026, 12, 1, 15, tzinfo=UTC).timestamp()
    w.at(1.0, QueueCallbackPending(1.0, "cb-vm", "sales", "+12025550102", place_at=1.0,
                                   inquiry_at=inquiry))
    w.add(Caller("busy", 0.0, "sales", "+12025550103", talk=50))
    w.add(Caller("c1", 2.0, "sales", "+12025550101", keys=[(3.0, "1")]))
    w.run()
    targets = {t.number_e164: t for t, _ in gate.asked}
    restored = targets["+12025550102"].attributes
    assert restored["ebr_last_inquiry"] == "2026-12-01T15:00:00+00:00"
    # A caller who kept their place: their inquiry is the moment they took it (2 s).
    asked = targets["+12025550101"]
    assert asked.attributes["ebr_last_inquiry"] == datetime.fromtimestamp(2.0, UTC).isoformat()
    assert asked.lead_id.startswith("queue-callback:")
    unknown = QueueCallbackPending(1.0, "cb-x", "sales", "+12025550104", place_at=1.0)
    assert unknown.inquiry_at is None  # a restore that knows none relies on none


def test_without_a_callback_gate_the_campaign_gate_decides_callbacks() -> None:
    # The simulator gives no callback gate: its campaign gate is asked, and a refusal that
    # names a time holds the callback there (before: any campaign-gate refusal ended it as
    # opted out).
    opens = 500.0
    iso = datetime.fromtimestamp(opens, UTC).isoformat()

    class Hours(Verdicts):
        def check(self, target: DialTarget, at: float) -> GateVerdict:
            self.asked.append((target, at))
            if at < opens:
                return GateVerdict(False, ("us.calling_hours: closed",
                                           f"earliest-allowed: {iso}"))
            return GateVerdict(True, ("open",))

    campaign = Hours()
    w = world(queue(), gate=campaign)
    w.at(10.0, PENDING)
    w.run()
    (originate,) = w.of_type(Originate)
    assert originate.at == opens and [at for _, at in campaign.asked] == [10.0, opens]
    (done,) = w.of_type(QueueCallbackFinished)
    assert done.result is CallbackResult.COMPLETED and done.reason is None
