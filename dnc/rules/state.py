"""US state overlays built from ``dnc/data/state_rules.csv`` (one rule object per row and
kind), and the area bans (declared emergencies, county holidays) of ``dnc.rules.area_bans``.

State telemarketing statutes govern telephone solicitations, so the rows apply only to
campaigns marked ``telemarketing`` (but rows ``recorded``: a state's automatic dialing-
announcing device statute binding every caller, which also binds a campaign that plays
recorded messages and sells nothing); a row applies to a lead when the lead may be in that
state (see ``dnc.rules.zones``), and its window is checked in the lead's candidate zones
*and* the state's own zones (a Florida area code on a lead whose record says California:
Florida's 20:00 limit holds at the Florida location the law presumes). Area bans apply to
every campaign the emergency's ``calls`` column names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dnc.interfaces import RegistryKind
from dnc.rules import stamps
from dnc.rules.adad import SECOND_CALL_AFTER_HANG_UP, SecondCallAfterHangUpRule
from dnc.rules.area_bans import AreaBan, AreaBans
from dnc.rules.base import (
    AttemptLimitRule,
    CallingHoursRule,
    RuleContext,
    failed,
    new_tuple,
    passed,
)
from dnc.rules.calendar import WeeklyWindow
from dnc.rules.federal import EXPRESS_CONSENT, REGISTRY_PERMISSIONS, WRITTEN_CONSENT
from dnc.rules.model import CampaignRules, LazyReason, RuleOutcome
from dnc.rules.tables import RuleTables, StateRule


@dataclass(frozen=True, slots=True)
class InState:
    """Applies the wrapped rule only when the called party may be in ``state``, from the
    row's effective date, in the lead's zones plus the state's own (and ``also_in``)."""

    state: str
    inner: (CallingHoursRule | AttemptLimitRule | StateConsentRule | SecondCallAfterHangUpRule
            | RingCountRule)
    extra_zones: tuple[ZoneInfo, ...] = ()
    effective: date | None = None
    in_force_from: datetime | None = field(default=None, init=False, repr=False,
                                           compare=False, hash=False)
    """``effective`` as the UTC instant it starts (set at construction)."""

    def __post_init__(self) -> None:
        if self.effective is not None:
            object.__setattr__(self, "in_force_from",
                               datetime.combine(self.effective, time(0), tzinfo=UTC))

    @property
    def rule_id(self) -> str:
        return self.inner.rule_id

    @property
    def title(self) -> str:
        return self.inner.title

    @property
    def citation(self) -> str:
        return self.inner.citation

    @property
    def lookback(self) -> timedelta:
        return self.inner.lookback

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if self.state not in context.placement.states:
            return RuleOutcome(self.rule_id, True, f"called party not in {self.state}",
                               self.citation, at, applicable=False)
        if self.in_force_from is not None and at < self.in_force_from:
            return RuleOutcome(self.rule_id, True, f"not yet in force (from "
                               f"{stamps.day(self.effective)})", self.citation, at,
                               applicable=False)
        extra = self.extra_zones
        if extra and extra != context.zones:  # equal: ``with_zones`` would return it as is
            context = context.with_zones(extra)
        return self.inner.evaluate(context, at)


@dataclass(frozen=True, slots=True)
class StateConsentRule:
    """A state's consent requirement for autodialed or prerecorded calls, or its ban."""

    rule_id: str
    title: str
    citation: str
    state: str
    kind: str                    # "written" | "express" | "banned"
    lookback: timedelta = timedelta(0)

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        campaign = context.campaign
        if self.kind == "banned":
            return failed(self, f"{self.state} does not allow these calls at all", None)
        if self.kind == "written" and not (campaign.autodialed or campaign.prerecorded):
            return passed(self, at, "not autodialed and no recorded message")
        consent, text = context.relied_consent(
            WRITTEN_CONSENT if self.kind == "written" else EXPRESS_CONSENT, at)
        if consent is None:
            what = "an automated dialing system or a recorded message" \
                if self.kind == "written" else "a recorded message"
            return failed(self, f"{self.state} requires consent for {what}: {text}", None)
        return new_tuple(RuleOutcome, (self.rule_id, True, LazyReason(
            _consent_reason, self.state, text), self.citation, at, text, True))


RING_SETUP_ALLOWANCE = 15.0
"""Seconds a call may ring before its ring time starts counting (the engine's
``dialer.engine.config.SETUP_ALLOWANCE``: a call whose ringing the switch never reports is
ended ``ring_timeout`` plus this after the dial), plus nothing: the engine's own lateness is
``RING_DECISION_LATENESS``. Kept equal to the engine's by a test (dnc imports no dialer)."""
RING_DECISION_LATENESS = 1.0
"""The engine ends an unanswered call at its first decision after the limit (one a second)."""
SECONDS_PER_RING = 3.75
"""The strict reading of a ring's length: the FCC equates four rings with 15 seconds
(47 CFR 64.1200(a)(6)); the US cadence is a ring every 6 s, so this counts more rings."""


@dataclass(frozen=True, slots=True)
class RingCountRule:
    """The District of Columbia: causing a telephone to ring more than 15 times in an
    intended telephone solicitation call is an abusive telemarketing practice (D.C. Code §
    22-3226.08(1)). A campaign's calls may ring ``ring_timeout`` plus the set-up allowance
    plus the engine's lateness (up to 300 s by the settings): the sixteenth ring, at 3.75 s a
    ring, begins at 56.25 s, so a telemarketing campaign whose calls may ring longer is
    refused for DC numbers (ring_timeout 40 s or less passes)."""

    rule_id: str = "state.DC.rings"
    title: str = "DC: no telephone solicitation call rings more than 15 times"
    citation: str = "D.C. Code § 22-3226.08(1) (code.dccouncil.gov)"
    lookback: timedelta = timedelta(0)
    max_rings: int = 15

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        ring = context.campaign.ring_timeout
        if ring is None:
            return passed(self, at, "the campaign's ring time was not given: not judged "
                          "(every dialing campaign's ring_timeout is judged at the dial)")
        longest = ring + RING_SETUP_ALLOWANCE + RING_DECISION_LATENESS
        allowed = self.max_rings * SECONDS_PER_RING
        if longest > allowed:
            return failed(self, f"a call may ring {longest:g} s (ring_timeout {ring:g} s, set-up "
                          f"and lateness {RING_SETUP_ALLOWANCE + RING_DECISION_LATENESS:g} s): "
                          f"more than {self.max_rings} rings ({allowed:g} s at "
                          f"{SECONDS_PER_RING:g} s a ring); lower ring_timeout to "
                          f"{allowed - RING_SETUP_ALLOWANCE - RING_DECISION_LATENESS:g} s or "
                          "less", None)
        return passed(self, at, f"rings at most {longest:g} s, within {self.max_rings} rings")


def _consent_reason(state: str, text: str) -> str:
    return f"{state}: {text}"


@lru_cache(maxsize=1024)
def _not_listed_reason(states: tuple[str, ...]) -> str:
    """The pass reason of a number on no state list (the same few state sets at every dial)."""
    return "not on the registry of " + (", ".join(states) or "any applicable state")


@dataclass(frozen=True, slots=True)
class StateRegistryRule:
    """A state's own do-not-call list (registry ``state:XX``).

    A state's list holds numbers its residents registered, so a listing is itself a sign
    that the called party lives there: every state list that lists the number counts,
    whether or not the lead's state, postal code or area code points to that state (a
    Texan's New Jersey mobile number on the Texas list, a lead record that says New Jersey).
    Where the party is unknown every candidate location counts (docs/compliance.md).

    A state that keeps its own list (``lists``, from ``state_dnc_lists.csv``) whose list was
    never loaded is a missing fact: a call to a number placed there is refused, unless the
    called party gave the written permission every list honours or the campaign records a
    waiver for that state (``CampaignRules.state_list_waivers``, named in the decision)."""

    rule_id: str = "state.registry"
    title: str = "State do-not-call registries"
    citation: str = "state DNC statutes, e.g. Fla. Stat. 501.059; Tex. Bus. & Com. Code 304.052"
    lookback: timedelta = timedelta(0)
    lists: frozenset[str] = frozenset()
    """States that keep their own do-not-call list."""

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        states = context.placement.states
        hits = [h for h in context.hits if h.version.kind is RegistryKind.STATE
                ] if context.hits else None
        if not hits:
            unloaded = self._unloaded(states, context, at) if self.lists else ()
            if not unloaded:
                return new_tuple(RuleOutcome, (self.rule_id, True, _not_listed_reason(states),
                                                self.citation, at, None, True))
            return self._without_lists(unloaded, context, at)
        # Exemptions differ by state; only express written permission is honoured everywhere.
        consent, text = context.relied_consent(REGISTRY_PERMISSIONS, at)
        if consent is not None:
            return passed(self, at, f"listed in {hits[0].version.version}; {text}",
                          permission=text)
        return failed(self, f"listed in {hits[0].version.version} ({text})", None)

    def _unloaded(self, states: tuple[str, ...], context: RuleContext, at: datetime
                  ) -> tuple[str, ...]:
        """The placed states that keep a list of their own none of which is loaded."""
        wanted = [state for state in states if state in self.lists]
        if not wanted:
            return ()
        loaded = {v.registry.upper() for v in context.versions
                  if v.kind is RegistryKind.STATE and v.as_of <= at}
        return tuple(state for state in wanted if f"STATE:{state}" not in loaded)

    def _without_lists(self, unloaded: tuple[str, ...], context: RuleContext, at: datetime
                       ) -> RuleOutcome:
        consent, text = context.relied_consent(REGISTRY_PERMISSIONS, at)
        if consent is not None:
            return passed(self, at, f"{', '.join(unloaded)} list never loaded; {text}",
                          permission=text)
        waivers = dict(context.campaign.state_list_waivers)
        missing = [state for state in unloaded if state not in waivers]
        if missing:
            first = missing[0]
            return failed(self, f"{', '.join(missing)} keeps its own do-not-call list and it "
                          f"was never loaded: load it (`dialer dnc import FILE --registry "
                          f"state:{first}`) or record the campaign's waiver "
                          f"(compliance.state_list_waivers.{first})", None)
        waived = "; ".join(f"{state} list not loaded, waived by the campaign: {waivers[state]}"
                           for state in unloaded)
        return passed(self, at, f"{_not_listed_reason(context.placement.states)}; {waived}",
                      permission=waived)


@dataclass(frozen=True, slots=True)
class AreaBanRule:
    """Declared emergencies and county holidays of one state: no calls on those local dates
    to leads that may be in the areas concerned."""

    state: str
    bans: AreaBans
    state_zones: tuple[ZoneInfo, ...]
    lookback: timedelta = timedelta(0)
    rule_id: str = field(default="", init=False, compare=False)
    title: str = field(default="", init=False, compare=False)
    citation: str = field(default="", init=False, compare=False)
    none_active: str = field(default="", init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Set once: every decision reads them.
        object.__setattr__(self, "none_active",
                           f"no declared emergency or area holiday in {self.state}")
        object.__setattr__(self, "rule_id", f"state.{self.state}.area_ban")
        object.__setattr__(self, "title",
                           f"{self.state}: declared emergencies and area holidays")
        object.__setattr__(self, "citation", f"{self.state} emergency declarations and area "
                           "holidays (emergencies.csv, holidays.csv)")

    def evaluate(self, context: RuleContext, at: datetime) -> RuleOutcome:
        if self.state not in context.placement.states:
            return RuleOutcome(self.rule_id, True, f"called party not in {self.state}",
                               self.citation, at, applicable=False)
        # Every local date of the instant lies within a day of its UTC date (offsets are
        # UTC-12 to UTC+14), so in its UTC year unless that date is in January or December:
        # with no ban of the state in those years, none is active (the common case, without
        # a zone conversion).
        utc = at if at.tzinfo is UTC else at.astimezone(UTC)
        month = utc.month
        key = (self.state, utc.year, month == 1 or month == 12)
        quiet = self.bans.quiet.get(key)
        if quiet is None:
            quiet = self.bans.none_near(*key)
        if quiet:
            return new_tuple(RuleOutcome, (self.rule_id, True, self.none_active, self.citation,
                                            at, None, True))
        zones = context.with_zones(self.state_zones).zones
        hit = self._active(context, at, zones)
        if hit is None:
            return passed(self, at, self.none_active)
        ban, local, how = hit
        earliest = self._earliest(context, at, zones)
        until = f" until {stamps.day(ban.last)}" if ban.last else " until lifted"
        return RuleOutcome(self.rule_id, False, f"{ban.name} ({stamps.day(local)} local){until}, "
                           f"{how}", ban.citation, earliest)

    def _active(self, context: RuleContext, at: datetime, zones: tuple[ZoneInfo, ...]
                ) -> tuple[AreaBan, date, str] | None:
        lead = context.lead
        bans = self.bans
        for zone in zones:
            local = at.astimezone(zone).date()
            if not bans.any_on(self.state, local):  # no ban of the state that day (most)
                continue
            for ban in bans.for_state(self.state, local.year):
                if not ban.on(local) or not ban.concerns(context.campaign.telemarketing):
                    continue
                inside, how = ban.covers(lead.county, lead.postal_code)
                if inside:
                    return ban, local, how
        return None

    def _earliest(self, context: RuleContext, at: datetime, zones: tuple[ZoneInfo, ...]
                  ) -> datetime | None:
        """The next local midnight (in every zone) at which no ban covers the lead."""
        probe = at
        for _ in range(370):
            hit = self._active(context, probe, zones)
            if hit is None:
                return probe
            ban = hit[0]
            if ban.last is None:
                return None
            probe = max(datetime.combine(ban.last + timedelta(days=1), time(0), tzinfo=zone)
                        for zone in zones).astimezone(UTC)
        return None


def state_rules(campaign: CampaignRules, tables: RuleTables) -> tuple:
    """Every rule of the state overlay for this campaign, in table order."""
    # Every state may get a declared emergency (the officer's file can name any), so each
    # has an area-ban rule; only the lead's states' rules are evaluated.
    rules: list = [AreaBanRule(state, tables.area_bans, _zones(tables, state))
                   for state in sorted(tables.state_zones)]
    if not campaign.telemarketing:
        # An automatic dialing-announcing device statute that binds every caller (rows
        # ``recorded``) still applies to a recorded message that sells nothing.
        if campaign.prerecorded:
            for row in tables.state_rules:
                if row.applies_to == "recorded":
                    rules.extend(rules_for_row(row, tables))
        return tuple(rules)
    rules.insert(0, StateRegistryRule(lists=frozenset(tables.state_dnc_lists)))
    for row in tables.state_rules:
        if row.applies_to in ("prerecorded", "recorded") and not campaign.prerecorded:
            continue
        if row.applies_to == "autodialed" and not campaign.autodialed:
            continue
        rules.extend(rules_for_row(row, tables))
    if campaign.prerecorded:
        for state in sorted(SECOND_CALL_AFTER_HANG_UP):
            rules.append(InState(state, SecondCallAfterHangUpRule(state), _zones(tables, state)))
    if "DC" in tables.state_zones:
        rules.append(InState("DC", RingCountRule(), _zones(tables, "DC")))
    return tuple(rules)


def _zones(tables: RuleTables, state: str) -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(name) for name in tables.state_zones[state])


def rules_for_row(row: StateRule, tables: RuleTables) -> list[InState]:
    """The hours rule, the consent rule and the attempt-limit rule one table row stands for."""
    holidays = tables.holiday_calendars[row.holiday_calendar] if row.holiday_calendar else None
    window = WeeklyWindow(days=row.days, holidays=holidays)
    extra = _zones(tables, row.state) + tuple(ZoneInfo(name) for name in row.also_in)

    def wrap(rule) -> InState:
        return InState(row.state, rule, extra, row.effective)

    rules = []
    if any(day != (time(8), time(21)) for day in row.days) or holidays is not None:
        rules.append(wrap(CallingHoursRule(
            rule_id=f"{row.rule_key}.hours", title=f"{row.state} calling hours",
            citation=row.citation, window=window)))
    if row.consent:
        rules.append(wrap(StateConsentRule(
            rule_id=f"{row.rule_key}.consent",
            title=f"{row.state}: " + ("no such calls" if row.consent == "banned" else
                                      f"{row.consent} consent for automated calls"),
            citation=row.citation, state=row.state, kind=row.consent)))
    if row.max_calls is not None and row.per is not None:
        rules.append(wrap(AttemptLimitRule(
            rule_id=f"{row.rule_key}.attempts",
            title=f"{row.state}: at most {row.max_calls} calls to a person per {row.per}",
            citation=row.citation, max_calls=row.max_calls, window=row.per,
            per_person=True, same_subject=row.same_subject)))
    return rules
