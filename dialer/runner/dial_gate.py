"""The full compliance engine at the moment of each dial, without a database query per dial.

``DialTimeGate`` is the runner's ``dialer.ports.ComplianceGate``: every ``check`` is one
``dnc.rules.ComplianceEngine`` decision at that instant (national, state and other registries,
federal and state calling hours in every candidate zone, state and campaign attempt limits,
Regulation F, Ofcom), over facts the runner loaded beforehand in its database thread:

- ``prefetch`` (database thread, right after a claim): each lead's ``LeadFacts``, the past
  attempts to those numbers and to every number of those people (``contact_id``) over the
  longest lookback any of the campaign's rules needs, and the officer's line types and RND
  results for the numbers, in batched queries;
- ``record_dial`` / ``record_outcome`` (event loop, when an attempt is journaled / ends): so
  attempt limits (per number and per person), Reg F's conversation rule and Ofcom's 72 h and
  answering-machine rules see this run's calls at once;
- ``forget`` (when a lead is released or finished): memory stays bounded over a long run;
- ``recount`` (database thread, inside the transaction that journals a batch of dials,
  ``campaigns.attempt_recount``): each dial decided again on every process's journal, read
  there with the batch's people and numbers locked, so a call another dialer process made
  since the lead's prefetch counts (per-person and per-number limits across processes).

Consent revocations are effective at once: the gate loads each kept lead's revocations with
it and uses them only while the facts store reports no commit by anyone since
(``change_token``, a read of SQLite's shared memory; otherwise it queries again), so a
revocation an officer records stops the very next dial that relied on that consent.
``check_message`` decides, when AMD says a machine answered, whether the campaign's recorded
message may be left (the prerecorded rules at that instant, on the history before the call).

The internal do-not-call list is checked on top of the rules, for every jurisdiction profile,
through the runner's ``inner_opted_out`` callable, so an opt-out taken during this run or
listed by an officer stops the very next dial (47 CFR 64.1200(d)(3); 16 CFR
310.4(b)(1)(iii)(A)). A lead that was not prefetched is refused: its facts and history are
unknown, so no rule can be proved and the call is not made.

Audit contract (every decision, allowed or refused, lands in the hash-chained log
``dnc.rules.audit``): ``check`` only appends the decision to an in-memory buffer, with a
``decision_id`` (``dial:<run>:<n>``) that the verdict carries, the attempt journal stores and
the log entry contains. ``flush_audit()`` writes the buffer as one batch and fsyncs it; the
runner calls it in its database thread in the same step that commits a batch's journal rows,
before any of that batch's originates is sent. So every decision a call was made on is on disk
before the call exists; if ``flush_audit`` raises, the batch must not be dialed (treat it as a
failed journal write). A crash can lose only decisions still in the buffer: refusals and
allowances whose originate was never sent, i.e. numbers that were not called (the journal
shows they were not), never the proof for a call that was made. A dial refused by
``recount`` is audited as ``journal:<run>:<n>`` (stage ``journal``) with ``dial_decision``
naming the allowance it overrules; the runner flushes it right after that batch's commit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from dialer.ports import DialTarget, GateVerdict
from dialer.runner.dial_history import (
    JournalHistory,
    KeptAttempts,
    load_attempts,
    load_contact_attempts,
)
from dnc.errors import ComplianceError
from dnc.interfaces import (
    AttemptHistory,
    DncLookup,
    LineTypeRecord,
    NoNumberFacts,
    NumberFacts,
    PastAttempt,
    RegistryHit,
    RegistryKind,
    RegistryVersion,
    Revocation,
    RndResult,
)
from dnc.rules.adapters import verdict_parts
from dnc.rules.audit import AuditLog, decision_body
from dnc.rules.engine import ComplianceEngine
from dnc.rules.model import CampaignRules, CampaignState, Decision, LeadFacts, RuleOutcome
from dnc.rules.tables import RuleTables, tables_for_data
from pacing_models.records import builder

if TYPE_CHECKING:
    from campaigns.attempt_recount import JournalDial, RecountRefusal
    from campaigns.store import CampaignStore
    from dnc.internal import InternalDnc

_INTERNAL_CITATION = "47 CFR 64.1200(d)(3),(6); 16 CFR 310.4(b)(1)(iii)(A); company opt-out policy"
_UNKNOWN_CITATION = "no rule can be proved without the lead's facts and attempt history"
_PERSON_CITATION = ("16 CFR 310.4(b)(1)(iii)(A) (a person who has stated they do not wish to "
                    "receive the seller's calls, on whichever number); company opt-out policy")
JOURNAL_REFUSAL_RETRY = timedelta(seconds=900)
"""A dial refused where it is journaled is offered again after this long at the earliest (the
runner's ``COMPLIANCE_RETRY`` for a refusal at the gate), or at the refusal's own earliest
allowed time when that is later."""
_from_timestamp = datetime.fromtimestamp
"""Bound once: the class attribute's look-up builds a bound method at every dial."""
_new_verdict = builder(GateVerdict)
"""``GateVerdict(*every field)``, built as its builder twin (``pacing_models.records``)."""


class _DialLookup:
    """The registries plus the internal list's current change id, for ``registry_versions``;
    each kept lead's registry hits, read at its prefetch.

    The internal list's membership is checked by the gate itself (``inner_opted_out``), so
    only its version goes through here; ``DncStore.versions`` would also count the list.
    The versions are built once per state: a ``DncStore`` hands out the same
    ``loaded_versions`` tuple until it loads another, and the change id names the list's.

    A registry version never changes once published, and a ``DncStore`` loads another only
    when refreshed: so the hits of a number, read at the lead's prefetch with the loaded
    versions, are the answer ``hits`` would give at any dial while ``loaded_versions`` is
    still that very tuple (checked at every dial; otherwise the registries are asked). Only
    for registries that hold no internal list (``DncStore(..., internal=False)``, what
    ``build_dial_gate`` opens): that list changes at any time and is checked at each dial.
    """

    def __init__(self, registries: DncLookup, internal_change: Callable[[], int] | None,
                 since: datetime) -> None:
        self.registries = registries
        self.internal_change = internal_change
        self.since = since
        self._loaded = getattr(registries, "loaded_versions", None) is not None
        self.built_for: tuple[object, int | None] = (None, None)
        """(the registries' loaded versions, the internal list's change id) of ``built``."""
        self.built: tuple[RegistryVersion, ...] = ()
        """The versions ``versions_with`` built last (registries with loaded versions)."""
        self._keeps = self._loaded and getattr(registries, "internal", True) is None
        self._hits: dict[str, tuple[object, tuple[RegistryHit, ...]]] = {}
        """Kept number -> (the loaded versions its hits were read from, the hits)."""

    def versions(self) -> tuple[RegistryVersion, ...]:
        return self.versions_with(self.internal_change() if self.internal_change is not None
                                  else None)

    def versions_with(self, change: int | None) -> tuple[RegistryVersion, ...]:
        """The registries' versions and the internal list's at ``change`` (None: none)."""
        if not self._loaded:
            return self._build(tuple(self.registries.versions()), change)
        loaded = self.registries.loaded_versions  # type: ignore[attr-defined]
        if self.built_for[0] is not loaded or self.built_for[1] != change:
            self.built = self._build(loaded, change)
            self.built_for = (loaded, change)
        return self.built

    def hits(self, number_e164: str) -> Sequence[RegistryHit]:
        kept = self._hits.get(number_e164)
        if kept is not None and kept[0] is self.registries.loaded_versions:  # type: ignore
            return kept[1]
        return self.registries.hits(number_e164)

    def read_hits(self, numbers: Sequence[str]) -> dict[str, tuple[object, tuple[RegistryHit,
                                                                              ...]]]:
        """The hits of ``numbers`` with the versions they were read from (database thread;
        ``keep`` them under the gate's lock)."""
        if not self._keeps:
            return {}
        loaded = self.registries.loaded_versions  # type: ignore[attr-defined]
        hits = self.registries.hits
        return {number: (loaded, tuple(hits(number))) for number in numbers}

    def keep(self, read: dict[str, tuple[object, tuple[RegistryHit, ...]]]) -> None:
        self._hits.update(read)

    def drop(self, number: str) -> None:
        self._hits.pop(number, None)

    def _build(self, registries: tuple[RegistryVersion, ...], change: int | None
               ) -> tuple[RegistryVersion, ...]:
        if change is None:
            return registries
        return (*registries, RegistryVersion("internal", RegistryKind.INTERNAL,
                                             f"internal#{change}", self.since))


class _KeptHistory:
    """The engine's ``AttemptHistory`` at dial time: kept attempts per number and per person."""

    def __init__(self, numbers: KeptAttempts, contacts: KeptAttempts) -> None:
        self.numbers = numbers
        self.contacts = contacts
        # The kept attempts' own methods (bound once: one call per check, not two).
        self.attempts: Callable[[str, datetime], list[PastAttempt]] = numbers.attempts
        self.attempts_for_contact: Callable[[str, datetime], list[PastAttempt]] = \
            contacts.attempts


class _KeptFacts:
    """The engine's ``NumberFacts`` at dial time: line types and RND results prefetched with
    the lead; revocations effective at once.

    Each kept lead's revocations are loaded with the lead (batched) and kept with the facts
    store's ``change_token`` read before the query; a check uses them only while the token is
    still the same (no commit by any process since), and otherwise queries the store and
    keeps the answer under the new token. So an officer's revocation stops the very next
    dial that relied on that consent, without a query per dial. A store without
    ``change_token`` is queried at every check."""

    def __init__(self, source: NumberFacts) -> None:
        self.source = source
        self.lines: dict[str, LineTypeRecord | None] = {}
        self.rnd: dict[str, tuple[RndResult, ...]] = {}
        self._token_of = getattr(source, "change_token", None)
        self._recorded = getattr(source, "revocations_recorded", None)
        self._recorded_many = getattr(source, "revocations_recorded_many", None)
        self._revocations: dict[str, tuple[str | None, tuple[Revocation, ...], object]] = {}
        """Kept number -> (the person asked with, their revocations whenever recorded, the
        store's change token read before they were read)."""
        self._others: dict[str, tuple[str, ...]] = {}
        """Kept number -> the person's other numbers (a telemarketing or prerecorded
        campaign's): a request not to be called recorded for any of them is the person's
        (16 CFR 310.4(b)(1)(iii)(A): "that person previously has stated ...")."""

    def line_type(self, number_e164: str, at: datetime) -> LineTypeRecord | None:
        return self.lines.get(number_e164)

    def revocations(self, number_e164: str, contact_id: str | None, at: datetime
                    ) -> Sequence[Revocation]:
        if self._token_of is None or self._recorded is None:
            return self.source.revocations(number_e164, contact_id, at)
        token = self._token_of()
        kept = self._revocations.get(number_e164)
        if kept is not None and token is not None and kept[2] == token and \
                kept[0] == contact_id:
            recorded = kept[1]
        else:
            others = self._others.get(number_e164)
            if others and self._recorded_many is not None:
                recorded = _merged(number_e164, others,
                                   self._recorded_many(_pairs(number_e164, contact_id, others)))
            else:
                recorded = tuple(self._recorded(number_e164, contact_id))
            if number_e164 in self.lines:  # kept leads only: memory stays bounded (``drop``)
                self._revocations[number_e164] = (contact_id, recorded, token)
        if not recorded:
            return ()
        return [r for r in recorded if r.recorded_at is None or r.recorded_at <= at]

    def reassigned(self, number_e164: str, at: datetime) -> Sequence[RndResult]:
        return self.rnd.get(number_e164, ())

    def load(self, numbers: Sequence[str], at: datetime,
             people: Sequence[tuple[str, str | None]] = (),
             others: dict[str, tuple[str, ...]] | None = None) -> None:
        """Line types and RND results of ``numbers``; the revocations of each
        (number, person) of ``people`` and, for a number in ``others``, those recorded for
        the person's other numbers too (one query)."""
        many = getattr(self.source, "line_types", None)
        lines = many(numbers, at) if callable(many) else {
            n: self.source.line_type(n, at) for n in numbers}
        rnd_many = getattr(self.source, "reassigned_many", None)
        rnd = rnd_many(numbers, at) if callable(rnd_many) else {
            n: list(self.source.reassigned(n, at)) for n in numbers}
        for number in numbers:
            self.lines[number] = lines.get(number)
            self.rnd[number] = tuple(rnd.get(number, ()))
        others = others or {}
        for number in numbers:
            if others.get(number):
                self._others[number] = others[number]
            else:
                self._others.pop(number, None)
        if people and self._token_of is not None and self._recorded_many is not None:
            token = self._token_of()
            asked = [pair for number, person in people
                     for pair in _pairs(number, person, others.get(number, ()))]
            recorded = self._recorded_many(asked)
            for number, person in people:
                theirs = others.get(number)
                self._revocations[number] = (person, _merged(number, theirs, recorded)
                                             if theirs else tuple(recorded.get(number, ())),
                                             token)

    def drop(self, number: str) -> None:
        self.lines.pop(number, None)
        self.rnd.pop(number, None)
        self._revocations.pop(number, None)
        self._others.pop(number, None)


def _pairs(number: str, person: str | None, others: Iterable[str]
           ) -> list[tuple[str, str | None]]:
    """The (number, person) pairs whose revocations are the person's on ``number``."""
    return [(number, person), *((other, None) for other in others)]


def _merged(number: str, others: Iterable[str], recorded: dict[str, list[Revocation]]
            ) -> tuple[Revocation, ...]:
    """The revocations of ``number`` and of the person's ``others`` (each once), in the
    order ``revocations`` gives (by the instant they name)."""
    found = dict.fromkeys(recorded.get(number, ()))
    for other in others:
        found.update(dict.fromkeys(recorded.get(other, ())))
    return tuple(sorted(found, key=lambda r: r.at))


@dataclass(frozen=True, slots=True)
class _Kept:
    facts: LeadFacts
    others: tuple[str, ...] = ()
    """The person's other numbers (leads of the same ``contact_id`` in any campaign), read at
    the prefetch of a telemarketing or prerecorded campaign's lead: an opt-out on any of
    them is the person's (16 CFR 310.4(b)(1)(iii)(A); the called party's opt-out that FCC
    20-186 binds exempt prerecorded calls to)."""


class DialTimeGate:
    """``ComplianceGate`` deciding with ``ComplianceEngine`` at each dial (see module doc)."""

    def __init__(self, rules: CampaignRules, registries: DncLookup, history: AttemptHistory, *,
                 inner_opted_out: Callable[[str], bool] | None = None,
                 tables: RuleTables | None = None,
                 audit: AuditLog | None = None, internal_change: Callable[[], int] | None = None,
                 refresh_registries: Callable[[], None] | None = None,
                 facts: NumberFacts | None = None,
                 on_close: Sequence[Callable[[], None]] = (),
                 internal_listing: Callable[[str], tuple[bool, int]] | None = None) -> None:
        """``inner_opted_out`` (membership) and ``internal_change`` (the list's change id,
        for ``registry_versions``), or ``internal_listing`` answering both from one look
        (``InternalDnc.listing``: one check for commits per dial instead of two); one of
        ``inner_opted_out`` and ``internal_listing`` is required."""
        if (inner_opted_out is None) == (internal_listing is None):
            raise ComplianceError("the dial-time gate needs the internal do-not-call list: "
                                  "either inner_opted_out or internal_listing")
        self.rules = rules
        self.history_source = history
        self.inner_opted_out = inner_opted_out
        self._internal_listing = internal_listing or self._separate_listing
        self._internal_change = internal_change
        self.audit = audit
        self.campaign_state: CampaignState = CampaignState()
        """Campaign-level measurements (Ofcom's 24 h abandon rate), set by the runner; until
        it does, the rate is unknown and ``uk.abandon_rate`` refuses (fail closed)."""
        self._refresh_registries = refresh_registries
        self._on_close = tuple(on_close)
        self._lookup = _DialLookup(registries, internal_change, datetime.now(UTC))
        self._kept = KeptAttempts()
        self._kept_people = KeptAttempts(key=lambda attempt: attempt.contact_id)
        self._facts = _KeptFacts(facts or NoNumberFacts())
        self.engine = ComplianceEngine(self._lookup, _KeptHistory(self._kept, self._kept_people),
                                       tables, facts=self._facts)
        self.lookback = max((rule.lookback for rule in self.engine.rules_for(rules)),
                            default=timedelta(0))
        self._leads: dict[str, _Kept] = {}
        self._leads_by_number: dict[str, set[str]] = {}
        self._leads_by_person: dict[str, set[str]] = {}
        self._person_extra: dict[str, tuple[PastAttempt, ...]] = {}
        self._person_numbers: dict[str, frozenset[str]] = {}
        """Kept person -> every number of theirs (``contact_numbers`` at the prefetch)."""
        """Kept person -> attempts to their numbers the journal files under no person (or
        another), read at their leads' prefetch (``_person_number_attempts``)."""
        self._lock = threading.Lock()
        self._pending: deque[tuple[str, Decision, str]] = deque()
        self._run = uuid4().hex[:12]
        self._dial_prefix = f"dial:{self._run}:"
        self._count = 0
        self._journal_count = 0
        """Decisions taken at journaling (database thread: a counter of their own, so the
        event loop's ``_count`` is never incremented from two threads)."""
        self._recount_engine: ComplianceEngine | None = None
        self._rests_on: dict[str, str] = {}
        """A refusal at journaling -> the dial-time decision the refused dial rested on (the
        audit entry names it: ``dial_decision``)."""

    # --- the gate ----------------------------------------------------------------------------

    def check(self, target: DialTarget, at: float) -> GateVerdict:
        relied: list[str] = []
        decision = self._decision(target, _from_timestamp(at, UTC), None, relied)
        if self.audit is None:
            decision_id = None
        else:  # ``_buffer``, inline: the one path every dial takes
            self._count += 1
            decision_id = f"{self._dial_prefix}{self._count}"
            self._pending.append((decision_id, decision, "dial"))
        if decision.allowed:  # ``verdict_parts``' allowed case: the permissions relied on
            return _new_verdict(True, tuple(relied), decision.registry_versions, decision_id)
        allowed, reasons, versions = verdict_parts(decision)
        return _new_verdict(allowed, reasons, versions, decision_id)

    def check_message(self, target: DialTarget, dialed_at: float, at: float) -> GateVerdict:
        """May the campaign's recorded message be left now on this call (dialled at
        ``dialed_at``)? Every rule of the (prerecorded) campaign at this instant, on the
        attempt history before this call; a refusal is audited like a dial refusal."""
        moment = datetime.fromtimestamp(at, UTC)
        if not self.rules.prerecorded:
            decision = self._refusal(target, moment, "dial_gate.not_prerecorded",
                                     "the campaign does not declare itself prerecorded: it may "
                                     "not leave recorded messages", "campaign setting "
                                     "compliance.prerecorded")
        else:
            decision = self._decision(target, moment,
                                      datetime.fromtimestamp(dialed_at, UTC))
        decision_id = self._buffer(decision, "message")
        allowed, reasons, versions = verdict_parts(decision)
        return GateVerdict(allowed, reasons, versions, decision_id)

    def _separate_listing(self, number_e164: str) -> tuple[bool, int | None]:
        """``internal_listing`` from ``inner_opted_out`` and ``internal_change``."""
        listed = self.inner_opted_out(number_e164)  # type: ignore[misc]
        change = self._internal_change
        return listed, change() if change is not None else None

    def _decision(self, target: DialTarget, moment: datetime, before: datetime | None,
                  permissions: list[str] | None = None) -> Decision:
        """The decision at ``moment``; ``permissions``: see ``ComplianceEngine.decide``."""
        kept = self._leads.get(target.lead_id)
        # The membership and the version the decision names, from the same look at the list.
        listed, change = self._internal_listing(target.number_e164)
        lookup = self._lookup
        built_for = lookup.built_for  # ``versions_with``, inline (None: never built)
        versions = lookup.built if built_for[0] is not None and built_for[1] == change and \
            built_for[0] is lookup.registries.loaded_versions else lookup.versions_with(change)
        if listed:
            return self._refusal(target, moment, "dial_gate.internal_dnc",
                                 "the number is on the internal do-not-call list "
                                 "(opted out or listed by an officer)", _INTERNAL_CITATION,
                                 versions)
        if kept is None or kept.facts.number_e164 != target.number_e164:
            what = "was not prefetched" if kept is None else \
                f"was prefetched with number {kept.facts.number_e164}"
            return self._refusal(target, moment, "dial_gate.unknown_lead",
                                 f"lead {target.lead_id} {what}: its facts and attempt "
                                 "history are unknown to the gate", _UNKNOWN_CITATION,
                                 versions)
        if kept.others:
            for other in kept.others:
                if self._internal_listing(other)[0]:
                    return self._refusal(
                        target, moment, "dial_gate.internal_dnc",
                        f"another number of this person ({other}) is on the internal "
                        "do-not-call list: the person asked not to be called",
                        _PERSON_CITATION, versions)
        facts = kept.facts
        with self._lock:
            try:
                return self.engine.decide(facts, self.rules, moment, versions,
                                          self.campaign_state, history_before=before,
                                          permissions=permissions)
            except ComplianceError as error:
                return self._unusable(facts, moment, error, versions)

    def _unusable(self, facts: LeadFacts, moment: datetime, error: ComplianceError,
                  versions: tuple[RegistryVersion, ...]) -> Decision:
        """A malformed lead (unknown state or zone, bad number) is refused, not crashed on."""
        return Decision(
            number_e164=facts.number_e164, campaign=self.rules.name, at=moment,
            allowed=False, earliest_allowed=None, lead_id=facts.lead_id,
            registry_versions=tuple(v.version for v in versions),
            outcomes=(RuleOutcome("lead.facts", False, f"lead facts unusable: {error}",
                                  _UNKNOWN_CITATION, None),))

    def _refusal(self, target: DialTarget, moment: datetime, rule_id: str, reason: str,
                 citation: str, versions: tuple[RegistryVersion, ...] | None = None
                 ) -> Decision:
        if versions is None:
            versions = self._lookup.versions_with(self._internal_listing(
                target.number_e164)[1])
        return Decision(
            number_e164=target.number_e164, campaign=self.rules.name, at=moment, allowed=False,
            outcomes=(RuleOutcome(rule_id, False, reason, citation, None),),
            earliest_allowed=None, lead_id=target.lead_id,
            registry_versions=tuple(v.version for v in versions))

    # --- where a batch is journaled (database thread) ----------------------------------------

    def recount(self, history: Sequence[PastAttempt],
                people: Mapping[str, frozenset[str]] | None = None
                ) -> Callable[[JournalDial], RecountRefusal | None]:
        """``campaigns.attempt_recount.AttemptRecount``: the judge of one journaled batch's
        dials, inside its transaction, over ``history`` (every process's attempts to the
        batch's numbers and people, read there with those people and numbers locked).

        Each dial is decided again at its instant on that history plus the batch's dials
        admitted before it: a call another process made since the lead's prefetch counts
        (Fla. Stat. 501.616(6)(b) and the other per-person limits, Regulation F's 7 in 7,
        campaign caps, Ofcom's repeat rules, the exempt prerecorded cap). A refusal is
        audited like the gate's (stage ``journal``, naming the rules and the decision the
        dial rested on). The numbers and people this gate keeps learn the other processes'
        calls here too, so its next checks count them without a query. ``people``: each
        person of the batch -> every number of theirs, read in the transaction (a person
        this gate does not keep, whose number a dial through a lead naming no person
        reaches: ``campaigns.attempt_recount.recount_batch``)."""
        fresh = JournalHistory(history, datetime.now(UTC))
        numbers_of = people or {}
        engine = self._recount_engine
        if engine is None:
            engine = self._recount_engine = ComplianceEngine(
                self._lookup, fresh, self.engine.tables, facts=self._facts)
        engine.history = fresh

        def judge(dial: JournalDial) -> RecountRefusal | None:
            return self._judge(engine, fresh, dial, numbers_of)
        return judge

    def _judge(self, engine: ComplianceEngine, fresh: JournalHistory, dial: JournalDial,
               numbers_of: Mapping[str, frozenset[str]]) -> RecountRefusal | None:
        from campaigns.attempt_recount import RecountRefusal

        moment = dial.at
        fresh.at = moment
        kept = self._leads.get(dial.lead_id)
        versions = self._lookup.built or self._lookup.versions_with(None)
        if kept is None or kept.facts.number_e164 != dial.number_e164:
            decision = self._refusal(
                DialTarget(dial.lead_id, dial.number_e164, self.rules.name), moment,
                "dial_gate.unknown_lead", f"lead {dial.lead_id} is not held by the gate "
                f"where its dial is journaled: its facts are unknown", _UNKNOWN_CITATION,
                versions)
        else:
            facts = kept.facts
            if dial.contact_id and facts.contact_id != dial.contact_id:
                facts = replace(facts, contact_id=dial.contact_id)  # the person as stored
            person = facts.contact_id
            theirs = (numbers_of.get(person) or self._person_numbers.get(person)) \
                if person else None
            if theirs:
                # The batch's read files the person's calls under the person; those to their
                # numbers through a lead naming no person are filed by number (the read asks
                # for them too), or were read at the prefetch: counted here as well.
                _add_unseen(fresh.by_contact.setdefault(person, []),
                            *(fresh.by_number.get(n, ()) for n in theirs),
                            self._person_extra.get(person, ()))
            with self._lock:
                self._learn(fresh, dial.number_e164, facts.contact_id)
                try:
                    decision = engine.decide(facts, self.rules, moment, versions,
                                             self.campaign_state)
                except ComplianceError as error:
                    decision = self._unusable(facts, moment, error, versions)
            if decision.allowed:
                fresh.record(PastAttempt(
                    at=moment, number_e164=dial.number_e164, campaign=self.rules.name,
                    lead_id=dial.lead_id, subject=facts.subject or self.rules.subject,
                    debt_id=facts.debt_id, contact_id=facts.contact_id))
                return None
        decision = replace(decision, notes=(*decision.notes, (
            f"decided again where the dial was journaled, on every process's calls "
            f"(the dial rested on {dial.compliance_decision or 'no recorded decision'})")))
        decision_id: str | None = None
        if self.audit is not None:
            self._journal_count += 1
            decision_id = f"journal:{self._run}:{self._journal_count}"
            if dial.compliance_decision:
                self._rests_on[decision_id] = dial.compliance_decision
            self._pending.append((decision_id, decision, "journal"))
        failing = tuple(f"{o.rule_id}: {o.reason}" for o in decision.reasons)
        earliest = decision.earliest_allowed
        retry = moment + JOURNAL_REFUSAL_RETRY
        return RecountRefusal(f"dial time (journal): {'; '.join(failing)}",
                              max(retry, earliest) if earliest is not None else retry,
                              failing, earliest, decision_id)

    def _learn(self, fresh: JournalHistory, number: str, person: str | None) -> None:
        """The journal as read for this dial's number and person (complete for those two
        keys: the batch's read asked for them) replaces what the gate keeps of them."""
        since = fresh.at - self.lookback
        if number in self._leads_by_number:
            self._kept.load(number, fresh.by_number.get(number, []), since)
        if person and person in self._leads_by_person:
            # The calls to the person's numbers filed under no person (``_person_extra``) are
            # in ``fresh.by_contact`` already: the re-count added them before asking here
            # (a person has extras only with their numbers kept, and loses both together).
            self._kept_people.load(person, fresh.by_contact.get(person, []), since)

    # --- what the runner feeds in ------------------------------------------------------------

    def prefetch(self, items: Sequence[tuple[DialTarget, LeadFacts]], at: datetime) -> None:
        """Database thread, right after a claim: remember each lead's facts, load the past
        attempts to their numbers and their people since ``at - lookback`` (batched) and the
        officer's line types and RND results for the numbers."""
        if at.tzinfo is None:
            raise ComplianceError("prefetch time must be timezone-aware")
        if self._refresh_registries is not None:
            self._refresh_registries()  # picks up registry versions published since
        self.engine.tables.area_bans.refresh()  # emergencies the officer declared since
        numbers = sorted({target.number_e164 for target, _ in items})
        people = sorted({facts.contact_id for _, facts in items if facts.contact_id})
        since = at - self.lookback
        history = self.lookback > timedelta(0)
        loaded = load_attempts(self.history_source, numbers, since) if numbers and history \
            else {}
        loaded_people = load_contact_attempts(self.history_source, people, since) \
            if people and history else {}
        # Revocations: of leads with consents (they end them) and, in a telemarketing or
        # prerecorded campaign, of every lead (a revocation is a do-not-call request:
        # us.stop_request; FCC 20-186 binds exempt prerecorded calls to opt-outs too).
        every = self.rules.telemarketing or self.rules.prerecorded
        # The person's numbers (their leads in any campaign), read in one query: a
        # telemarketing (or prerecorded) call to a person who opted out on another of them
        # (the internal list, or a request recorded for that number) is a call to a person
        # who asked not to be called, and the calls to any of them count toward the
        # per-person limits, whichever lead they were made through (a lead of another
        # campaign that names no person included).
        numbers_of = getattr(self.history_source, "contact_numbers", None)
        person_numbers = numbers_of(people) if people and callable(numbers_of) else {}
        others_of = {target.number_e164: tuple(sorted(
            person_numbers[facts.contact_id] - {target.number_e164}))
            for target, facts in items
            if every and facts.contact_id and facts.contact_id in person_numbers}
        self._facts.load(numbers, at, [(target.number_e164, facts.contact_id)
                                       for target, facts in items if every or facts.consents],
                         others_of)
        extra = self._person_number_attempts(person_numbers, loaded, loaded_people, since) \
            if person_numbers and history else {}
        hits = self._lookup.read_hits(numbers)
        with self._lock:
            self._lookup.keep(hits)
            for target, facts in items:
                others = tuple(sorted(person_numbers.get(facts.contact_id, set())
                                      - {target.number_e164})) \
                    if every and facts.contact_id else ()
                self._leads[target.lead_id] = _Kept(
                    replace(facts, lead_id=facts.lead_id or target.lead_id), others)
                self._leads_by_number.setdefault(target.number_e164, set()).add(target.lead_id)
                if facts.contact_id:
                    self._leads_by_person.setdefault(facts.contact_id, set()).add(
                        target.lead_id)
            for number in numbers:
                self._kept.load(number, loaded.get(number, []), since)
            for person in people:
                if person in person_numbers:
                    self._person_numbers[person] = frozenset(person_numbers[person])
                found = extra.get(person, ())
                if found:
                    self._person_extra[person] = found
                self._kept_people.load(person, [*loaded_people.get(person, []), *found],
                                       since)

    def _person_number_attempts(self, person_numbers: dict[str, set[str]],
                                loaded: dict[str, list[PastAttempt]],
                                loaded_people: dict[str, list[PastAttempt]], since: datetime
                                ) -> dict[str, tuple[PastAttempt, ...]]:
        """Person -> the attempts to their numbers the journal does not file under them
        (made through a lead that names no person, or another), not already loaded."""
        wanted = sorted({n for numbers in person_numbers.values() for n in numbers}
                        - loaded.keys())
        by_number = {**loaded, **(load_attempts(self.history_source, wanted, since)
                                  if wanted else {})}
        found: dict[str, tuple[PastAttempt, ...]] = {}
        for person, numbers in person_numbers.items():
            seen = {(a.number_e164, a.at, a.lead_id) for a in loaded_people.get(person, ())}
            rows = [a for number in sorted(numbers) for a in by_number.get(number, ())
                    if a.contact_id != person and (a.number_e164, a.at, a.lead_id) not in seen]
            if rows:
                found[person] = tuple(rows)
        return found

    def keep_facts(self, lead_id: str, facts: LeadFacts) -> bool:
        """The facts a prefetched lead is decided on from now (a queue callback's, which its
        dial target carries: ``dialer/runner/callback_gate.py``); False, and nothing kept,
        when the lead was not prefetched with this number (its history is not loaded)."""
        kept = self._leads.get(lead_id)
        if kept is None or kept.facts.number_e164 != facts.number_e164:
            return False
        if kept.facts != facts:
            with self._lock:
                self._leads[lead_id] = _Kept(facts, kept.others
                                             if facts.contact_id == kept.facts.contact_id
                                             else ())
        return True

    def record_dial(self, number_e164: str, at: float, campaign: str, lead_id: str | None
                    ) -> None:
        """An attempt was journaled: attempt limits count it from the next check on."""
        kept = self._leads.get(lead_id) if lead_id is not None else None
        facts = kept.facts if kept is not None else None
        attempt = PastAttempt(
            at=datetime.fromtimestamp(at, UTC), number_e164=number_e164, campaign=campaign,
            lead_id=lead_id, subject=(facts.subject if facts else None) or self.rules.subject,
            debt_id=facts.debt_id if facts else None,
            contact_id=facts.contact_id if facts else None,
            # Who ends a prerecorded call is unknown until its outcome: counted as the
            # called party until then (NRS 597.814(2)(b), fail closed).
            prerecorded_hang_up=self.rules.prerecorded)
        with self._lock:
            if number_e164 in self._leads_by_number:
                self._kept.record(attempt, self.lookback)
            if attempt.contact_id in self._leads_by_person:
                self._kept_people.record(attempt, self.lookback)

    def unrecord_dial(self, number_e164: str, at: float, lead_id: str | None) -> None:
        """The dial journaled at ``at`` certainly never reached the switch: no attempt for
        the limits any more (``KeptAttempts.unrecord``; the runner's never-sent path)."""
        moment = datetime.fromtimestamp(at, UTC)
        with self._lock:
            self._kept.unrecord(number_e164, moment, number_e164, lead_id)
            kept = self._leads.get(lead_id) if lead_id is not None else None
            person = kept.facts.contact_id if kept is not None else None
            if person:
                self._kept_people.unrecord(person, moment, number_e164, lead_id)

    def record_outcome(self, number_e164: str, dialed_at: float, *, answered_live: bool = False,
                       conversation: bool = False, abandoned: bool = False,
                       machine: bool = False, called_party_ended: bool = True) -> None:
        """What became of the attempt dialed at ``dialed_at``: Reg F's no-call-after-a-
        conversation (12 CFR 1006.14(b)(2)(i)(B)) and Ofcom's 72 h after an abandoned call and
        same-day after an answering machine read these; Nevada's no second prerecorded call
        reads ``called_party_ended`` (``dnc.rules.adad.called_party_may_have_ended``) of a
        prerecorded campaign's attempt. An attempt this run did not record is
        added (counting it is the safe side). Call it before ``forget``: for a number no kept
        lead has, it is dropped (memory stays bounded) and a later prefetch reads the outcome
        from the journal.
        """
        moment = datetime.fromtimestamp(dialed_at, UTC)
        flags = {"answered_live": answered_live, "conversation": conversation,
                 "abandoned": abandoned, "machine": machine,
                 "prerecorded_hang_up": self.rules.prerecorded and called_party_ended}
        with self._lock:
            holders = self._leads_by_number.get(number_e164)
            if not holders:
                return
            facts = self._leads[next(iter(holders))].facts
            template = PastAttempt(at=moment, number_e164=number_e164,
                                   campaign=self.rules.name, contact_id=facts.contact_id)
            self._kept.mark(number_e164, moment, template, self.lookback, **flags)
            if facts.contact_id and facts.contact_id in self._leads_by_person:
                self._kept_people.mark(facts.contact_id, moment, template, self.lookback,
                                       **flags)

    def forget(self, lead_id: str) -> None:
        """The lead was released or finished: drop its facts, and its number's and person's
        attempts when no other kept lead has them (the journal has them for a later
        prefetch)."""
        with self._lock:
            kept = self._leads.pop(lead_id, None)
            if kept is None:
                return
            number = kept.facts.number_e164
            holders = self._leads_by_number.get(number, set())
            holders.discard(lead_id)
            if not holders:
                self._leads_by_number.pop(number, None)
                self._kept.drop(number)
                self._facts.drop(number)
                self._lookup.drop(number)
            person = kept.facts.contact_id
            if person:
                people = self._leads_by_person.get(person, set())
                people.discard(lead_id)
                if not people:
                    self._leads_by_person.pop(person, None)
                    self._kept_people.drop(person)
                    self._person_extra.pop(person, None)
                    self._person_numbers.pop(person, None)

    def kept_counts(self) -> dict[str, int]:
        """Leads, numbers and attempts held (memory stays bounded: tests and monitoring)."""
        return {"leads": len(self._leads), "numbers": self._kept.numbers,
                "attempts": self._kept.size, "people": self._kept_people.numbers,
                "pending_audit": len(self._pending)}

    # --- the audit ---------------------------------------------------------------------------

    def _buffer(self, decision: Decision, stage: str) -> str | None:
        if self.audit is None:
            return None
        self._count += 1
        decision_id = f"{stage}:{self._run}:{self._count}"
        self._pending.append((decision_id, decision, stage))
        return decision_id

    def flush_audit(self) -> int:
        """Write every buffered decision to the audit log as one fsynced batch (database
        thread, in the step that commits the journal, before originates are sent); returns
        how many were written. On an error nothing is lost from the buffer and the error is
        raised: the runner must then not send that batch's originates."""
        if self.audit is None:
            return 0
        taken: list[tuple[str, Decision, str]] = []
        while True:
            try:
                taken.append(self._pending.popleft())
            except IndexError:
                break
        if not taken:
            return 0
        rests_on = self._rests_on
        bodies = [{**decision_body(decision), "decision_id": decision_id, "stage": stage}
                  for decision_id, decision, stage in taken]
        if rests_on:
            for body in bodies:
                if body["decision_id"] in rests_on:
                    body["dial_decision"] = rests_on[body["decision_id"]]
        try:
            self.audit.append_bodies(bodies)
        except BaseException:
            self._pending.extendleft(reversed(taken))
            raise
        if rests_on:
            for decision_id, _, _ in taken:
                rests_on.pop(decision_id, None)
        return len(taken)

    def close(self) -> None:
        """Flush the audit and close what ``build_dial_gate`` opened."""
        self.flush_audit()
        for close in self._on_close:
            close()


def _add_unseen(rows: list[PastAttempt], *more: Iterable[PastAttempt]) -> None:
    """Append to ``rows`` the attempts of ``more`` it does not hold yet (an attempt is its
    number, instant and lead: the same call read by number and by person is one)."""
    seen = {(a.number_e164, a.at, a.lead_id) for a in rows}
    for found in more:
        for a in found:
            key = (a.number_e164, a.at, a.lead_id)
            if key not in seen:
                seen.add(key)
                rows.append(a)


def rule_tables(data_dir: Path) -> RuleTables:
    """``dnc.rules.tables.tables_for_data``: the tables of a data directory."""
    return tables_for_data(data_dir)


def build_dial_gate(store: CampaignStore, campaign: str, data_dir: Path,
                    inner_opted_out: Callable[[str], bool] | None,
                    internal: InternalDnc | None = None) -> DialTimeGate:
    """The gate for one campaign from the data directory, laid out as the compliance CLI
    reads it: registries in ``<data>/dnc``, line types, revocations and RND results in
    ``<data>/dnc/facts.db``, the audit log in ``<data>/audit``, rule tables in
    ``<data>/rules`` when that directory has a ``state_rules.csv`` (else the built-in
    ``dnc/data``); the campaign's rules from the store and its journal as attempt history.
    ``internal``: the caller's own index of the internal list (the runner's), so a process
    keeps one copy of it; without it the gate opens and closes its own.
    ``inner_opted_out``: None when that list is the whole of the opt-outs (the runner's
    case): the gate then reads a number's membership and the list's version in one look
    (``InternalDnc.listing``); otherwise the caller's check of membership."""
    from campaigns.compliance import StoreAttemptHistory, campaign_rules
    from dnc.facts import FACTS_NAME, NumberFactsStore
    from dnc.internal import InternalDnc
    from dnc.registry import DncStore

    data_dir = Path(data_dir)
    row = store.campaign(campaign)
    rules = campaign_rules(row.name, store.settings(row.id))
    registries = DncStore(data_dir / "dnc", internal=False)
    owned = internal is None
    if internal is None:
        internal = InternalDnc(data_dir / "dnc" / "internal.db")
    facts = NumberFactsStore(data_dir / "dnc" / FACTS_NAME)
    tables = rule_tables(data_dir)
    return DialTimeGate(
        rules, registries, StoreAttemptHistory(store), inner_opted_out=inner_opted_out,
        internal_listing=internal.listing if inner_opted_out is None else None,
        tables=tables, audit=AuditLog(data_dir / "audit", fsync_every=1),
        internal_change=internal.latest_change_id, refresh_registries=registries.refresh,
        facts=facts, on_close=((internal.close,) if owned else ()) + (registries.close,
                                                                      facts.close))


__all__ = ["DialTimeGate", "build_dial_gate", "load_attempts", "rule_tables"]
