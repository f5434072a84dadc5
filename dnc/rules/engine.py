"""The compliance engine: every dial decision, with every reason and the earliest allowed time.

``check`` gathers the facts once (placement, registry hits, attempt history), asks each rule
of the campaign's profiles, then finds the earliest instant at which *all* rules pass by a
fixed-point search: each failing rule names the earliest instant it alone would pass; the
latest of those is a lower bound of the joint answer, so the search re-asks every rule there
and repeats until all pass (or one says never, or the horizon is reached).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from dnc.errors import ComplianceError
from dnc.interfaces import (
    AttemptHistory,
    DncLookup,
    LineTypeRecord,
    NoNumberFacts,
    NumberFacts,
    PastAttempt,
    RegistryVersion,
)
from dnc.rules.base import CallingHoursRule, Rule, RuleContext, new_context
from dnc.rules.calendar import SEARCH_HORIZON
from dnc.rules.line_type import LineFinding, find_line_type
from dnc.rules.model import (
    CampaignRules,
    CampaignState,
    Decision,
    LeadFacts,
    RuleOutcome,
    require_aware,
)
from dnc.rules.profiles import profile_rules
from dnc.rules.tables import RuleTables
from dnc.rules.zones import Placement, place
from pacing_models.records import builder

MAX_SEARCH_STEPS = 4000
_NO_TIME = timedelta(0)
_new_decision = builder(Decision)
"""``Decision(*every field)``, built the same way (one per decision)."""


class DecisionSink(Protocol):
    """Where decisions go for the audit trail (``dnc.rules.audit.AuditLog`` implements it)."""

    def record(self, decisions: Sequence[Decision]) -> None:
        ...


_Prepared = tuple[LeadFacts, CampaignRules, Placement, tuple[Rule, ...], timedelta,
                  LineTypeRecord | None, LineFinding, tuple[ZoneInfo, ...], str]
"""(lead, campaign, placement, applicable rules, their lookback, the officer's line-type
record, the line finding, the placement's zones as ``ZoneInfo``, the line type's name (an
enum's ``value`` is a Python-level property)): see ``ComplianceEngine._prepared``."""


class ComplianceEngine:
    """Decides whether a lead may be dialed for a campaign at an instant."""

    def __init__(self, registries: DncLookup, history: AttemptHistory,
                 tables: RuleTables | None = None, audit: DecisionSink | None = None,
                 facts: NumberFacts | None = None) -> None:
        self.registries = registries
        self.history = history
        self.tables = tables or RuleTables()
        self.audit = audit
        self.facts: NumberFacts = facts or NoNumberFacts()
        self._rules: dict[CampaignRules, tuple[tuple[Rule, frozenset[str] | None], ...]] = {}
        self._by_states: dict[tuple[CampaignRules, tuple[str, ...], str | None],
                              tuple[tuple[Rule, ...], timedelta]] = {}
        self._placements: dict[tuple[str, str | None, str | None, str | None], Placement] = {}
        # The last campaign's rules by state set, and the last versions' ids, found by
        # identity: hashing a CampaignRules (every field) costs more than the look-up itself,
        # and a gate passes the same objects at every check.
        self._hot: tuple[CampaignRules | None, dict] = (None, {})
        self._version_ids: tuple[object, tuple[str, ...]] = (None, ())
        self._lines: dict[tuple, tuple[LineTypeRecord | None, LineFinding]] = {}
        self._history_methods: tuple[object, Callable, Callable | None] = (None, len, None)
        """(history, its ``attempts``, its ``attempts_for_contact`` or None), bound once per
        history object rather than looked up at every decision."""
        self._prepared: dict[int, _Prepared] = {}
        """Per lead (by identity, the lead kept in the entry so its id is not reused): what
        ``decide`` derives from the lead's own facts and the campaign alone, its placement
        and applicable rules, and the line finding with the officer's record it was found
        on. A gate passes the same ``LeadFacts`` at every check of a lead; nothing here
        depends on the instant, the registries or the history."""

    def _profile_rules(self, campaign: CampaignRules
                       ) -> tuple[tuple[Rule, frozenset[str] | None], ...]:
        if campaign not in self._rules:
            self._rules[campaign] = profile_rules(campaign, self.tables)
        return self._rules[campaign]

    def rules_for(self, campaign: CampaignRules) -> tuple[Rule, ...]:
        """Every rule the campaign's profiles bring in (all states' overlays included)."""
        return tuple(rule for rule, _ in self._profile_rules(campaign))

    def applicable_rules(self, campaign: CampaignRules, states: tuple[str, ...],
                         region: str | None = "US") -> tuple[Rule, ...]:
        """The rules that concern a call to a party in ``states`` with a number of ``region``
        (other states' overlays and other regions' profiles dropped)."""
        return self._applicable(campaign, states, region)[0]

    def _applicable(self, campaign: CampaignRules, states: tuple[str, ...],
                    region: str | None) -> tuple[tuple[Rule, ...], timedelta]:
        """The applicable rules and the longest attempt history they need (cached)."""
        hot_campaign, by_states = self._hot
        if hot_campaign is not campaign:
            by_states = {k[1:]: v for k, v in self._by_states.items() if k[0] == campaign}
            self._hot = (campaign, by_states)
        found = by_states.get((states, region))
        if found is None:
            key = (campaign, states, region)
            rules = tuple(
                rule for rule, regions in self._profile_rules(campaign)
                if getattr(rule, "state", None) in (None, *states)
                and (regions is None or region in regions or not any(
                    region in r for _, r in self._profile_rules(campaign) if r is not None)))
            found = (rules, max((rule.lookback for rule in rules), default=timedelta(0)))
            self._by_states[key] = found
            by_states[(states, region)] = found
        return found

    def _place(self, lead: LeadFacts) -> Placement:
        """``zones.place``, cached per exchange and location facts (the placement of a NANP
        number depends on its area code and exchange only, besides the lead's own facts)."""
        number = lead.number_e164
        key = (number[:8] if len(number) == 12 and number.startswith("+1") else number,
               lead.time_zone, lead.state, lead.postal_code)
        found = self._placements.get(key)
        if found is None:
            found = place(lead, self.tables)
            if len(self._placements) >= 65536:
                self._placements.clear()
            self._placements[key] = found
        return found

    def check(self, lead: LeadFacts, campaign: CampaignRules, at: datetime,
              campaign_state: CampaignState | None = None, *,
              history_before: datetime | None = None) -> Decision:
        """Decide one dial now; the decision is appended to the audit log when one is set.

        ``history_before``: count only attempts dialled before that instant (a recorded
        message left during a call is judged on the history before the call itself)."""
        versions = self.registries.versions()
        decision = self.decide(lead, campaign, at, versions, campaign_state,
                               history_before=history_before)
        if self.audit is not None:
            self.audit.record((decision,))
        return decision

    def decide(self, lead: LeadFacts, campaign: CampaignRules, at: datetime,
               versions: Sequence[RegistryVersion], campaign_state: CampaignState | None = None,
               *, history_before: datetime | None = None,
               permissions: list[str] | None = None) -> Decision:
        """``check`` on registry versions the caller read, not recorded in ``audit``: the
        dial-time gate reads the internal list's version with its membership, in one look,
        and buffers its decisions for its own audit log.

        ``permissions``: a list the passing rules' permissions are appended to, in rule
        order, as they are evaluated; for an allowed decision it then holds
        ``Decision.permissions`` (what the gate's verdict carries) without a second pass
        over the outcomes."""
        if at.tzinfo is not UTC:  # an instant the caller built in UTC is aware already
            # Every rule counts its windows (24 h, 72 h, 7 and 30 days) as ``at - window``:
            # on an instant written in a zone with clock changes that is wall-clock
            # arithmetic (a "24 h" window of 23 h on the spring-forward day, which let a
            # fourth Florida call through), so the decision is taken on the UTC instant.
            at = require_aware(at, "decision time").astimezone(UTC)
        if history_before is not None and history_before.tzinfo is not UTC:
            history_before = require_aware(history_before, "history bound").astimezone(UTC)
        if versions.__class__ is not tuple:
            versions = tuple(versions)
        facts = self.facts
        number = lead.number_e164
        registry = facts.line_type(number, at)
        prepared = self._prepared.get(id(lead))
        if prepared is None or prepared[0] is not lead or prepared[1] is not campaign or \
                prepared[5] is not registry:
            prepared = self._prepare(lead, campaign, registry)
        placement, rules, lookback, line = prepared[2], prepared[3], prepared[4], prepared[6]
        infos, line_type = prepared[7], prepared[8]
        attempts = self._attempts(lead, at - lookback, at, history_before) \
            if lookback > _NO_TIME else ()
        if lead.consents:
            revocations = facts.revocations(number, lead.contact_id, at)
            if revocations.__class__ is not tuple:
                revocations = tuple(revocations)
            reassigned = facts.reassigned(number, at)
            if reassigned.__class__ is not tuple:
                reassigned = tuple(reassigned)
        elif campaign.telemarketing or campaign.prerecorded:
            # A revocation is a do-not-call request for telemarketing and exempt prerecorded
            # calls (``us.stop_request``), consents or not.
            revocations = facts.revocations(number, lead.contact_id, at)
            if revocations.__class__ is not tuple:
                revocations = tuple(revocations)
            reassigned = ()
        else:
            revocations = reassigned = ()
        hits = self.registries.hits(number)
        context = new_context(
            lead, campaign, placement, infos, hits if hits.__class__ is tuple else tuple(hits),
            versions, attempts, campaign_state, line, revocations, reassigned, [], {}, {})
        # Every rule is evaluated (each verdict is recorded), whatever the others answer.
        outcomes = []
        record = outcomes.append
        allowed = True
        if permissions is None:
            for rule in rules:
                outcome = rule.evaluate(context, at)
                record(outcome)
                if not outcome[1]:  # RuleOutcome.passed
                    allowed = False
        else:
            relied = permissions.append
            for rule in rules:
                outcome = rule.evaluate(context, at)
                record(outcome)
                if not outcome[1]:
                    allowed = False
                elif outcome[5]:  # RuleOutcome.permission
                    relied(outcome[5])
        outcomes = tuple(outcomes)
        earliest, unreachable = (at, False) if allowed else \
            _earliest_allowed(rules, context, at, outcomes)
        notes = context.notes
        if unreachable or len(placement.zones) > 1:
            notes = list(notes)
            if unreachable:
                notes.append("unreachable: no time zone known for the called party" if not
                             placement.zones else "unreachable: no instant within a year "
                             "satisfies every calling window in all of the called party's "
                             "time zones")
            if len(placement.zones) > 1:
                notes.append(f"number maps to {len(placement.zones)} zones; a call must be "
                             "lawful in each")
        last, ids = self._version_ids
        if last is not versions:
            ids = self._ids_of(versions)
        return _new_decision(
            number, campaign.name, at, allowed, outcomes, earliest, ids,
            placement.zones, placement.source, placement.states, unreachable, lead.lead_id,
            tuple(notes), line_type, line.source,
            "wireless" if campaign.treat_unknown_line_type_as_wireless else "landline")

    def check_many(self, leads: Iterable[LeadFacts], campaign: CampaignRules, at: datetime,
                   campaign_state: CampaignState | None = None) -> list[Decision]:
        """The hopper's batch path: registry versions and rules resolved once, one audit write."""
        require_aware(at, "decision time")
        versions = tuple(self.registries.versions())
        decisions = []
        for lead in leads:
            try:
                decisions.append(self.decide(lead, campaign, at, versions, campaign_state))
            except ComplianceError as error:
                # One malformed lead (bad number, unknown zone) must not stop the batch.
                decisions.append(refused_for_bad_facts(lead, campaign, at, versions, error))
        if self.audit is not None and decisions:
            self.audit.record(decisions)
        return decisions

    def _prepare(self, lead: LeadFacts, campaign: CampaignRules,
                 registry: LineTypeRecord | None) -> _Prepared:
        placement = self._place(lead)
        rules, lookback = self._applicable(campaign, placement.states, placement.region)
        line = self._line(lead, placement, registry, campaign)
        prepared = (lead, campaign, placement, rules, lookback, registry, line,
                    placement.zone_infos(), line.line_type.value)
        if len(self._prepared) >= 8192:  # leads not dialed again (a hopper batch) age out
            self._prepared.clear()
        self._prepared[id(lead)] = prepared
        return prepared

    def _line(self, lead: LeadFacts, placement: Placement, registry: LineTypeRecord | None,
              campaign: CampaignRules) -> LineFinding:
        """``find_line_type``, cached: its answer depends only on these inputs (the
        officer's record by identity, kept with the answer so its id is not reused)."""
        key = (id(registry), lead.line_type, lead.wireless, placement.wireless_by_plan,
               placement.fixed_by_plan, campaign.treat_unknown_line_type_as_wireless)
        found = self._lines.get(key)
        if found is not None and found[0] is registry:
            return found[1]
        line = find_line_type(lead, placement, registry, campaign)
        if len(self._lines) >= 4096:
            self._lines.clear()
        self._lines[key] = (registry, line)
        return line

    def _ids_of(self, versions: tuple[RegistryVersion, ...]) -> tuple[str, ...]:
        last, ids = self._version_ids
        if last is not versions:
            ids = tuple(v.version for v in versions)
            self._version_ids = (versions, ids)
        return ids

    def _attempts(self, lead: LeadFacts, since: datetime, at: datetime,
                  before: datetime | None) -> tuple[PastAttempt, ...]:
        """Attempts to the number and, when the lead names a person and the history knows
        people, to every number of that person; each attempt once, oldest first."""
        bound = self._history_methods
        if bound[0] is not self.history:
            history = self.history
            by_contact = getattr(history, "attempts_for_contact", None)
            bound = self._history_methods = (
                history, history.attempts, by_contact if callable(by_contact) else None)
        found = bound[1](lead.number_e164, since)
        contact = lead.contact_id
        if contact is not None and bound[2] is not None:
            theirs = bound[2](contact, since)
            if theirs:
                found = list(found)
                seen = {(a.number_e164, a.at) for a in found}
                found.extend(a for a in theirs if (a.number_e164, a.at) not in seen)
        if not found:
            return ()
        kept = [a for a in found if a.at <= at and (before is None or a.at < before)]
        kept.sort(key=lambda attempt: attempt.at)
        return tuple(kept)


def _earliest_allowed(rules: Sequence[Rule], context: RuleContext, at: datetime,
                      outcomes: tuple[RuleOutcome, ...]) -> tuple[datetime | None, bool]:
    """Earliest instant >= ``at`` where every rule passes, and whether the lead is unreachable.

    Unreachable means the calling windows themselves never open (e.g. zones with no common
    window); a registry listing is "never" too, but not "unreachable".
    """
    limit = at + SEARCH_HORIZON
    current = outcomes
    for _ in range(MAX_SEARCH_STEPS):
        failing = [(rule, o) for rule, o in zip(rules, current, strict=True) if not o.passed]
        never = [rule for rule, o in failing if o.earliest is None]
        if never:
            return None, any(_is_window(rule) for rule in never)
        candidate = max(o.earliest for _, o in failing if o.earliest is not None)
        if candidate > limit:
            return None, True
        current = tuple(rule.evaluate(context, candidate) for rule in rules)
        if all(o.passed for o in current):
            return candidate, False
    return None, True


def _is_window(rule: Rule) -> bool:
    """A calling-window rule, possibly wrapped (a state overlay applies it in-state only)."""
    return isinstance(getattr(rule, "inner", rule), CallingHoursRule)


def refused_for_bad_facts(lead: LeadFacts, campaign: CampaignRules, at: datetime,
                           versions: tuple[RegistryVersion, ...],
                           error: ComplianceError) -> Decision:
    outcome = RuleOutcome("lead.facts", False, f"lead facts unusable: {error}",
                          "no rule can be proved without a valid number and location", None)
    return Decision(number_e164=lead.number_e164, campaign=campaign.name, at=at, allowed=False,
                    outcomes=(outcome,), earliest_allowed=None,
                    registry_versions=tuple(v.version for v in versions),
                    lead_id=lead.lead_id)
