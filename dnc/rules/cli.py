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
    from dnc.interfaces import AttemptHistory, DncLookup
    from dnc.rules.model import Decision

compliance_app = typer.Typer(help="Compliance rules: explain decisions, rule tables, audit.",
                             no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident log of every dial decision.",
                        no_args_is_help=True)
compliance_app.add_typer(audit_app, name="audit")

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def register(app: typer.Typer) -> None:
    """Add the ``compliance`` sub-app to the root ``dialer`` app."""
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


def open_registries(dnc_dir: Path) -> tuple[DncLookup, str]:
    """The registry store's ``DncLookup`` (built by the registry engineer), if available."""
    try:
        from dnc import registry  # type: ignore[attr-defined]
    except ImportError:
        return _NoRegistries(), "registry store not installed: no registry consulted"
    for name in ("open_lookup", "open_registries", "open_store"):
        opener = getattr(registry, name, None)
        if callable(opener):
            return opener(dnc_dir), f"registries from {dnc_dir}"
    return _NoRegistries(), "registry store has no opener: no registry consulted"


def _consent(text: str):
    from dnc.rules.model import ConsentKind, ConsentRecord
    parts = text.split(",")
    try:
        kind = ConsentKind(parts[0])
    except ValueError as error:
        kinds = ", ".join(k.value for k in ConsentKind)
        raise ComplianceError(f"--consent {text!r}: kind must be one of {kinds}") from error
    if len(parts) < 2:
        raise ComplianceError(f"--consent {text!r}: expected KIND,GIVEN_AT[,EXPIRES_AT]")
    given = parse_time(parts[1], "--consent")
    expires = parse_time(parts[2], "--consent") if len(parts) > 2 and parts[2] else None
    return ConsentRecord(kind, given, expires_at=expires, source="command line")


@compliance_app.command("explain")
def explain(
    number: Annotated[str, typer.Argument(help="E.164 number, e.g. +12015550123.")],
    at: Annotated[str | None, typer.Option(help="ISO time (default now; no offset = UTC).")]
    = None,
    campaign: Annotated[str | None, typer.Option(
        help="Load rules and lead facts from the campaign store.")] = None,
    profile: Annotated[str | None, typer.Option(
        help="Profiles, comma-separated: us_federal,us_state,reg_f,uk_ofcom.")] = None,
    state: Annotated[str | None, typer.Option(help="US state of the called party.")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA time zone of the called party.")] = None,
    postal_code: Annotated[str | None, typer.Option(help="US ZIP code.")] = None,
    consent: Annotated[list[str] | None, typer.Option(
        help="KIND,GIVEN_AT[,EXPIRES_AT]; repeatable.")] = None,
    ebr_transaction: Annotated[str | None, typer.Option(help="Last purchase (ISO).")] = None,
    ebr_inquiry: Annotated[str | None, typer.Option(help="Last inquiry (ISO).")] = None,
    wireless: Annotated[bool | None, typer.Option(
        "--wireless/--not-wireless", help="The number is (not) a wireless line (default: "
        "unknown).", show_default=False)] = None,
    debt_id: Annotated[str | None, typer.Option(help="Debt (Regulation F).")] = None,
    subject: Annotated[str | None, typer.Option(help="Call subject (same-subject limits).")]
    = None,
    prerecorded: Annotated[bool, typer.Option(help="Campaign plays a recording.")] = False,
    manual: Annotated[bool, typer.Option(help="Not autodialed.")] = False,
    informational: Annotated[bool, typer.Option(help="Not telemarketing.")] = False,
    no_caller_id: Annotated[bool, typer.Option(
        "--without-caller-id", help="The call presents no caller ID.")] = False,
    agent_guaranteed: Annotated[bool, typer.Option(help="Ofcom: agent guaranteed.")] = False,
    abandon_rate: Annotated[float | None, typer.Option(help="Campaign 24 h abandon rate.")]
    = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--rules-dir", help="Directory of rule tables (default: the built-in ones).")] = None,
    dnc_dir: Annotated[Path | None, typer.Option(help="Registry store (default <home>/dnc).")]
    = None,
    db: Annotated[str | None, typer.Option(help="Campaign database URL (default: "
                                           "DIALER_DB, else sqlite:///<home>/dialer.db).")]
    = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Explain every rule for one number at one time: pass/fail, reason, citation, earliest."""
    from dnc.rules.engine import ComplianceEngine
    from dnc.rules.model import CampaignRules, CampaignState, LeadFacts, Profile
    from dnc.rules.tables import RuleTables

    moment = parse_time(at, "--at") if at else datetime.now(UTC)
    registries, registry_note = open_registries(dnc_dir or data_home(home) / "dnc")
    history: AttemptHistory = _NoHistory()
    rules = CampaignRules(name=campaign or "(command line)")
    lead = LeadFacts(number_e164=number)
    if campaign is not None:
        rules, lead, history = _from_campaign_store(db, campaign, number, home)
    overrides = {key: value for key, value in {
        "time_zone": tz, "state": state, "postal_code": postal_code, "debt_id": debt_id,
        "subject": subject, "wireless": wireless,
        "ebr_last_transaction": parse_time(ebr_transaction, "--ebr-transaction")
        if ebr_transaction else None,
        "ebr_last_inquiry": parse_time(ebr_inquiry, "--ebr-inquiry") if ebr_inquiry else None,
    }.items() if value is not None}
    if consent:
        overrides["consents"] = lead.consents + tuple(_consent(c) for c in consent)
    lead = replace(lead, **overrides)
    try:
        profiles = tuple(Profile(p.strip()) for p in profile.split(",") if p.strip()) \
            if profile else rules.profiles
    except ValueError as error:
        known = ", ".join(p.value for p in Profile)
        raise ComplianceError(f"--profile {profile!r}: known profiles are {known}") from error
    rules = replace(rules, profiles=profiles,
                    prerecorded=rules.prerecorded or prerecorded,
                    autodialed=rules.autodialed and not manual,
                    telemarketing=rules.telemarketing and not informational,
                    caller_id_present=rules.caller_id_present and not no_caller_id,
                    agent_guaranteed=rules.agent_guaranteed or agent_guaranteed)
    engine = ComplianceEngine(registries, history, RuleTables(data_dir))
    decision = engine.check(lead, rules, moment, CampaignState(abandon_rate_24h=abandon_rate))
    if as_json:
        typer.echo(json.dumps({**decision.to_json(), "registry_note": registry_note}))
        return
    _render_decision(decision, registry_note, engine.rules_for(rules))


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
        raise ComplianceError(f"campaign {campaign!r}: {error}") from error
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
        console.print(f"[dim]overlays of {', '.join(others)} do not apply (the called party "
                      "is not there)[/]")
    for note in decision.notes:
        console.print(f"[yellow]note:[/] {note}")


@compliance_app.command("rules")
def list_rules(
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    data_dir: Annotated[Path | None, typer.Option(
        "--rules-dir", help="Directory of rule tables (default: the built-in ones).")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the US state overlay table with its citations."""
    from dnc.rules.calendar import WeeklyWindow, describe_window
    from dnc.rules.tables import RuleTables

    tables = RuleTables(data_dir)
    rows = [r for r in tables.state_rules if state is None or r.state == state.upper()]
    records = [{
        "rule": row.rule_key, "state": row.state, "applies_to": row.applies_to,
        "hours": describe_window(WeeklyWindow(days=row.days)),
        "holidays": row.holiday_calendar,
        "limit": f"{row.max_calls} per {row.per.total_seconds() / 3600:g} h"
        + (" same subject" if row.same_subject else "") if row.max_calls and row.per else None,
        "citation": row.citation, "source": row.source, "reviewed": row.reviewed,
        "notes": row.notes} for row in rows]
    if as_json:
        typer.echo(json.dumps({"data_dir": str(tables.data_dir), "rows": records}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"State overlays ({tables.data_dir / 'state_rules.csv'})")
    for column in ("rule", "hours", "holidays", "limit", "citation", "notes"):
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(record["rule"], record["hours"], record["holidays"] or "-",
                      record["limit"] or "-", record["citation"], record["notes"])
    Console().print(table)


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

    report = AuditLog(audit_dir or data_home(home) / "audit").verify()
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

    if format not in ("csv", "json"):
        raise ComplianceError("--format must be csv or json")
    log = AuditLog(audit_dir or data_home(home) / "audit")
    entries = log.entries(number=number, campaign=campaign,
                          since=parse_time(since, "--since") if since else None,
                          until=parse_time(until, "--until") if until else None)
    with (open(out, "w", encoding="utf-8", newline="") if out
          else contextlib.nullcontext(sys.stdout)) as handle:
        if format == "csv":
            rows = export_csv(entries, handle)
        else:
            records = list(entries)
            json.dump({"entries": records}, handle)
            handle.write("\n")
            rows = len(records)
    if out:
        typer.echo(f"exported {rows} decisions to {out}", err=True)
