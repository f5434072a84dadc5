"""``dialer compliance ...``: explain a decision, list rules and profiles, verify/export the audit.

Thin commands: parse, call ``dnc.rules``, render with rich (``--json``: one JSON document).
This module is the wiring layer: it alone reads the environment and the clock, and it
imports ``campaigns`` lazily (inside ``explain --campaign``) so the rules core never does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dnc.errors import ComplianceError

if TYPE_CHECKING:
    from dnc.interfaces import AttemptHistory
    from dnc.rules.model import Decision

compliance_app = typer.Typer(help="Compliance rules: explain decisions, rule tables, audit.",
                             no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident log of every dial decision.",
                        no_args_is_help=True)
compliance_app.add_typer(audit_app, name="audit")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def register(app: typer.Typer) -> None:
    """Add the ``compliance`` sub-app to the root ``dialer`` app."""
    from dnc.rules import cli_facts, cli_records  # noqa: F401  (they add their commands)

    app.add_typer(compliance_app, name="compliance")


HomeOption = Annotated[Path | None, typer.Option(
    "--home", help="Data directory (default: $DIALER_HOME, $XDG_DATA_HOME/dialer, "
    "~/.local/share/dialer).")]


def data_home(home: Path | None = None) -> Path:
    """``--home``, else ``$DIALER_HOME``, else ``$XDG_DATA_HOME/dialer``, else
    ``~/.local/share/dialer``."""
    if home is not None:
        return home
    if os.environ.get("DIALER_HOME"):
        return Path(os.environ["DIALER_HOME"])
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "dialer"
    return Path.home() / ".local" / "share" / "dialer"


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601; a time without an offset is UTC (the project's storage convention)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as error:
        raise ComplianceError(f"{option}: {text!r} is not an ISO 8601 time "
                              "(e.g. 2026-11-22T15:00Z)") from error
    if not 1970 <= moment.year <= 2199:  # year 1 or 9999 overflowed the rules' date sums
        raise ComplianceError(f"{option}: {text!r} is outside the years 1970-2199")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _NoRegistries:
    """Used when no registry store can be opened: nothing listed, nothing loaded."""

    def hits(self, number_e164: str) -> list:
        return []

    def versions(self) -> list:
        return []


class _NoHistory:
    def attempts(self, number_e164: str, since: datetime) -> list:
        return []


def _consent(text: str, number: str):
    from dnc.rules.model import ConsentKind, ConsentRecord
    parts = text.split(",")
    try:
        kind = ConsentKind(parts[0])
    except ValueError as error:
        kinds = ", ".join(k.value for k in ConsentKind)
        raise ComplianceError(f"--consent {text!r}: kind must be one of {kinds}") from error
    if len(parts) < 2:
        raise ComplianceError(f"--consent {text!r}: expected KIND,GIVEN_AT[,EXPIRES_AT"
                              "[,SELLER]]")
    given, dated, notes = _consent_dates(text, parts[1].strip(),
                                         parts[2].strip() if len(parts) > 2 else "")
    seller = ",".join(parts[3:]).strip() or None if len(parts) > 3 else None
    return ConsentRecord(kind, given, expires_at=dated, source="command line",
                         seller=seller, number=number), notes


def _consent_dates(text: str, given_text: str, expires_text: str
                   ) -> tuple[datetime, datetime | None, tuple[str, ...]]:
    """A ``--consent``'s grant and expiry read as the rules read a stored consent
    (``dnc.rules.consent_instants``), with a note for each date that names no instant by
    itself. Before, an expiry without a zone was read as UTC: up to 14 hours later than the
    dial-time gate ends the same consent, so explain allowed calls the gate refuses."""
    from dnc.rules.consent_instants import ends_by, given_instant, zoneless

    notes: list[str] = []
    try:
        given, day = given_instant(given_text)
    except ValueError as error:
        raise ComplianceError(f"--consent {text!r}: given: {error}") from None
    if not 1970 <= given.year <= 2199:  # as parse_time: the rules' date sums stay in range
        raise ComplianceError(f"--consent {text!r}: {given_text!r} is outside the years "
                              "1970-2199")
    if day is not None:
        notes.append(f"consent given {given_text}: a date alone counts once that date has "
                     f"ended in every zone (UTC-12): from {given.isoformat()}")
    if not expires_text:
        return given, None, tuple(notes)
    try:
        expires = ends_by(expires_text)
        if expires is not None and not 1970 <= expires.year <= 2199:
            raise ValueError(expires_text)
    except (ValueError, OverflowError):
        raise ComplianceError(f"--consent {text!r}: expires: {expires_text!r} is not an ISO "
                              "8601 date or time (e.g. 2027-01-31 or 2027-01-31T17:00Z)"
                              ) from None
    if expires is not None and zoneless(expires_text):
        what = "a date alone" if len(expires_text) == 10 else "a time without a UTC offset"
        notes.append(f"consent expires {expires_text}: {what} ends it at the earliest instant "
                     f"it can mean in any zone (UTC+14): {expires.isoformat()}, as the "
                     "dial-time gate reads a stored expiry (not as UTC)")
    return given, expires, tuple(notes)


@compliance_app.command("explain")
def explain(
    number: Annotated[str, typer.Argument(help="E.164 number, e.g. +12015550123.")],
    at: Annotated[str | None, typer.Option(help="ISO time (default now; no offset = UTC). "
                                           "A past instant is judged with the registry "
                                           "versions and facts on record then.")] = None,
    campaign: Annotated[str | None, typer.Option(
        help="Load rules and lead facts from the campaign store.")] = None,
    profile: Annotated[str | None, typer.Option(
        help="Profiles, comma-separated: us_federal,us_state,reg_f,uk_ofcom.")] = None,
    state: Annotated[str | None, typer.Option(help="US state of the called party.")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone(s) of the called party "
                                           "(comma-separated candidates).")] = None,
    postal_code: Annotated[str | None, typer.Option(help="US ZIP code.")] = None,
    county: Annotated[str | None, typer.Option(help="County (area-limited bans).")] = None,
    consent: Annotated[list[str] | None, typer.Option(
        help="KIND,GIVEN_AT[,EXPIRES_AT[,SELLER]]; repeatable. The consent covers NUMBER. "
             "Dates read as the dial gate reads a stored consent: a date alone given counts "
             "from its end at UTC-12; an expiry without a UTC offset ends at its earliest "
             "instant (UTC+14); a given time without an offset is refused.")]
    = None,
    ebr_transaction: Annotated[str | None, typer.Option(help="Last purchase (ISO).")] = None,
    ebr_inquiry: Annotated[str | None, typer.Option(help="Last inquiry (ISO).")] = None,
    line_type: Annotated[str | None, typer.Option(
        help="The lead's line type: wireless, landline, voip or unknown.")] = None,
    wireless: Annotated[bool | None, typer.Option(
        "--wireless/--not-wireless", help="Same as --line-type wireless/landline.")] = None,
    unknown_line_type: Annotated[str | None, typer.Option(
        help="How an unknown line type counts: wireless (default) or landline.")] = None,
    contact_id: Annotated[str | None, typer.Option(help="The person (per-person limits).")]
    = None,
    debt_id: Annotated[str | None, typer.Option(help="Debt (Regulation F).")] = None,
    subject: Annotated[str | None, typer.Option(help="Call subject (same-subject limits).")]
    = None,
    seller: Annotated[str | None, typer.Option(help="The campaign's seller (written consents "
                                               "must name it).")] = None,
    prerecorded: Annotated[bool, typer.Option(help="Campaign plays a recording.")] = False,
    manual: Annotated[bool, typer.Option(help="Not autodialed.")] = False,
    informational: Annotated[bool, typer.Option(help="Not telemarketing.")] = False,
    no_caller_id: Annotated[bool, typer.Option(
        "--without-caller-id", help="The call presents no caller ID.")] = False,
    agent_guaranteed: Annotated[bool, typer.Option(help="Ofcom: agent guaranteed.")] = False,
    ring_timeout: Annotated[float | None, typer.Option(metavar="SECONDS", min=0,
        help="How long the campaign's unanswered calls ring (its ring_timeout; default: the "
        "campaign's with --campaign, else not judged).")] = None,
    abandon_rate: Annotated[float | None, typer.Option(metavar="FRACTION",
        help="Campaign 24 h abandon rate, a fraction from 0 to 1 (0.012 for 1.2 %).")]
    = None,
    abandon_rate_today: Annotated[float | None, typer.Option(metavar="FRACTION",
        help="Campaign abandon rate since 00:00 UK time, a fraction from 0 to 1 (with "
        "--abandon-rate; without it the day's rate is unknown and a UK dial is "
        "refused).")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--rules-dir", help="Directory of rule tables (default: <home>/rules when it has a "
        "state_rules.csv, else the built-in ones; emergencies from <home>/rules).")] = None,
    dnc_dir: Annotated[Path | None, typer.Option(help="Registry store (default <home>/dnc).")]
    = None,
    db: Annotated[str | None, typer.Option(help="Campaign database URL (default: "
                                           "DIALER_DB, else sqlite:///<home>/dialer.db).")]
    = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Explain every rule for one number at one time: pass/fail, reason, citation, earliest."""
    from dnc.interfaces import LineType, contact_key
    from dnc.rules.engine import ComplianceEngine
    from dnc.rules.model import CampaignRules, CampaignState, LeadFacts, Profile
    from dnc.rules.tables import RuleTables, tables_for_data
    from dnc.rules.zone_names import zone_name_problem
    from dnc.rules.zones import e164_text

    number = e164_text(number)
    for name in tz.split(",") if tz else ():
        if (problem := zone_name_problem(name.strip())) is not None:
            raise ComplianceError(f"--tz: {problem}")  # EST: UTC-5 all year, not New York
    moment = parse_time(at, "--at") if at else datetime.now(UTC)
    registries, registry_note, facts, missing = open_registries_at(
        dnc_dir or data_home(home) / "dnc", moment)
    history: AttemptHistory = _NoHistory()
    rules = CampaignRules(name=campaign or "(command line)")
    lead = LeadFacts(number_e164=number)
    if campaign is not None:
        rules, lead, history = _from_campaign_store(db, campaign, number, home)
    kind = None
    if line_type is not None:
        try:
            kind = LineType(line_type.lower())
        except ValueError as error:
            raise ComplianceError(f"--line-type {line_type!r}: one of wireless, landline, "
                                  "voip, unknown") from error
    elif wireless is not None:
        kind = LineType.WIRELESS if wireless else LineType.LANDLINE
    overrides = {key: value for key, value in {
        "time_zone": tz, "state": state, "postal_code": postal_code, "debt_id": debt_id,
        "subject": subject, "line_type": kind, "contact_id": contact_key(contact_id),
        "county": county,
        "ebr_last_transaction": parse_time(ebr_transaction, "--ebr-transaction")
        if ebr_transaction else None,
        "ebr_last_inquiry": parse_time(ebr_inquiry, "--ebr-inquiry") if ebr_inquiry else None,
    }.items() if value is not None}
    consent_notes: tuple[str, ...] = ()
    if consent:
        read = [_consent(c, number) for c in consent]
        overrides["consents"] = lead.consents + tuple(record for record, _ in read)
        consent_notes = tuple(note for _, notes in read for note in notes)
    lead = replace(lead, **overrides)
    try:
        profiles = tuple(Profile(p.strip()) for p in profile.split(",") if p.strip()) \
            if profile else rules.profiles
    except ValueError as error:
        known = ", ".join(p.value for p in Profile)
        raise ComplianceError(f"--profile {profile!r}: known profiles are {known}") from error
    if unknown_line_type not in (None, "wireless", "landline"):
        raise ComplianceError("--unknown-line-type: wireless or landline")
    rules = replace(rules, profiles=profiles,
                    prerecorded=rules.prerecorded or prerecorded,
                    autodialed=rules.autodialed and not manual,
                    telemarketing=rules.telemarketing and not informational,
                    caller_id_present=rules.caller_id_present and not no_caller_id,
                    agent_guaranteed=rules.agent_guaranteed or agent_guaranteed,
                    seller=seller or rules.seller,
                    ring_timeout=rules.ring_timeout if ring_timeout is None else ring_timeout,
                    treat_unknown_line_type_as_wireless=(
                        rules.treat_unknown_line_type_as_wireless if unknown_line_type is None
                        else unknown_line_type == "wireless"))
    tables = RuleTables(data_dir) if data_dir else tables_for_data(data_home(home))
    engine = ComplianceEngine(registries, history, tables, facts=facts)
    # Without --abandon-rate there is no campaign measurement: the rate is the dial's to
    # judge (uk.abandon_rate says so), as for lead selection and doctor.
    for option, value in (("--abandon-rate", abandon_rate),
                          ("--abandon-rate-today", abandon_rate_today)):
        if value is not None and not 0.0 <= value <= 1.0:  # nan fails it too
            raise ComplianceError(f"{option}: {value:g} is not a rate between 0 and 1: "
                                  + (f"write {value / 100:g} for {value:g} %"
                                     if 1.0 < value <= 100.0 else "e.g. 0.012 for 1.2 %"))
    state = None
    if abandon_rate is not None or abandon_rate_today is not None:
        state = CampaignState(abandon_rate_24h=abandon_rate,
                              abandon_rate_today=abandon_rate_today)
    decision = engine.check(lead, rules, moment, state)
    decision = _unreproducible(decision, missing, registries)
    if consent_notes:
        decision = replace(decision, notes=(*decision.notes, *consent_notes))
    if as_json:
        typer.echo(json.dumps({**decision.to_json(), "registry_note": registry_note}))
        return
    _render_decision(decision, registry_note, engine.rules_for(rules))


def open_registries_at(dnc_dir: Path, at: datetime):
    """(registries as they were at ``at``, a note, the number facts, registries whose version
    then is no longer kept). With no store: nothing listed, nothing loaded."""
    from dnc.facts import FACTS_NAME, NumberFactsStore
    from dnc.interfaces import NoNumberFacts

    if not (dnc_dir / "registries").exists() and not (dnc_dir / "internal.db").exists():
        return _NoRegistries(), f"no registry store at {dnc_dir}: no registry consulted", \
            NoNumberFacts(), []
    from dnc.registry.lookup import DncStore, PointInTimeLookup

    lookup = PointInTimeLookup(DncStore(dnc_dir), at)
    facts = NumberFactsStore(dnc_dir / FACTS_NAME) if (dnc_dir / FACTS_NAME).exists() \
        else NoNumberFacts()
    note = "; ".join([f"registries from {dnc_dir} as of {at.isoformat()}", *lookup.notes])
    return lookup, note, facts, list(lookup.missing)


def _unreproducible(decision: Decision, missing: list[str], registries) -> Decision:
    """Refuse (fail closed) a decision about an instant whose registry versions are gone."""
    if not missing:
        return decision
    from dnc.rules.model import RuleOutcome

    outcome = RuleOutcome(
        "explain.registry_history", False,
        f"the version of {', '.join(missing)} current then is no longer kept: the decision "
        "cannot be reproduced (keep registry files, or export decisions from the audit log)",
        "the audit log holds the decision taken at the time", None)
    return replace(decision, allowed=False, outcomes=(*decision.outcomes, outcome),
                   earliest_allowed=None, notes=(*decision.notes, *getattr(
                       registries, "notes", ())))


def _from_campaign_store(db: str | None, campaign: str, number: str,
                         home: Path | None = None):
    """A campaign's rules, the lead's facts and the attempt history, from ``campaigns``."""
    try:
        from campaigns.compliance import StoreAttemptHistory, load_compliance_inputs
        from campaigns.store import CampaignStore
    except ImportError as error:
        raise ComplianceError("--campaign needs the campaigns package; give the options "
                              "(--profile, --state, --tz, ...) instead") from error
    url = db or os.environ.get("DIALER_DB") or f"sqlite:///{data_home(home) / 'dialer.db'}"
    store = CampaignStore.open_read_only(url)  # explaining changes nothing
    try:
        rules, lead = load_compliance_inputs(store, campaign, number)
    except Exception as error:  # the store's own errors name the missing campaign
        if isinstance(error, ComplianceError):
            raise
        said = str(error)  # a stored setting's refusal names the campaign already
        raise ComplianceError(said if said.startswith(f"campaign {campaign!r}") else
                              f"campaign {campaign!r}: {said}") from error
    return rules, lead, StoreAttemptHistory(store)


def _render_decision(decision: Decision, registry_note: str, rules) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    verdict = "[bold green]ALLOWED[/]" if decision.allowed else "[bold red]NOT ALLOWED[/]"
    console.print(f"{decision.number_e164} for campaign {decision.campaign} at "
                  f"{decision.at.isoformat()}: {verdict}")
    console.print(f"zones: {', '.join(decision.zones) or 'unknown'} ({decision.zone_source}); "
                  f"states: {', '.join(decision.states) or '-'}")
    if not decision.allowed:
        earliest = decision.earliest_allowed.isoformat() if decision.earliest_allowed else \
            ("never: unreachable" if decision.unreachable else "never / not foreseeable")
        console.print(f"earliest allowed: {earliest}")
    console.print(f"registries: {', '.join(decision.registry_versions) or registry_note}")
    if decision.line_type:
        console.print(f"line type: {decision.line_type} ({decision.line_type_source})")
    titles = {rule.rule_id: rule.title for rule in rules}
    # Three columns, so at 80 columns the reason and its citation (on the line below it)
    # wrap by word; a failing rule's earliest time goes with its reason.
    table = Table(show_lines=False)
    table.add_column("rule", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("reason and citation", ratio=1)
    for outcome in decision.outcomes:
        result = "[green]pass[/]" if outcome.passed else "[red]FAIL[/]"
        reason = escape(outcome.reason)
        if not outcome.passed:
            if outcome.rule_id in titles:
                reason += f" [dim]({escape(titles[outcome.rule_id])})[/]"
            reason += ("; earliest " + (outcome.earliest.isoformat() if outcome.earliest
                                        else "never"))
        if outcome.citation:
            reason += f"\n[dim]{escape(outcome.citation)}[/]"
        table.add_row(escape(outcome.rule_id), result, reason)
    console.print(table)
    others = sorted({getattr(r, "state", None) for r in rules} - {None, *decision.states})
    if others:
        console.print(f"[dim]overlays of {len(others)} other states do not apply (the called "
                      "party is not there)[/]")
    for note in decision.notes:
        console.print(f"[yellow]note:[/] {note}")


@compliance_app.command("rules")
def list_rules(
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    year: Annotated[int | None, typer.Option(min=1970, max=2199, help="List the banned "
                                             "dates of this year (default: this year).")
                    ] = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--rules-dir", help="Directory of rule tables (default: <home>/rules when it has a "
        "state_rules.csv, else the built-in ones).")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """The US state overlay rows with their citations (hours, holidays with this year's
    dates, attempt limits, consent rules, zones, effective dates) and declared emergencies."""
    from dnc.rules.calendar import WeeklyWindow, describe_window
    from dnc.rules.tables import RuleTables, tables_for_data

    tables = RuleTables(data_dir) if data_dir else tables_for_data(data_home(home))
    wanted = state.upper() if state else None
    if wanted is not None and wanted not in tables.state_zones:
        raise ComplianceError(f"--state {state!r}: not a US state or territory code")
    year = year or datetime.now(UTC).year
    rows = [r for r in tables.state_rules if wanted is None or r.state == wanted]
    records = []
    for row in rows:
        calendar = tables.holiday_calendars.get(row.holiday_calendar or "")
        area_holidays = [h for h in tables.holidays if h.calendar == row.holiday_calendar
                         and h.areas]
        records.append({
            "rule": row.rule_key, "state": row.state, "applies_to": row.applies_to,
            "hours": describe_window(WeeklyWindow(days=row.days)),
            "zones": list(tables.state_zones[row.state]) + list(row.also_in),
            "holidays": row.holiday_calendar,
            "holiday_dates": [{"date": d.isoformat(), "name": n}
                              for d, n in calendar.listing(year)] if calendar else [],
            "area_holidays": [{"name": h.name, "dates": [d.isoformat() for d in h.dates(year)],
                               "areas": list(h.areas)} for h in area_holidays],
            "limit": f"{row.max_calls} per {row.per.total_seconds() / 3600:g} h to a person"
            + (" on the same subject" if row.same_subject else "")
            if row.max_calls and row.per else None,
            "consent": row.consent or None,
            "effective": row.effective.isoformat() if row.effective else None,
            "citation": row.citation, "source": row.source, "reviewed": row.reviewed,
            "notes": row.notes})
    emergencies = [{"state": b.state, "name": b.name, "from": b.first.isoformat(),
                    "until": b.last.isoformat() if b.last else None, "areas": list(b.areas),
                    "calls": b.calls, "citation": b.citation}
                   for b in tables.area_bans.all() if wanted is None or b.state == wanted]
    if as_json:
        typer.echo(json.dumps({"data_dir": str(tables.data_dir), "year": year,
                               "rows": records, "emergencies": emergencies}))
        return
    from rich.console import Console

    console = Console()
    if not records:
        console.print(f"{wanted}: no state row: the federal rules alone apply "
                      "(08:00-21:00 in every candidate zone)")
    console.print(f"[dim]{tables.data_dir / 'state_rules.csv'}[/]")
    for record in records:
        consent = {"written": "prior express written consent (naming the seller and the number)"
                   " for autodialed or recorded calls", "express": "consent for recorded "
                   "messages", "banned": "these calls are not allowed"}.get(
                       record["consent"] or "")
        console.print(f"[bold]{record['rule']}[/] ({record['applies_to']} calls)")
        console.print(f"  hours:    {record['hours']} in {', '.join(record['zones'])} "
                      "(and the lead's own zones)")
        if record["holidays"]:
            dates = ", ".join(f"{h['date'][5:]} {h['name']}" for h in record["holiday_dates"])
            console.print(f"  holidays: calendar {record['holidays']}, {year}: {dates or '-'}")
        for area in record["area_holidays"]:
            console.print(f"            {area['name']} {', '.join(area['dates'])} only in "
                          f"{', '.join(area['areas'])}")
        if record["limit"]:
            console.print(f"  limit:    {record['limit']}")
        if consent:
            console.print(f"  consent:  {consent}")
        if record["effective"]:
            console.print(f"  in force: from {record['effective']}")
        console.print(f"  citation: {record['citation']}")
        console.print(f"  source:   {record['source']} (reviewed {record['reviewed']})"
                      + (f"; {record['notes']}" if record["notes"] else ""))
    for ban in emergencies:
        console.print(f"emergency: {ban['state']} {ban['name']} {ban['from']} to "
                      f"{ban['until'] or 'lifted'} ({', '.join(ban['areas']) or 'statewide'}; "
                      f"{ban['calls']} calls) {ban['citation']}")


@compliance_app.command("profiles")
def list_profiles(as_json: JsonOption = False) -> None:
    """The jurisdiction profiles a campaign can select, and what each enforces."""
    from dnc.rules.profiles import PROFILE_SUMMARIES

    if as_json:
        typer.echo(json.dumps({p.value: text for p, text in PROFILE_SUMMARIES.items()}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("profile")
    table.add_column("rules", overflow="fold")
    for profile, text in PROFILE_SUMMARIES.items():
        table.add_row(profile.value, text)
    Console().print(table)


AuditDir = Annotated[Path | None, typer.Option(help="Audit directory (default "
                                                 "<home>/audit).")]


@audit_app.command("verify")
def audit_verify(audit_dir: AuditDir = None, home: HomeOption = None,
                 as_json: JsonOption = False) -> None:
    """Check the hash chain (and anchors); exit 1 naming the first bad line if tampered."""
    from dnc.rules.audit import AuditLog
    from dnc.rules.audit_questions import check_audit_place

    directory = audit_dir or data_home(home) / "audit"
    check_audit_place(directory, data_home(home), audit_dir is not None)
    report = AuditLog(directory).verify()
    if as_json:
        typer.echo(json.dumps(report.to_json()))
    elif report.ok:
        typer.echo(f"ok: {report.entries} entries, {report.anchors_checked} anchors, "
                   f"head {report.head_hash}")
    else:
        typer.echo(f"TAMPERED: line {report.first_bad_line}: {report.problem} "
                   f"({report.entries} entries verified before it)", err=True)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("anchor")
def audit_anchor(audit_dir: AuditDir = None, home: HomeOption = None,
                 as_json: JsonOption = False) -> None:
    """Record the current head hash in anchors.jsonl (keep a copy elsewhere too)."""
    from dnc.rules.audit import AuditLog

    anchor = AuditLog(audit_dir or data_home(home) / "audit").anchor()
    if anchor is None:
        typer.echo(json.dumps({"anchored": False}) if as_json else
                   "nothing new since the last anchor (or an empty log): nothing anchored")
        return
    typer.echo(json.dumps(anchor) if as_json else
               f"anchored seq {anchor['seq']} hash {anchor['hash']}")


@audit_app.command("export")
def audit_export(
    audit_dir: AuditDir = None,
    number: Annotated[str | None, typer.Option(help="Only this E.164 number.")] = None,
    campaign: Annotated[str | None, typer.Option(help="Only this campaign.")] = None,
    since: Annotated[str | None, typer.Option(help="From this time (ISO, inclusive).")] = None,
    until: Annotated[str | None, typer.Option(help="Before this time (ISO).")] = None,
    format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    out: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write here instead of stdout.")] = None,
    home: HomeOption = None,
) -> None:
    """Export logged decisions for a compliance officer (CSV or one JSON document)."""
    from dnc.rules.audit import AuditLog, export_csv
    from dnc.rules.audit_questions import check_audit_place, check_campaign, check_number
    from dnc.whole_files import written_whole

    if format not in ("csv", "json"):
        raise ComplianceError("--format must be csv or json")
    if out is not None and not out.parent.is_dir():
        raise ComplianceError(f"--output {out}: no directory {out.parent} (create it first)")
    directory = audit_dir or data_home(home) / "audit"
    check_audit_place(directory, data_home(home), audit_dir is not None)
    log = AuditLog(directory)
    start = parse_time(since, "--since") if since else None
    end = parse_time(until, "--until") if until else None
    if start is not None and end is not None and end <= start:
        raise ComplianceError(f"--until {until} is not after --since {since}: no time between")
    records = list(log.entries(number=check_number(number) if number else None,
                               campaign=campaign, since=start, until=end))
    if campaign is not None and not records:
        check_campaign(campaign, {str(e.get("campaign")) for e in log.entries()})
    with (written_whole(out) if out else contextlib.nullcontext(None)) as partial, \
            (open(partial, "w", encoding="utf-8", newline="") if partial
             else contextlib.nullcontext(sys.stdout)) as handle:
        if format == "csv":
            rows = export_csv(iter(records), handle)
        else:
            json.dump({"entries": records}, handle)
            handle.write("\n")
            rows = len(records)
    if out:
        typer.echo(f"exported {rows} decisions to {out}", err=True)
