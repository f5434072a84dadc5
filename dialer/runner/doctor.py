"""``dialer doctor CAMPAIGN``: would it dial, and if not why, without running it.

The same diagnosis ``dialer run`` shows while running, checked from the outside: the
campaign's state and caller ID, its pacing policy (built, so its parameters are checked
as the runner will), its agents (and how many a running process has logged in), every
switch (connected and authenticated, with a short timeout), which leads are callable now
and when the next ones will be, then the next leads in dial order through the same
compliance check the dialer selects with (so a UK campaign whose leads are all on the TPS
list is not reported callable), and the registries' age as the rules judge it (a US campaign
does not dial on national data older than 31 days, a UK one on TPS data older than 28).
Each check is ok, a warning, or a failure with the fix.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from campaigns.availability import lead_availability
from campaigns.compliance_settings import dialing_problems
from campaigns.settings import (
    CampaignSettings,
    CampaignState,
    build_pacing_policy,
    limit_guard_words,
)
from campaigns.store import CampaignStore, missing_to_start, stored_setting_problems
from campaigns.stored_settings import StoredSettingsError, stored_settings
from dialer.engine.agents import split_levels
from dialer.esl.url import EslUrl
from dialer.runner.running import running_snapshot
from dialer.runner.status import agents_problem, short_error
from dialer.runner.stored_state import stored_state
from dialer.words import counted
from pacing_models.limit_guard import GUARDED_POLICIES

SWITCH_TIMEOUT = 3.0
DOCTOR_SAMPLE = 200
"""How many leads, in dial order, go through the compliance check (one decision each)."""


class Verdict(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    verdict: Verdict
    message: str

    def to_json(self) -> dict[str, str]:
        return {"check": self.name, "verdict": self.verdict.value, "message": self.message}


async def probe_switch(switch_id: str, url: EslUrl, timeout: float = SWITCH_TIMEOUT) -> Check:
    """Connect and authenticate to one switch, then hang up."""
    from dialer.esl.connection import EslConnection
    from dialer.esl.errors import EslError

    try:
        connection = await EslConnection.open(url, timeout=timeout)
    except EslError as error:
        return Check(f"switch {switch_id}", Verdict.FAIL,
                     f"{short_error(str(error))} ({error})")
    await connection.close()
    return Check(f"switch {switch_id}", Verdict.OK, "connected and authenticated")


def _campaign_checks(store: CampaignStore, campaign: str) -> tuple[list[Check], Any]:
    """The state, settings, caller ID, compliance and pacing rows; with stored settings that
    no longer validate, the state and a settings row naming each and its repair (settings
    None: the checks that read them are left out)."""
    row = store.campaign(campaign)
    checks = [_state_check(row, stored_state(store, campaign).words)]
    try:
        settings = stored_settings(row)
    except StoredSettingsError as error:
        return [*checks, Check("settings", Verdict.FAIL, str(error))], (row, None)
    if stored := stored_setting_problems(row.name, settings):
        checks.append(Check("settings", Verdict.FAIL, "; ".join(stored)))
    checks.append(Check("caller ID", Verdict.OK, ", ".join(settings.caller_ids))
                  if settings.caller_ids else
                  Check("caller ID", Verdict.FAIL, missing_to_start(row.name, settings)[0]))
    declarations = dialing_problems(settings)
    checks.append(Check("compliance", Verdict.FAIL, "must still declare: "
                        + "; ".join(declarations) + f" (`dialer campaign edit {row.name} "
                        "--set compliance.KEY=VALUE`; docs/compliance.md)")
                  if declarations else
                  Check("compliance", Verdict.OK, f"declared ({settings.jurisdiction})"))
    try:
        build_pacing_policy(settings.pacing_policy, settings.pacing_params)
    except ValueError as error:
        checks.append(Check("pacing", Verdict.FAIL, f"{error} (fix it with `dialer campaign "
                                                    f"edit {row.name} --pacing NAME`)"))
    else:
        params = ", ".join(f"{k}={v}" for k, v in settings.pacing_params.items())
        # Whether the abandonment-limit guard holds it, for the policies it guards.
        guard = "" if settings.pacing_policy.strip().lower() not in GUARDED_POLICIES else \
            f"; limit guard {limit_guard_words(settings)}"
        checks.append(Check("pacing", Verdict.OK, f"{settings.pacing_policy} "
                                                  f"({params or 'default parameters'}){guard}"))
    return checks, (row, settings)


def _state_check(row: Any, words: str) -> Check:
    """``words``: the state with who set it and when (``stored_state``)."""
    if row.state == CampaignState.RUNNING:
        return Check("state", Verdict.OK, "running")
    if row.state == CampaignState.PAUSED:
        return Check("state", Verdict.WARN, f"{words}: `dialer campaign start {row.name}` to "
                                            "dial again")
    return Check("state", Verdict.FAIL, f"{words}: start it with `dialer campaign "
                                        f"start {row.name}`")


def _agent_check(store: CampaignStore, name: str, snapshot: dict[str, Any] | None) -> Check:
    agents = store.agents(name)
    if not agents:
        return Check("agents", Verdict.FAIL, f"no agents on the campaign: add them with "
                                             f"`dialer campaign edit {name} --agent "
                                             "NAME=ENDPOINT`")
    from dialer.freeswitch.dial_strings import endpoint_problem

    for agent in agents:
        # Stored before endpoints were checked (or written by hand): its leg never opens.
        problem = endpoint_problem(agent.endpoint)
        if problem is not None:
            return Check("agents", Verdict.FAIL, f"agent {agent.name!r}: {problem}; fix it "
                                                 f"with `dialer campaign edit {name} --agent "
                                                 f"{agent.name}=TYPE/DATA`")
    names = ", ".join(a.name for a in agents[:6]) + (" …" if len(agents) > 6 else "")
    if snapshot is None:
        return Check("agents", Verdict.OK, f"{len(agents)} on the campaign ({names}); log "
                                           "them in with `dialer run --login-agents`")
    problem = agents_problem(name, snapshot.get("agents_by_state") or {})
    logged = snapshot.get("agents_logged_in", 0)
    if problem:
        return Check("agents", Verdict.FAIL, f"{problem} ({len(agents)} on the campaign)")
    return Check("agents", Verdict.OK, f"{logged} of {len(agents)} logged in")


def _queue_checks(store: CampaignStore, data: Path, row: Any, settings: CampaignSettings,
                  at: datetime) -> list[Check]:
    """The campaign's inbound queues as its runner would build them (each one existing, its
    prompts, calendars and overflow targets), then whether any agent of the campaign can
    take each queue's calls: a queue nobody serves keeps its callers waiting until they give
    up, and nothing else says so before the first caller does."""
    if not settings.queues:
        return []
    from campaigns.queue_store import QueueError, QueueStore
    from dialer.prompt_files import load_prompts

    try:
        queue_set = QueueStore(store).queue_set(settings.queues,
                                                load_prompts([data / "prompts"]))
    except QueueError as error:
        return [Check("queues", Verdict.FAIL, f"{error} (`dialer run` refuses to start)")]
    agents = {a.name: a.skills or () for a in store.agents(row.id)}
    checks = []
    problems = queue_set.unstaffed(agents)
    for queue in queue_set:
        name = f"queue {queue.name}"
        if queue.name in problems:
            fix = (f"add one with `dialer campaign edit {row.name} --agent "
                   f"{min(queue.members)}=ENDPOINT`" if queue.members is not None and
                   not queue.members & agents.keys() else "give an agent the skills with "
                   f"`dialer campaign edit {row.name} --skills NAME="
                   f"{','.join(f'{k}:{v}' for k, v in queue.levels)}` (`dialer run` refuses "
                   "to start)")
            checks.append(Check(name, Verdict.FAIL, f"{problems[queue.name]}; {fix}"))
            continue
        serving = sorted(a for a, skills in agents.items()
                         if queue.serves(a, split_levels(frozenset(skills))[1]))
        hours = "open now" if queue.is_open(at.timestamp()) else "closed now (its hours)"
        checks.append(Check(name, Verdict.OK,
                            f"{counted(len(serving), 'agent')} can take its calls "
                            f"({', '.join(serving[:6])}); {hours}"))
    for queue in queue_set:
        checks.extend(_menu_checks(queue.config))
    return checks


def _menu_checks(config: Any) -> list[Check]:
    """A queue's settings as ``queue edit`` would now refuse or note them
    (``QueueConfig.problems``: its menus, times that never come): one stored before names
    its repair here; what saving refuses, a run refuses too (FAIL), the rest is a note."""
    from campaigns.queue_store import problem_line

    return [Check(f"queue {config.name} settings",
                  Verdict.FAIL if problem.refused else Verdict.WARN,
                  problem_line(config.name, problem).removeprefix(f"queue {config.name}: ")
                  + (" (`dialer run` refuses to start)" if problem.refused else
                     f" (with `dialer queue edit {config.name}`)"))
            for problem in config.problems()]


def _callback_check(store: CampaignStore) -> Check:
    """Queue callbacks nobody will call back (a retired queue's, or one no campaign that
    can run serves), whichever campaign is diagnosed: callers wait on them silently."""
    from campaigns.queue_backlog import unserved_callbacks

    unserved = unserved_callbacks(store)
    if not unserved:
        return Check("queue callbacks", Verdict.OK, "every pending queue callback is in a "
                                                    "queue a running or paused campaign serves")
    return Check("queue callbacks", Verdict.WARN, "; ".join(u.sentence() for u in unserved))


def _registry_checks(data: Path, settings: CampaignSettings, at: datetime) -> list[Check]:
    """The registry-freshness rules of the campaign's profiles (US national registry, UK
    TPS/CTPS), evaluated by the rules themselves on the registries loaded now: these refuse
    every dial, whatever the lead."""
    from campaigns.compliance import campaign_rules
    from dnc.registry.lookup import DncStore
    from dnc.rules.base import RuleContext
    from dnc.rules.federal import NationalFreshnessRule
    from dnc.rules.model import LeadFacts, Profile
    from dnc.rules.ofcom import TpsFreshnessRule
    from dnc.rules.zones import Placement

    rules = campaign_rules("doctor", settings)
    freshness = [(name, rule) for profile, name, rule in (
        (Profile.US_FEDERAL, "registry", NationalFreshnessRule()),
        (Profile.UK_OFCOM, "TPS", TpsFreshnessRule())) if profile in rules.profiles]
    if not freshness:
        return [Check("registry", Verdict.OK, "no registry freshness rule for "
                                              f"{settings.jurisdiction}")]
    store = DncStore(data / "dnc", internal=False)
    versions = tuple(store.versions())
    context = RuleContext(
        lead=LeadFacts(number_e164="+0"), campaign=rules,
        placement=Placement((), "", (), None, False, False), zones=(), hits=(),
        versions=versions, attempts=(), campaign_state=None)
    checks = []
    for name, rule in freshness:
        outcome = rule.evaluate(context, at)
        if outcome.passed:
            named = [v for v in versions if v.version in outcome.reason]
            size = f" ({counted(named[0].count, 'number')})" if named else ""
            checks.append(Check(name, Verdict.OK, outcome.reason + size))
        else:
            checks.append(Check(name, Verdict.FAIL, f"{outcome.rule_id}: {outcome.reason} "
                                                    "(every dial is refused)"))
    return checks


def _leads_check(store: CampaignStore, data: Path, row: Any, at: datetime) -> Check:
    """Leads callable now: by status, schedule and calling hours (``lead_availability``),
    then the next leads in dial order through the very check the dialer selects with
    (``claim_leads``'s schedule and compliance verdicts, read-only)."""
    from campaigns.hopper import preview_selection
    from dialer.runner.compliance import selection_check

    leads = lead_availability(store, row.id, at)
    reason = leads.reason()
    if reason is not None:
        finished = leads.total > 0 and leads.dialable == 0
        return Check("leads", Verdict.WARN if finished else Verdict.FAIL, reason)
    from dnc.errors import ComplianceError

    try:
        preview = preview_selection(store, row.id, at,
                                    selection_check(store, data, audit=False), DOCTOR_SAMPLE)
    except ComplianceError as error:
        # What the runner would stop on too (e.g. a malformed officer table): no lead is
        # callable while the rules cannot be read.
        return Check("leads", Verdict.FAIL, f"the compliance rules cannot be read: {error}")
    scope = (f"the next {preview.examined:,} in dial order" if preview.more else
             f"the {preview.examined:,} due")
    refused = sorted(preview.refused_by.items(), key=lambda item: -item[1])
    detail = "; ".join(f"{rule} {n:,} (e.g. {_clip(preview.examples[rule])})"
                       for rule, n in refused[:3])
    if refused[3:]:
        detail += f"; {len(refused) - 3} more rules"
    if preview.examined and not preview.allowed:
        return Check("leads", Verdict.FAIL,
                     f"{leads.callable_now:,} in calling hours, but none of {scope} passes "
                     f"the compliance check the dialer selects with: {detail}")
    count = f"at least {preview.allowed:,}" if preview.more else f"{preview.allowed:,}"
    message = (f"{count} callable now of {leads.total:,} ({leads.callable_now:,} in calling "
               f"hours; {preview.allowed:,} of {scope} pass the compliance check)")
    if refused:
        return Check("leads", Verdict.WARN, f"{message}; refused: {detail}")
    return Check("leads", Verdict.OK, message)


GATEWAY_SAMPLE = 2000
"""Dialable leads whose numbers the gateway check matches against the cost tables."""


def _gateway_checks(store: CampaignStore, switch_ids: list[str], row: Any) -> list[Check]:
    """The gateways of the switches checked, as ``dialer run`` loads them: one it would
    refuse, every one disabled (the router places no call: each lead is given back every
    15 minutes, and nothing said why), or cost tables that serve none of the leads'
    numbers. No gateway configured: calls go through ``dialer run --gateway``, no check."""
    from sqlmodel import select

    from campaigns.gateways import gateway_rates, gateways
    from campaigns.models import DIALABLE_STATUSES, Lead
    from dialer.runner.carriers import GatewayConfigError, gateway_spec

    rows = gateways(store, switch_ids)
    if not rows:
        return []
    tables = {}
    for gateway in rows:
        tables[gateway.id] = gateway_rates(store, gateway.id)
        try:
            gateway_spec(gateway, tables[gateway.id])
        except GatewayConfigError as error:
            return [Check("gateways", Verdict.FAIL, f"{error} on {gateway.switch}: `dialer run` "
                          f"refuses to start (repair it with `dialer gateway edit "
                          f"{gateway.name} --switch {gateway.switch}`)")]
    enabled = [g for g in rows if g.enabled]
    if not enabled:
        names = ", ".join(f"{g.name} ({g.switch})" for g in rows)
        return [Check("gateways", Verdict.FAIL, f"every gateway is disabled ({names}): no "
                      f"call can be placed; enable one with `dialer gateway edit "
                      f"{rows[0].name} --switch {rows[0].switch} --enable`")]
    summary = ", ".join(f"{g.name} ({g.channels} channels, {g.cps}/s)" for g in enabled)
    if any(not tables[g.id] for g in enabled):  # a gateway without a table serves all
        return [Check("gateways", Verdict.OK, summary)]
    prefixes = tuple({r.prefix.lstrip("+") for g in enabled for r in tables[g.id]})
    with store.read_session() as session:
        phones = list(session.exec(
            select(Lead.phone).where(Lead.campaign_id == row.id,
                                     Lead.status.in_(DIALABLE_STATUSES))  # type: ignore[attr-defined]
            .limit(GATEWAY_SAMPLE)))
    unserved = [p for p in phones if not p.lstrip("+").startswith(prefixes)]
    if phones and len(unserved) == len(phones):
        return [Check("gateways", Verdict.FAIL, f"no enabled gateway's cost table serves the "
                      f"leads' numbers (e.g. {unserved[0]}; prefixes served: "
                      f"{', '.join(sorted(prefixes)[:8])}): no call can be placed; add the "
                      "prefix to a cost table (`dialer gateway edit NAME --rates FILE`)")]
    if unserved:
        return [Check("gateways", Verdict.WARN, f"{summary}; {len(unserved):,} of "
                      f"{len(phones):,} dialable leads checked have a number no enabled "
                      f"gateway serves (e.g. {unserved[0]}): they are never dialed")]
    return [Check("gateways", Verdict.OK, summary)]


def _stored_zone_check(store: CampaignStore, row: Any) -> Check:
    """Leads stored with a zone an import now refuses (``EST``, ``Etc/GMT+5``, ``UTC``...,
    ``campaigns.stored_zones``): the calling-hours rules still hold, the campaign's schedule
    reads that zone alone. One GROUP BY on the zone column, then one check per distinct zone."""
    from campaigns.stored_zones import stored_zone_report

    report = stored_zone_report(store, row.id)
    if report is None:
        return Check("lead zones", Verdict.OK, "every stored lead zone is a place's zone")
    return Check("lead zones", Verdict.WARN, report.line())


def _clip(text: str, size: int = 240) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


def diagnose_campaign(store: CampaignStore, campaign: str, data: Path,
                      switches: tuple[tuple[str, EslUrl], ...],
                      at: datetime | None = None,
                      instance: str | None = None) -> list[Check]:
    """Every check, in the order an operator fixes them. ``instance`` names the process
    to ask (``dialer run --instance``), as every other command that talks to a run does."""
    at = at or datetime.now(UTC)
    checks, (row, settings) = _campaign_checks(store, campaign)
    snapshot = running_snapshot(data, row.name, instance)
    if snapshot is not None:
        status = snapshot.get("status") or {}
        named = f" ({instance})" if instance else ""
        checks.insert(1, Check("process", Verdict.OK if not status.get("blockers") else
                               Verdict.WARN, f"a dialer process{named} is running it: "
                               f"{status.get('activity', '?')}"))
    checks.append(_agent_check(store, row.name, snapshot))
    if settings is not None:
        checks.extend(_queue_checks(store, data, row, settings, at))
    checks.append(_callback_check(store))

    async def probe_all() -> list[Check]:
        return list(await asyncio.gather(*(probe_switch(sid, url) for sid, url in switches)))

    checks += asyncio.run(probe_all())
    checks.extend(_gateway_checks(store, [sid for sid, _ in switches], row))
    if settings is None:
        checks.append(Check("leads", Verdict.WARN, "not checked: the schedule, calling hours, "
                            "queues and registries are read from the settings, repair them "
                            "first (settings, above)"))
        return checks
    checks.append(_leads_check(store, data, row, at))
    checks.append(_stored_zone_check(store, row))
    checks.extend(_name_checks(store, row))
    checks.extend(_registry_checks(data, settings, at))
    return checks


def _name_checks(store: CampaignStore, row: Any) -> list[Check]:
    """A campaign whose name another differs from only in case (stored before such names
    were refused): a warning with the repair (``campaigns.campaign_names``)."""
    from campaigns.campaign_names import alike_groups, alike_warning

    return [Check("name", Verdict.WARN, alike_warning(names))
            for names in alike_groups(store) if row.name in names]
