"""The dial-time gate of queue callbacks: the runner's ``Engine(callback_gate=...)``.

A queue callback (a caller who kept their place, or one made from a voicemail) is an
outbound call of the campaign that serves the queue, so it is decided by the campaign's own
``DialTimeGate`` (every rule of its jurisdiction profiles: the registries, federal and
state calling hours and holidays in every zone the number may be in, attempt limits,
Regulation F, the internal list), at the moment of dialing, audited like a campaign dial.
Its facts are the callback's (docs/compliance.md, "Queue callbacks"):

- the number (its zones and state come from the numbering plan: ``dnc.rules.zones.place``);
- the caller's inquiry, ``ebr_last_inquiry``: when they phoned us. 47 CFR 64.1200(f)(5) and
  16 CFR 310.2(q)(2) make an inquiry an established business relationship for three months,
  which exempts the national registry only (``dnc.rules.federal.registry_exemption``). It is
  not the signed written agreement 47 CFR 64.1200(c)(2)(ii) and (f)(9) require, so no
  consent is recorded for it: a rule that needs written consent (an autodialed
  telemarketing call to a wireless line, Florida's, Oklahoma's and Maryland's automated
  calls) refuses, and so does a state's own list (``state.registry`` honours written
  permission only; no state's inquiry exemption is in our rules);
- no person (``contact_id``), subject or debt: attempt limits and Regulation F count every
  call to the number, in this campaign and its callbacks (the strict reading).

The attempt history and the officer's facts of the number (line type, revocations, RND) are
loaded in the database thread when the runner learns of the callback (``prefetch``: a
caller's request persisted, a callback claimed); until then a check refuses and names a
moment a few seconds on (``LOADING_RETRY``), and after ``LOADING_LIMIT`` it refuses with no
time (the engine retries, then fails the callback). A callback's dial is journaled like a
campaign dial: a ``call_attempt`` of the campaign with no lead and its ``queue_callback_id``
(``campaigns.journal_batch.CallbackDialOp``, written by ``InboundLink.begin_op`` before the
originate, re-counted there over every process's journal, closed with its outcome), so every
history reader counts it: this gate (``record_dial`` at once, a later ``prefetch`` from the
journal), another process, a restart, the abandonment ledger.

A dial the recount refuses where it is journaled (the gate's view was out of date: another
process called the number meanwhile) was never made: the runner tells the engine with
``CallbackDialRefused`` and the verdict ``recount_verdict`` builds from the recount's own
decision (its rules, the instant they allow, its audit id ``journal:<run>:<n>``), and the
callback is held until then like a refusal at the gate, not charged an attempt.

A refusal that no later moment cures is marked final (``dialer.ports.FINAL_REFUSAL``) so
the engine cancels the callback with the reasons instead of holding it: which rules those
are is said where the rules live (``dnc.rules.cures``: a registry listing with no
exemption, an opt-out, a consent the callback does not have, a number outside the
campaign's jurisdiction or facts no rule can use, Nevada's second prerecorded call); the
rest (hours, holidays, limits, Regulation F, a registry too old, Ofcom's rate, facts still
loading) wait or are retried.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dialer.engine.inbound import inquiry_attributes
from dialer.ports import EARLIEST_ALLOWED, FINAL_REFUSAL, DialTarget, GateVerdict
from dialer.runner.compliance import GatePort
from dnc.errors import ComplianceError
from dnc.rules.adapters import lead_facts_from_attributes
from dnc.rules.cures import waiting_never_cures
from dnc.rules.model import LeadFacts

if TYPE_CHECKING:
    from campaigns.attempt_recount import RecountRefusal

QUEUE_CALLBACK = "queue-callback:"
"""The lead id of a queue callback's dial target (``queue-callback:<callback id>``)."""
LOADING_RETRY = 5.0
"""Seconds a check waits for the callback's facts being loaded before it is asked again."""
LOADING_LIMIT = 120.0
"""Seconds after the first check without facts when a refusal stops naming a time."""


@dataclass(frozen=True, slots=True)
class CallbackFacts:
    """What the runner knows of a callback when it learns of it (database thread)."""

    callback_id: str
    number_e164: str
    inquiry_at: float | None


def callback_facts(target: DialTarget) -> LeadFacts:
    """The rules' facts of a callback's target: its number and the caller's inquiry."""
    return lead_facts_from_attributes(target.number_e164, target.attributes,
                                      lead_id=target.lead_id)


def _target(facts: CallbackFacts, campaign: str) -> DialTarget:
    return DialTarget(f"{QUEUE_CALLBACK}{facts.callback_id}", facts.number_e164, campaign,
                      attributes=inquiry_attributes(facts.inquiry_at))


class CallbackGate:
    """``ComplianceGate`` of queue callbacks over the campaign's dial-time gate."""

    def __init__(self, gate: GatePort, campaign: str) -> None:
        self.gate = gate
        self.campaign = campaign
        self._waiting: dict[str, float] = {}
        """Callback lead id → the first check that found its facts not loaded."""

    # --- database thread -----------------------------------------------------------------

    def prefetch(self, callbacks: Sequence[CallbackFacts], at: float) -> None:
        """Load the callbacks' attempt history and the officer's facts of their numbers
        (a caller's request persisted, callbacks claimed)."""
        if not callbacks:
            return
        items = []
        for known in callbacks:
            target = _target(known, self.campaign)
            items.append((target, callback_facts(target)))
        self.gate.prefetch(items, datetime.fromtimestamp(at, UTC))

    # --- event loop --------------------------------------------------------------------------

    def forget(self, callback_id: str) -> None:
        """The callback is finished: its facts and history leave the gate."""
        lead_id = f"{QUEUE_CALLBACK}{callback_id}"
        self._waiting.pop(lead_id, None)
        self.gate.forget(lead_id)

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        try:
            facts = callback_facts(target)
        except ComplianceError as error:
            return GateVerdict(False, (f"lead.facts: callback facts unusable: {error}",
                                       f"{FINAL_REFUSAL}the callback's facts are unusable"))
        keep = getattr(self.gate, "keep_facts", None)
        held = keep(target.lead_id, facts) if keep is not None else False
        if not held:
            return self._loading(target, at)
        self._waiting.pop(target.lead_id, None)
        verdict = self.gate.check(target, at)
        if verdict.allowed:
            return verdict
        final = _final_rules(verdict.reasons)
        if not final:
            return verdict
        return GateVerdict(False, (*verdict.reasons, f"{FINAL_REFUSAL}{', '.join(final)}: "
                                   "no later moment allows this callback"),
                           verdict.registry_versions, verdict.decision_id)

    def _loading(self, target: DialTarget, at: float) -> GateVerdict:
        since = self._waiting.setdefault(target.lead_id, at)
        reason = (f"dial_gate.unknown_lead: the facts and attempt history of callback "
                  f"{target.lead_id} are not loaded yet")
        if at - since >= LOADING_LIMIT:
            return GateVerdict(False, (f"{reason} after {LOADING_LIMIT:g} s",))
        until = datetime.fromtimestamp(at + LOADING_RETRY, UTC)
        return GateVerdict(False, (reason, f"earliest-allowed: {until.isoformat()}"))


def recount_verdict(refusal: RecountRefusal) -> GateVerdict:
    """The engine's verdict for a callback dial the journal's recount refused: the rules
    that refused it, the instant they allow (``earliest-allowed:``; none named: retried
    ``retry_after`` later a bounded number of times), marked final when no later moment
    cures it, and the refusal's audit id (the proof is the one the recount wrote)."""
    reasons = refusal.reasons or (refusal.reason,)
    marks: list[str] = []
    if refusal.earliest_allowed is not None:
        marks.append(f"{EARLIEST_ALLOWED}{refusal.earliest_allowed.isoformat()}")
    final = _final_rules(reasons)
    if final:
        marks.append(f"{FINAL_REFUSAL}{', '.join(final)}: no later moment allows this callback")
    return GateVerdict(False, (*reasons, *marks), decision_id=refusal.decision_id)


def _final_rules(reasons: Sequence[str]) -> list[str]:
    """The failing rules (``rule: reason``) of a refusal that no waiting cures (the rules'
    own classification: ``dnc.rules.cures``)."""
    return [rule for reason in reasons
            if waiting_never_cures(rule := reason.split(": ", 1)[0])]


__all__ = ["QUEUE_CALLBACK", "CallbackFacts", "CallbackGate", "callback_facts",
           "recount_verdict"]
