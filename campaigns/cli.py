"""``dialer db``, ``dialer campaign``, ``dialer leads`` and ``dialer report``.

Thin commands: parse, call ``campaigns``, render with rich (or one JSON document with
``--json``). Heavy modules are imported inside the commands so ``dialer --help`` is fast.
The database is ``--db URL``, else ``$DIALER_DB``, else ``sqlite:///<data>/dialer.db``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from campaigns.cli_common import (
    DbOption,
    JsonOption,
    database_url,
    emit,
    make_console,
    now,
    open_store,
)

if TYPE_CHECKING:
    from campaigns.store import CampaignStore

SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="Any setting as KEY=VALUE (VALUE is JSON when it parses, e.g. "
    "retry_rules='{\"busy\":{\"delay_minutes\":10}}'); a dotted KEY sets one field of a "
    "section, e.g. compliance.seller_name='Acme Solar'. Repeatable.")]

db_app = typer.Typer(help="The campaign database (schema migrations).", no_args_is_help=True)
campaign_app = typer.Typer(help="Create, inspect, edit and start/stop campaigns.",
                           no_args_is_help=True)


def _parse_sets(pairs: list[str] | None) -> dict[str, Any]:
    from campaigns.errors import CampaignError

    changes: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise CampaignError(f"--set {pair!r}: write KEY=VALUE")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        # A dotted key sets one field of a section: compliance.safe_harbor.names_seller=true
        *path, last = key.strip().split(".")
        section = changes
        for part in path:
            section = section.setdefault(part, {})
            if not isinstance(section, dict):
                raise CampaignError(f"--set {pair!r}: {part} is not a section")
        section[last] = value
    return changes


def _settings_from_flags(caller_id: list[str] | None, ring_timeout: float | None,
                         abandon_target: float | None, pacing: str | None,
                         jurisdiction: str | None, amd: bool | None, recording: bool | None,
                         sets: list[str] | None) -> dict[str, Any]:
    changes = {key: value for key, value in {
        "caller_ids": caller_id or None, "ring_timeout": ring_timeout,
        "abandon_target": abandon_target, "pacing_policy": pacing,
        "jurisdiction": jurisdiction, "amd_enabled": amd, "recording_enabled": recording,
    }.items() if value is not None}
    changes.update(_parse_sets(sets))
    return changes


def _campaign_doc(store: CampaignStore, name: str | int) -> dict[str, Any]:
    from campaigns.settings import CampaignSettings
    from campaigns.store import missing_to_start

    campaign = store.campaign(name)
    return {
        "id": campaign.id, "name": campaign.name, "state": campaign.state,
        "created_at": campaign.created_at, "updated_at": campaign.updated_at,
        "settings": campaign.settings,
        "agents": [{"name": a.name, "endpoint": a.endpoint} for a in store.agents(campaign.id)],
        "leads": store.lead_status_counts(campaign.id),
        "lists": [{"id": x.id, "name": x.name, "imported": x.imported_rows,
                   "rejected": x.rejected_rows} for x in store.lead_lists(campaign.id)],
        "cannot_start": missing_to_start(campaign.name, CampaignSettings.model_validate(
            campaign.settings)),
    }


def _show_campaign(doc: dict[str, Any]) -> None:
    from rich.table import Table

    console = make_console()
    console.print(f"[bold]{doc['name']}[/] (id {doc['id']}) — state [bold]{doc['state']}[/]")
    table = Table("setting", "value", show_header=True)
    for key, value in doc["settings"].items():
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    console.print(table)
    agents = ", ".join(f"{a['name']} ({a['endpoint']})" for a in doc["agents"]) or "none"
    console.print(f"agents: {agents}")
    leads = ", ".join(f"{k} {v:,}" for k, v in sorted(doc["leads"].items())) or "none"
    console.print(f"leads: {leads}")
    for problem in doc["cannot_start"]:
        console.print(f"[yellow]cannot start yet:[/] {problem}", highlight=False)


# -- db ----------------------------------------------------------------------------------

@db_app.command("upgrade")
def db_upgrade(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Create the database or bring its schema to the newest version (Alembic)."""
    from campaigns import db as database

    url = database_url(db)
    engine = database.open_engine(url)
    before = database.current_revision(engine)
    after = database.upgrade(engine)
    engine.dispose()
    if as_json:
        emit({"url": url, "from": before, "to": after})
    else:
        make_console().print(f"{url}: schema {before or 'empty'} → [bold]{after}[/]")


# -- campaign ----------------------------------------------------------------------------

@campaign_app.command("create")
def campaign_create(
    name: Annotated[str, typer.Argument(help="Campaign name.")],
    caller_id: Annotated[list[str] | None, typer.Option(
        "--caller-id", help="E.164 caller ID (repeatable).")] = None,
    ring_timeout: Annotated[float | None, typer.Option(help="Seconds, at least 15.")] = None,
    abandon_target: Annotated[float | None, typer.Option(help="Fraction, at most 0.03.")]
    = None,
    pacing: Annotated[str | None, typer.Option(help="Pacing policy name.")] = None,
    jurisdiction: Annotated[str | None, typer.Option(
        help="Compliance profiles: us, us_federal, us_state, reg_f, uk.")] = None,
    amd: Annotated[bool | None, typer.Option("--amd/--no-amd", help="Answering-machine "
                                             "detection.")] = None,
    recording: Annotated[bool | None, typer.Option("--recording/--no-recording")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT, e.g. ann=user/1001 (repeatable).")] = None,
    sets: SetOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a campaign (state draft)."""
    from campaigns.errors import CampaignError

    agents = []
    for item in agent or []:
        agent_name, sep, endpoint = item.partition("=")
        if not sep:
            raise CampaignError(f"--agent {item!r}: write NAME=ENDPOINT")
        agents.append((agent_name, endpoint))
    store = open_store(db)
    settings = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                    jurisdiction, amd, recording, sets)
    store.create_campaign(name, settings, at=now(), agents=agents)
    doc = _campaign_doc(store, name)
    emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("list")
def campaign_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """List campaigns with their state and lead counts."""
    from rich.table import Table

    store = open_store(db)
    rows = [{"id": c.id, "name": c.name, "state": c.state,
             "leads": sum(store.lead_status_counts(c.id).values()),
             "updated_at": c.updated_at} for c in store.campaigns()]
    if as_json:
        emit(rows)
        return
    table = Table("id", "name", "state", "leads", "updated (UTC)")
    for row in rows:
        table.add_row(str(row["id"]), row["name"], row["state"], f"{row['leads']:,}",
                      f"{row['updated_at']:%Y-%m-%d %H:%M}" if row["updated_at"] else "")
    make_console().print(table)


@campaign_app.command("show")
def campaign_show(name: str, db: DbOption = None, as_json: JsonOption = False) -> None:
    """Settings, agents and lead counts of one campaign."""
    doc = _campaign_doc(open_store(db), name)
    emit(doc) if as_json else _show_campaign(doc)


@campaign_app.command("edit")
def campaign_edit(
    name: str,
    caller_id: Annotated[list[str] | None, typer.Option("--caller-id")] = None,
    ring_timeout: Annotated[float | None, typer.Option()] = None,
    abandon_target: Annotated[float | None, typer.Option()] = None,
    pacing: Annotated[str | None, typer.Option()] = None,
    jurisdiction: Annotated[str | None, typer.Option()] = None,
    amd: Annotated[bool | None, typer.Option("--amd/--no-amd")] = None,
    recording: Annotated[bool | None, typer.Option("--recording/--no-recording")] = None,
    agent: Annotated[list[str] | None, typer.Option(
        "--agent", help="NAME=ENDPOINT to add or update (repeatable).")] = None,
    sets: SetOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change settings (validated; the campaign keeps the others)."""
    store = open_store(db)
    changes = _settings_from_flags(caller_id, ring_timeout, abandon_target, pacing,
                                   jurisdiction, amd, recording, sets)
    if changes:
        store.edit_campaign(name, changes, at=now())
    for item in agent or []:
        agent_name, _, endpoint = item.partition("=")
        store.add_agent(agent_name, endpoint, campaign=name)
    doc = _campaign_doc(store, name)
    emit(doc) if as_json else _show_campaign(doc)


def _transition_command(target: str, verb: str) -> None:
    def command(name: str, db: DbOption = None, as_json: JsonOption = False) -> None:
        campaign = open_store(db).transition_campaign(name, target, at=now())
        if as_json:
            emit({"name": campaign.name, "state": campaign.state})
        else:
            make_console().print(f"campaign {campaign.name}: [bold]{campaign.state}[/]")

    command.__doc__ = f"{verb.capitalize()} a campaign (state {target})."
    campaign_app.command(verb)(command)


for _target, _verb in (("running", "start"), ("paused", "pause"), ("stopped", "stop"),
                       ("archived", "archive")):
    _transition_command(_target, _verb)


def register(app: typer.Typer) -> None:
    """Add this package's commands and sub-apps to the root ``dialer`` app."""
    app.add_typer(db_app, name="db")
    app.add_typer(campaign_app, name="campaign")
    from campaigns import cli_leads, cli_report

    app.add_typer(cli_leads.leads_app, name="leads")
    app.command("report")(cli_report.report)
