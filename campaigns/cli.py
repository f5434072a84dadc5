"""``dialer db``, ``dialer campaign``, ``dialer leads`` and ``dialer report``.

Thin commands: parse, call ``campaigns``, render with rich (or one JSON document with
``--json``). Heavy modules are imported inside the commands so ``dialer --help`` is fast.
The database is ``--db URL``, else ``$DIALER_DB``, else ``sqlite:///<home>/dialer.db``.
Commands that only read (``campaign list|show``, ``leads list|export``, ``report``) never
create or migrate the database: they ask for ``dialer db upgrade`` instead.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Annotated, Any

import typer

from campaigns.cli_common import (
    DbOption,
    HomeOption,
    JsonOption,
    data_home,
    database_url,
    emit,
    make_console,
    now,
    open_store,
    read_store,
)
from dialer.words import counted

if TYPE_CHECKING:
    from campaigns.cli_running import RunningDialers
    from campaigns.store import CampaignStore

NameArg = Annotated[str, typer.Argument(help="Campaign name (or id).")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Any setting as KEY=VALUE (VALUE is JSON when it parses, e.g. "
    "retry_rules='{\"busy\":{\"delay_minutes\":10}}'); a dotted KEY sets one field of a "
    "section, e.g. compliance.seller_name='Acme Solar'. Repeatable. Settings and their "
    "defaults: docs/campaigns.md.")]
CallerIdOption = Annotated[list[str] | None, typer.Option(
    "--caller-id", help="E.164 caller ID presented to called parties, e.g. +12015550123 "
    "(repeatable). No default: a campaign without one cannot start.")]
RingTimeoutOption = Annotated[float | None, typer.Option(metavar="SECONDS",
    help="Seconds a call rings before the dialer gives up; at least 15 (47 CFR "
    "64.1200(a)(6)). Default 25.")]
AbandonOption = Annotated[float | None, typer.Option(metavar="FRACTION",
    help="Abandonment rate to stay under, a fraction at most 0.03. Default 0.03.")]
PacingOption = Annotated[str | None, typer.Option(
    help="Pacing policy: preview, progressive, power, ratio, predictive or adaptive "
    "(parameters with --set pacing_params=...). Default predictive, which dials one line per free "
    "agent until it has learned the campaign.")]
JurisdictionOption = Annotated[str | None, typer.Option(
    help="Compliance profiles, comma-separated: us, us_federal, us_state, reg_f, uk. "
    "Default us.")]
AmdOption = Annotated[bool | None, typer.Option(
    "--amd/--no-amd", help="Answering-machine detection. Default off.",
    show_default=False)]
RecordingOption = Annotated[bool | None, typer.Option(
    "--recording/--no-recording", help="Record connected calls. Default off.",
    show_default=False)]

SellerOption = Annotated[str | None, typer.Option(
    "--seller", help="The seller the campaign calls for (written consents must name it; the "
    "abandoned-call message states it).")]
DncNumberOption = Annotated[str | None, typer.Option(
    "--dnc-number", help="A number that accepts do-not-call requests (E.164, not 900).")]
SafeHarborOption = Annotated[bool, typer.Option(
    "--safe-harbor-declared", help="Declare that the abandoned-call message states the call "
    "was for telemarketing purposes, the seller's name and the do-not-call number "
    "(47 CFR 64.1200(a)(7)(i)(B)), and nothing else: no marketing (Ofcom's information "
    "message).")]
TelemarketingOption = Annotated[bool | None, typer.Option(
    "--telemarketing/--not-telemarketing", help="Sales calls (default) or informational / "
    "debt collection.")]
PrerecordedOption = Annotated[bool | None, typer.Option(
    "--prerecorded/--not-prerecorded", help="The campaign plays recorded messages (a "
    "voicemail drop counts).")]
SubjectOption = Annotated[str | None, typer.Option(
    "--subject", help="Subject of the calls (same-subject limits).")]
UnknownLineOption = Annotated[str | None, typer.Option(
    "--unknown-line-type", help="How a number of unknown line type counts for autodialed "
    "calls: wireless (default) or landline.")]

db_app = typer.Typer(help="The campaign database (schema migrations).", no_args_is_help=True)
campaign_app = typer.Typer(help="Create, inspect, edit, start/stop and delete campaigns.",
                           no_args_is_help=True)


def _is_section(key: str) -> bool:
    """Whether a campaign's setting ``key`` is a section (``pacing_params``, ``schedule``,
    ``compliance.safe_harbor``): its value is a map of keys, never text."""
    import types
    import typing

    from pydantic import BaseModel

    from campaigns.settings import CampaignSettings

    model: Any = CampaignSettings
    for part in key.split("."):
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return False
        model = field.annotation
        union = typing.get_origin(model) in (typing.Union, types.UnionType)
        for arg in typing.get_args(model) if union else (model,):  # Optional[...]
            if (isinstance(arg, type) and issubclass(arg, BaseModel)) or \
                    typing.get_origin(arg) is dict or arg is dict:
                model = arg
                break
        else:
            return False
    return True


def _parse_sets(pairs: list[str] | None) -> dict[str, Any]:
    import re

    from campaigns.errors import CampaignError
    from dialer.config_numbers import from_flag, json_meant

    changes: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise CampaignError(f"--set {pair!r}: write KEY=VALUE")
        try:  # JSON when it parses, else the text; marked as typed here (config_numbers)
            value = from_flag(raw)
        except json.JSONDecodeError as error:  # meant as JSON: say where it broke
            meant = json_meant(raw)
            raise CampaignError(f"--set {key.strip()}: not valid JSON: {error.msg} at "
                                f"character {error.pos + 1} of {raw!r}"
                                + (f"; write {key.strip()}='{meant}'" if meant else "")
                                ) from None
        inner_key, inner_sep, inner_value = raw.partition("=")
        if inner_sep and re.fullmatch(r"[A-Za-z_]\w*", inner_key.strip()) \
                and _is_section(key.strip()):
            # --set pacing_params=margin_z=2: a section's key given as the section's value
            # (it was "Input should be a valid dictionary").
            raise CampaignError(
                f"--set {pair!r}: {inner_key.strip()}={inner_value.strip()} is a key of "
                f"{key.strip()}: write --set {key.strip()}.{inner_key.strip()}="
                f"{inner_value.strip()} (that key alone), or --set "
                f"{key.strip()}='{json_meant(raw) or '{...}'}' (the whole section)")
        # A dotted key sets one field of a section: compliance.safe_harbor.names_seller=true
        *path, last = key.strip().split(".")
        section = changes
        for part in path:
            section = section.setdefault(part, {})
            if not isinstance(section, dict):
                raise CampaignError(f"--set {pair!r}: {part} is not a section")
        section[last] = value
    return changes


FREE_MAPS = ("pacing_params", "caller_id_caps", "caller_id_attestation")


def _merge_dotted_free_maps(store: Any, name: str, sets: list[str] | None,
                            changes: dict[str, Any]) -> None:
    """``--set pacing_params.margin_z=1`` changes one key of the stored map; written whole
    (``--set 'pacing_params={...}'``) the map is replaced, so a key can be removed. The
    dotted form used to replace it too, dropping the other parameters without a word."""
    dotted = {pair.partition("=")[0].strip().split(".")[0] for pair in sets or []
              if "." in pair.partition("=")[0]}
    stored = None
    for key in FREE_MAPS:
        if key in dotted and isinstance(changes.get(key), dict):
            if stored is None:
                stored = store.campaign(name).settings
            current = stored.get(key)
            changes[key] = {**(current if isinstance(current, dict) else {}), **changes[key]}


LIVE_SETTINGS = ("schedule", "max_attempts_per_day", "claim_ttl_seconds", "jurisdiction",
                 "compliance")
"""What lead selection reads from the store at each claim (``campaigns.hopper``): an edit of
these applies to a running process at once; the rest it keeps as it started with them."""


def _note_running_campaign(store: Any, name: str, changes: dict[str, Any],
                           home: Any) -> None:
    """A running ``dialer run`` keeps the settings it started with (its engine, pacing and
    caller IDs are built once): an edit that lowered the abandonment target or the pacing
    looked applied while the process went on dialing as before. Say so on stderr."""
    from campaigns.cli_common import data_home
    from campaigns.cli_running import running

    kept = sorted(set(changes) - set(LIVE_SETTINGS))
    if not kept:
        return
    try:
        seen = running().sightings(store, home or data_home(), name, now=now())
    except Exception:  # advisory: the edit is saved; a socket path too long for AF_UNIX,
        return         # say, must not turn it into an error
    if not seen.found:
        return
    who = (f"running process ({', '.join(f'--instance {i}' for i in seen.sockets if i)})"
           if any(seen.sockets) else "running process" if seen.sockets
           else f"process {', '.join(seen.owners)}")
    make_console(stderr=True).print(
        f"note: campaign {name}'s {who} keeps {', '.join(kept)} as it started with them; "
        f"they apply at its next start (stop it and `dialer run {name}` again); lead "
        f"selection ({', '.join(LIVE_SETTINGS)}) follows the edit at once",
        highlight=False, soft_wrap=True)


def _parse_agents(items: list[str] | None) -> list[tuple[str, str]]:
    """``--agent NAME=ENDPOINT`` values; one without a name or an endpoint is refused (edit
    used to store ``zed`` with an empty endpoint, which no call can be bridged to)."""
    from campaigns.errors import CampaignError

    agents = []
    for item in items or []:
        agent_name, sep, endpoint = item.partition("=")
        if not sep or not agent_name.strip() or not endpoint.strip():
            raise CampaignError(f"--agent {item!r}: write NAME=ENDPOINT, e.g. ann=user/1001")
        earlier = next((e for n, e in agents if n == agent_name.strip()), None)
        if earlier is not None:
            # Was a database traceback (UNIQUE campaign_agent) after the campaign's checks.
            raise CampaignError(f"--agent {agent_name.strip()!r} is given twice ({earlier}, "
                                f"{endpoint.strip()}): an agent has one endpoint")
        agents.append((agent_name.strip(), endpoint.strip()))
    return agents


def _parse_skills(items: list[str] | None) -> dict[str, list[str]]:
    """``--skills NAME=SKILL[:LEVEL],...`` values (empty after ``=``: no skills), each skill
    checked as a queue's ``skills`` key is, so a queue and its agents spell them alike."""
    from campaigns.errors import CampaignError
    from dialer.engine.queue_config import parse_skill

    skills: dict[str, list[str]] = {}
    for item in items or []:
        agent_name, sep, text = item.partition("=")
        if not sep or not agent_name.strip():
            raise CampaignError(f"--skills {item!r}: write NAME=SKILL[:LEVEL],..., e.g. "
                                "ann=spanish:3,billing")
        written = [part.strip() for part in text.split(",") if part.strip()]
        for skill in written:
            try:
                parse_skill(skill)
            except ValueError as error:
                raise CampaignError(f"--skills {item!r}: {error}") from None
            if not re.fullmatch(r"[A-Za-z0-9_\-]+(:[0-9]+)?", skill):
                raise CampaignError(f"--skills {item!r}: skill {skill!r}: letters, digits, "
                                    "'_' or '-', then :LEVEL (1-10) if any")
        skills[agent_name.strip()] = written
    return skills


def _check_skill_agents(store: Any, campaign: str | None, skills: dict[str, list[str]],
                        agents: list[tuple[str, str]]) -> None:
    """Skills go to agents of this campaign (or added by this command), checked before
    anything is changed."""
    from campaigns.errors import CampaignError

    known = {a.name for a in store.agents(campaign)} if campaign else set()
    known |= {name for name, _ in agents}
    for agent_name in skills:
        if agent_name not in known:
            raise CampaignError(f"--skills: campaign {campaign or 'being created'} has no agent "
                                f"{agent_name!r}; add it with --agent {agent_name}=ENDPOINT")


def _refuse_queues_a_run_refuses(store: Any, names: list[str]) -> None:
    """A queue ``dialer run`` would refuse to serve (stored before a check this version
    makes, or with a setting nobody means: ``QueueConfig.problems`` refused) is refused
    here with its repair line: it was stored in the campaign's settings, and the campaign
    then never started."""
    from campaigns.errors import CampaignError
    from campaigns.queue_store import QueueError, QueueStore, refuse_unmeant

    queue_store = QueueStore(store)
    for name in names:
        try:
            refuse_unmeant([queue_store.get(name)])
        except QueueError as error:
            raise CampaignError(f"queues: `dialer run` refuses to serve queue {name}: "
                                f"{error}") from None


def _check_queues(store: Any, changes: dict[str, Any]) -> None:
    """The queue names a user types must exist (the settings model cannot see the store):
    the queues served, and those with a recording mode of their own (a misspelt one was
    stored and the queue meant recorded as the campaign does)."""
    queues = changes.get("queues")
    if isinstance(queues, list | tuple):
        store.check_queue_names([str(name) for name in queues])
        _refuse_queues_a_run_refuses(store, [str(name) for name in queues])
    recording = changes.get("recording")
    modes = recording.get("queues") if isinstance(recording, dict) else None
    if isinstance(modes, dict):
        store.check_queue_names([str(name) for name in modes], field="recording.queues")


def _check_seller_change(store: Any, name: str, changes: dict[str, Any],
                         confirmed: bool) -> str | None:
    """A new seller (``--seller``, ``--set compliance.seller_name=``) that imported
    consents do not name: refused unless ``--new-seller`` (``consent_sellers``)."""
    from campaigns.consent_sellers import refuse_seller_change
    from campaigns.stored_settings import stored_settings

    section = changes.get("compliance")
    new = section.get("seller_name") if isinstance(section, dict) else None
    if not isinstance(new, str):
        return None
    campaign = store.campaign(name)
    return refuse_seller_change(store, campaign.name, stored_settings(
        campaign).compliance.seller_name, new.strip(), confirmed)


def _compliance_flags(seller: str | None, dnc_number: str | None, safe_harbor: bool,
                      telemarketing: bool | None, prerecorded: bool | None,
                      subject: str | None, unknown_line_type: str | None) -> dict[str, Any]:
    """The ``compliance`` section fields the flags set (merged with ``--set compliance.*``)."""
    section = {key: value for key, value in {
        "seller_name": seller, "dnc_number": dnc_number, "telemarketing": telemarketing,
        "prerecorded": prerecorded, "subject": subject, "unknown_line_type": unknown_line_type,
    }.items() if value is not None}
    if safe_harbor:
        section["safe_harbor"] = {"states_telemarketing_purpose": True, "names_seller": True,
                                  "gives_dnc_number": True, "no_marketing_content": True}
    return section


def _settings_from_flags(caller_id: list[str] | None, ring_timeout: float | None,
                         abandon_target: float | None, pacing: str | None,
                         jurisdiction: str | None, amd: bool | None, recording: bool | None,
                         sets: list[str] | None,
                         compliance: dict[str, Any] | None = None) -> dict[str, Any]:
    changes = {key: value for key, value in {
        "caller_ids": caller_id or None, "ring_timeout": ring_timeout,
        "abandon_target": abandon_target, "pacing_policy": pacing,
        "jurisdiction": jurisdiction, "amd_enabled": amd, "recording_enabled": recording,
    }.items() if value is not None}
    if compliance:
        changes["compliance"] = dict(compliance)
    for key, value in _parse_sets(sets).items():
        if key == "compliance" and isinstance(value, dict) and "compliance" in changes:
            changes["compliance"].update(value)
        else:
            changes[key] = value
    return changes


def _campaign_doc(store: CampaignStore, name: str | int) -> dict[str, Any]:
    from campaigns.settings import limit_guard_words
    from campaigns.stored_settings import stored_settings

    campaign = store.campaign(name)
    return {
        "id": campaign.id, "name": campaign.name, "state": campaign.state,
        "created_at": campaign.created_at, "updated_at": campaign.updated_at,
        "settings": campaign.settings,
        "agents": [{"name": a.name, "endpoint": a.endpoint}
                   | ({"skills": list(a.skills)} if a.skills else {})
                   for a in store.agents(campaign.id)],
        "leads": store.lead_status_counts(campaign.id),
        "lists": [{"id": x.id, "name": x.name, "imported": x.imported_rows,
                   "rejected": x.rejected_rows, "active": x.active}
                  for x in store.lead_lists(campaign.id)],
        "cannot_start": _cannot_start(campaign.name, stored_settings(campaign)),
        "warnings": _warnings(campaign.name, stored_settings(campaign)),
        "limit_guard": limit_guard_words(stored_settings(campaign)),
    }


def _warnings(name: str, settings: Any) -> list[str]:
    """What the campaign holds that dials less than meant (it can start)."""
    from campaigns.store import region_warning

    return [line for line in (region_warning(name, settings),) if line]


def _cannot_start(name: str, settings: Any) -> list[str]:
    """What keeps the campaign from dialing: no caller ID, compliance not declared (each
    once: the declarations were said twice, a second time as 'it must still declare')."""
    from campaigns.store import missing_to_start

    return missing_to_start(name, settings)


def _setting_text(key: str, value: Any) -> str:
    """A setting as a person reads it (nested ones in short words, not JSON)."""
    if key == "schedule" and isinstance(value, dict):
        from campaigns.availability import describe_window
        from campaigns.settings import CallingWindow

        return describe_window(CallingWindow.model_validate(value)) + " (callee's local time)"
    if key == "retry_rules" and isinstance(value, dict):
        def rule_text(rule: dict[str, Any]) -> str:
            delay = rule.get("delay_minutes")
            when = "never" if delay is None else f"after {delay:g} min"
            most = rule.get("max_attempts")
            return f"{when}, at most {most} attempt{'' if most == 1 else 's'}"

        return "; ".join(f"{outcome} {rule_text(rule)}" for outcome, rule in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, str):
        return value or '""'
    return json.dumps(value)


def _show_campaign(doc: dict[str, Any]) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = make_console()
    console.print(f"[bold]{escape(doc['name'])}[/] (id {doc['id']}) — state "
                  f"[bold]{doc['state']}[/]")
    table = Table("setting", "value", show_header=True)
    for key, value in doc["settings"].items():
        table.add_row(key, escape(_setting_text(key, value)))
    console.print(table)
    agents = ", ".join(f"{a['name']} ({a['endpoint']}"
                       + (f"; {' '.join(a['skills'])}" if a.get("skills") else "") + ")"
                       for a in doc["agents"]) or "none"
    console.print(f"agents: {escape(agents)}")
    leads = ", ".join(f"{k} {v:,}" for k, v in sorted(doc["leads"].items())) or "none"
    console.print(f"leads: {leads}")
    if doc.get("limit_guard"):
        console.print(f"limit guard: {escape(doc['limit_guard'])}", highlight=False)
    for problem in doc["cannot_start"]:
        console.print(f"[yellow]cannot start yet:[/] {escape(problem)}", highlight=False)
    for warning in doc.get("warnings", ()):
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)


# -- db ----------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, home: HomeOption = None,
               as_json: JsonOption = False) -> None:
    """Create the database or bring its schema to the newest version (Alembic)."""
    from campaigns import db as database

    url = database_url(db, home=home)
    engine = database.open_engine(url)
    before = database.current_revision(engine)
    after = database.upgrade(engine)
    engine.dispose()
    if as_json:
        emit({"url": url, "from": before, "to": after})
    else:
        make_console().print(f"{url}: schema {before or 'empty'} → [bold]{after}[/]",
                             highlight=False)


# -- campaign ----------------------------------------------------------------------------

@campaign_app.command("create")
def campaign_create(
    name: Annotated[str, typer.Argument(help="Campaign name (1 to 120 characters).")],
    caller_id: CallerIdOption = None,
    ring_timeout: RingTimeoutOption = None,
    abandon_target: AbandonOption = None,
    pacing: PacingOption = None,
    jurisdiction: JurisdictionOption = None,
    amd: AmdOption = None,
    recording: RecordingOption = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT, e.g. ann=user/1001 (repeatable).")] = None,
    skills: Annotated[list[str] | None, typer.Option(
        "--skills", help="NAME=SKILL[:LEVEL],... an agent's skills, which route inbound "
        "work (a queue's skills; level 1-10, none is 1; empty after '=' clears). "
        "Repeatable.")] = None,
    seller: SellerOption = None,
    dnc_number: DncNumberOption = None,
    safe_harbor_declared: SafeHarborOption = False,
    telemarketing: TelemarketingOption = None,
    prerecorded: PrerecordedOption = None,
    subject: SubjectOption = None,
    unknown_line_type: UnknownLineOption = None,
    sets: SetOption = None,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign (state draft). Without --caller-id it is created, and says it
    cannot start until one is set."""
    agents = _parse_agents(agent)
    agent_skills = _parse_skills(skills)
    store = open_store(db, home)
    _check_skill_agents(store, None, agent_skills, agents)
    settings = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                    jurisdiction, amd, recording, sets, _compliance_flags(
                                        seller, dnc_number, safe_harbor_declared,
                                        telemarketing, prerecorded, subject, unknown_line_type))
    _check_queues(store, settings)
    store.create_campaign(name, settings, at=now(), agents=agents)
    for agent_name, written in agent_skills.items():
        store.set_agent_skills(agent_name, written)
    doc = _campaign_doc(store, name)
    emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("list")
def campaign_list(
    all_: Annotated[bool, typer.Option("--all", help="Include deleted campaigns.")] = False,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """List campaigns with their state and lead counts (reads only)."""
    from rich.table import Table

    store = read_store(db, home)
    rows = [{"id": c.id, "name": c.name, "state": c.state,
             "leads": sum(store.lead_status_counts(c.id).values()),
             "updated_at": c.updated_at} for c in store.campaigns(include_deleted=all_)]
    if as_json:
        emit(rows)
        return
    table = Table("id", "name", "state", "leads", "updated (UTC)")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["state"], f"{row['leads']:,}",
                      f"{row['updated_at']:%Y-%m-%d %H:%M}" if row["updated_at"] else "")
    make_console().print(table)
    _warn_alike_names(store)


def _warn_alike_names(store: Any) -> None:
    """Campaigns stored before whose names differ only in case: a warning with the repair
    on stderr (``campaigns.campaign_names``); the JSON list stays the list."""
    from campaigns.campaign_names import alike_groups, alike_warning

    for names in alike_groups(store):
        make_console(stderr=True).print(f"warning: {alike_warning(names)}", markup=False,
                                        highlight=False, soft_wrap=True)


@campaign_app.command("rename")
def campaign_rename(
    name: NameArg,
    new_name: Annotated[str, typer.Argument(help="The new name.")],
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Rename a campaign that is not running (e.g. one of two whose names differ only in
    case); its leads, records and agents stay with it."""
    from campaigns.campaign_names import rename_campaign

    store = open_store(db, home)
    old = store.campaign(name).name
    campaign = rename_campaign(store, name, new_name, at=now())
    if as_json:
        emit({"id": campaign.id, "name": campaign.name, "was": old})
    else:
        make_console().print(f"campaign {old} is now {campaign.name}", markup=False,
                             highlight=False)


@campaign_app.command("show")
def campaign_show(name: NameArg, db: DbOption = None, home: HomeOption = None,
                  as_json: JsonOption = False) -> None:
    """Settings, agents and lead counts of one campaign (reads only)."""
    doc = _campaign_doc(read_store(db, home), name)
    emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("edit")
def campaign_edit(
    name: NameArg,
    caller_id: CallerIdOption = None,
    ring_timeout: RingTimeoutOption = None,
    abandon_target: AbandonOption = None,
    pacing: PacingOption = None,
    jurisdiction: JurisdictionOption = None,
    amd: AmdOption = None,
    recording: RecordingOption = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT to add or update (repeatable).")] = None,
    skills: Annotated[list[str] | None, typer.Option(
        "--skills", help="NAME=SKILL[:LEVEL],... an agent's skills, which route inbound "
        "work (a queue's skills; level 1-10, none is 1; empty after '=' clears). "
        "Repeatable.")] = None,
    seller: SellerOption = None,
    dnc_number: DncNumberOption = None,
    safe_harbor_declared: SafeHarborOption = False,
    telemarketing: TelemarketingOption = None,
    prerecorded: PrerecordedOption = None,
    subject: SubjectOption = None,
    unknown_line_type: UnknownLineOption = None,
    sets: SetOption = None,
    new_seller: Annotated[bool, typer.Option(
        "--new-seller", help="With --seller: change the seller although consents imported "
        "for the one now name it (they stop counting; kept on record). Without it such a "
        "change is refused, saying how many.")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change settings (validated; the campaign keeps the others)."""
    agents = _parse_agents(agent)  # all checked before anything is changed
    agent_skills = _parse_skills(skills)
    store = open_store(db, home)
    _check_skill_agents(store, name, agent_skills, agents)
    changes = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                   jurisdiction, amd, recording, sets, _compliance_flags(
                                       seller, dnc_number, safe_harbor_declared, telemarketing,
                                       prerecorded, subject, unknown_line_type))
    if changes:
        _check_queues(store, changes)
        _merge_dotted_free_maps(store, name, sets, changes)
        note = _check_seller_change(store, name, changes, new_seller)
        store.edit_campaign(name, changes, at=now())
        if note:
            make_console(stderr=True).print(f"note: {note}", highlight=False, markup=False)
        _note_running_campaign(store, name, changes, home)
    for agent_name, endpoint in agents:
        store.add_agent(agent_name, endpoint, campaign=name)
    for agent_name, written in agent_skills.items():
        store.set_agent_skills(agent_name, written)
    doc = _campaign_doc(store, name)
    emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("delete")
def campaign_delete(
    name: NameArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking (required "
                                      "when not on a terminal).")] = False,
    db: DbOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete a campaign that is not running: its never-dialed leads, empty lists, agent
    assignments and pending callbacks go; call attempts, the leads they dialed, agent
    history and the compliance audit trail stay (records the law asks to keep)."""
    import sys

    from campaigns.errors import CampaignError
    from campaigns.removal import delete_campaign

    store = open_store(db, home)
    campaign = store.campaign(name)
    if not yes:
        if as_json or not sys.stdin.isatty():
            raise CampaignError(f"deleting campaign {campaign.name!r} needs --yes")
        if not typer.confirm(f"Delete campaign {campaign.name!r}?", default=False):
            make_console(stderr=True).print("nothing deleted")
            raise typer.Exit(1)
    removal = delete_campaign(store, campaign.id or 0, at=now())
    doc = {"name": campaign.name, "id": campaign.id, "state": "deleted",
           "leads_deleted": removal.deleted, "leads_kept": removal.retired,
           "lists_deleted": removal.lists_deleted, "attempts_kept": removal.attempts_kept,
           "callbacks_cancelled": removal.callbacks_cancelled}
    if as_json:
        emit(doc)
        return
    make_console().print(
        f"deleted campaign {campaign.name}: {counted(removal.deleted, 'lead')} never dialed "
        f"and {counted(removal.lists_deleted, 'list')} removed; "
        f"{counted(removal.attempts_kept, 'call attempt')} and the "
        f"{counted(removal.retired, 'lead')} they dialed kept as compliance records (the name "
        f"is free again; `dialer campaign list --all` shows it)", highlight=False)


def _transition_command(target: str, verb: str) -> None:
    def command(name: NameArg, db: DbOption = None, home: HomeOption = None,
                as_json: JsonOption = False) -> None:
        from campaigns.cli_running import running

        told = running()
        campaign = open_store(db, home).transition_campaign(name, target, at=now())
        # A process running it under this data directory reads the state now rather than
        # within STATE_LAG (any other process reads it at its next poll).
        told.tell_state(home or data_home(), campaign.name)
        if as_json:
            emit({"name": campaign.name, "state": campaign.state})
        else:
            make_console().print(f"campaign {campaign.name}: [bold]{campaign.state}[/]")

    command.__doc__ = f"{verb.capitalize()} a campaign (state {target})."
    campaign_app.command(verb)(command)


for _target, _verb in (("running", "start"), ("paused", "pause"), ("stopped", "stop"),
                       ("archived", "archive")):
    _transition_command(_target, _verb)


def register(app: typer.Typer, *, running: RunningDialers) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app; ``running``
    answers for the dialer processes running a campaign (``campaigns.cli_running``)."""
    from campaigns import cli_running

    cli_running.use(running)
    app.add_typer(db_app, name="db")
    app.add_typer(campaign_app, name="campaign")
    from campaigns import cli_leads, cli_queues, cli_report

    app.add_typer(cli_leads.leads_app, name="leads")
    app.command("report")(cli_report.report)
    cli_queues.register(app)
