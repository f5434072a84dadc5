"""``CampaignStore``: the service API over the campaign database.

Used by the CLI, the live runner (``dialer.runner``) and the compliance rules. Methods take
and return plain values, frozen dataclasses or detached SQLModel rows; every method is one
transaction. Times are timezone-aware UTC ``datetime``; nothing here reads a clock except
where a method's ``at`` argument defaults to "now" at the CLI edge.

Campaigns are named by name or id (``CampaignRef``). The attempt journal, the abandonment
ledger, agent state history, callbacks and reconciliation live in ``campaigns.journal``
and are exposed here as methods; the hopper lives in ``campaigns.hopper``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from campaigns import db
from campaigns.compliance_settings import (
    agent_guarantee_problem,
    dialing_problems,
    uk_window_problem,
)
from campaigns.errors import CampaignError
from campaigns.models import (
    Agent,
    CallAttempt,
    Campaign,
    CampaignAgent,
    Disposition,
    InboundQueue,
    Lead,
    LeadList,
)
from campaigns.settings import (
    CAMPAIGN_TRANSITIONS,
    CampaignSettings,
    CampaignState,
    PacingSettingsError,
    check_pacing,
    jurisdiction_problem,
    jurisdiction_region,
    milliseconds_hint,
    pacing_range_problems,
    range_problem,
    region_jurisdiction_problem,
    region_problem,
    settings_with_changes,
    unit_of,
)
from campaigns.stored_settings import StoredSettingsError, repair_line, stored_settings

CampaignRef = str | int


class CampaignNotFound(CampaignError):
    """No campaign has that name or id."""


class IllegalTransition(CampaignError):
    """A campaign state change the state machine does not allow."""


class StaleVersion(CampaignError):
    """The campaign's state (or pacing settings) changed since the version the caller
    saw: another tab, ``dialer web`` process or the command line. Nothing was written;
    ``state``, ``state_version`` and ``pacing_version`` are the stored ones now."""

    def __init__(self, message: str, *, state: str, state_version: int,
                 pacing_version: int) -> None:
        super().__init__(message)
        self.state = state
        self.state_version = state_version
        self.pacing_version = pacing_version


WRITE_TRIES = 5
"""Unconditional state or settings writes re-checked when another writer's conditional
UPDATE passed between this one's read and write."""
PACING_SETTINGS = ("pacing_policy", "pacing_params", "abandon_target", "lines_per_agent",
                   "max_lines")
"""The settings whose change bumps ``pacing_version`` (the console's pacing form)."""


def _stale(campaign: Campaign, what: str) -> StaleVersion:
    return StaleVersion(
        f"campaign {campaign.name!r}: its {what} changed since the version seen",
        state=str(campaign.state), state_version=campaign.state_version,
        pacing_version=campaign.pacing_version)


def _write(session: Session, campaign: Campaign, values: dict[str, Any], version: Any,
           read: int) -> bool:
    """Write ``values`` to the campaign row only while ``version`` is still ``read`` (the
    compare-and-set: on PostgreSQL a concurrent writer's UPDATE waits for this one's commit
    and then finds the version moved; SQLite's write transactions are serial). Commits and
    refreshes ``campaign`` when written."""
    done = session.execute(sa.update(Campaign).where(
        Campaign.id == campaign.id, version == read).values(**values))  # type: ignore[arg-type]
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        return False
    session.commit()
    session.refresh(campaign)
    return True


class SettingsError(CampaignError):
    """Campaign settings that fail validation (ring timeout, connect window, ...)."""


_LEGAL_HINTS = {
    "ring_timeout": " (47 CFR 64.1200(a)(6): ring at least 15 s before giving up)",
    "connect_window": " (47 CFR 64.1200(a)(7)(i): connect a live answer within 2 s)",
    "abandon_target": " (a fraction: write 0.03 for 3 %; 47 CFR 64.1200(a)(7)(i): at most "
                      "3 % over 30 days)",
}


def _settings_message(error: Any) -> str:
    """Pydantic's message, or for a list field given one value (``--set queues=sales``,
    ``caller_ids=+12015550100``) the form it takes: "Input should be a valid tuple" named
    neither. As the queue files' lists (``campaigns.queue_store``), a single value is not
    taken for a list of one."""
    if error["type"] in ("tuple_type", "list_type", "set_type", "frozen_set_type") and \
            isinstance(error["input"], str | int | float) and \
            not isinstance(error["input"], bool) and error["loc"]:
        key = ".".join(str(p) for p in error["loc"])
        written = json.dumps([error["input"]])
        what = (f"the text {error['input']!r}" if isinstance(error["input"], str)
                else f"the number {error['input']!r}")
        return f"a list is meant, got {what}: write {written} (with --set: '{key}={written}')"
    key = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        return _unknown_setting(error["loc"])
    if error["type"] == "int_parsing_size" and (problem := range_problem(key, error["input"])):
        return problem.partition(": ")[2]  # 1e20 "exceeded maximum size": name the range
    if error["type"] == "less_than_equal" and (ms := _milliseconds(key, error)) is not None:
        return f"{error['msg']} ({ms})"
    if error["type"] in ("float_parsing", "int_parsing") and isinstance(error["input"], str) \
            and (unit := unit_of(key)) and _WITH_UNIT.fullmatch(error["input"]):
        return (f"{error['input']!r}: the setting is in {unit}; write the number alone (a "
                "unit after it is not read)")
    from dialer.words import choice_meant

    return str(error["msg"]).removeprefix("Value error, ") + choice_meant(error)


def _unknown_setting(loc: tuple[Any, ...]) -> str:
    """An unknown key with the one meant (``pacing_parms``: "Extra inputs are not
    permitted" named neither the mistake nor the key)."""
    import difflib
    import typing

    model: Any = CampaignSettings
    for part in loc[:-1]:
        if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
            field = model.model_fields.get(str(part))
            model = field.annotation if field is not None else None
        elif typing.get_origin(model) in (dict, Mapping):
            model = typing.get_args(model)[1]  # ``part`` is a key (retry_rules.busy)
        args = [a for a in typing.get_args(model) if a is not type(None)]
        if typing.get_origin(model) is not None and len(args) == 1 and \
                typing.get_origin(model) not in (dict, Mapping):
            model = args[0]  # ``X | None``
    if not (isinstance(model, type) and issubclass(model, pydantic.BaseModel)):
        return "unknown setting"
    known = sorted(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.75)
    prefix = "".join(f"{part}." for part in loc[:-1])
    return (f"unknown setting; did you mean {prefix}{close[0]}?" if close else
            f"unknown setting; known: {', '.join(known)}")


_WITH_UNIT = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*[A-Za-z]+\.?\s*")
"""A number with a unit after it (``30s``, ``15 min``, ``2h``): "Input should be a valid
number" said neither what was wrong nor which unit the setting is in."""


def _milliseconds(key: str, error: Any) -> str | None:
    """A time in seconds over its model bound written in milliseconds
    (``settings.milliseconds_hint``, shared with the ranges)."""
    return milliseconds_hint(key, error.get("input"), (error.get("ctx") or {}).get("le"))


def _region_follows_jurisdiction(values: dict[str, Any],
                                 base: CampaignSettings | dict[str, Any] | None
                                 ) -> dict[str, Any]:
    """An edit of the jurisdiction alone takes the new one's region when the campaign's
    ``default_region`` is one its rules cannot call (us → uk: US → GB); a region they can
    call (a US campaign's CA, kept by reg_f) stays. A new campaign's follows it in the
    model (``CampaignSettings._region_follows_jurisdiction``)."""
    jurisdiction = values.get("jurisdiction")
    if base is None or "default_region" in values or not isinstance(jurisdiction, str):
        return values
    current = (base.get("default_region", "US") if isinstance(base, dict)
               else base.default_region)
    if isinstance(current, str) and region_problem(current) is None and \
            region_jurisdiction_problem(current, jurisdiction) is None:
        return values
    return {**values, "default_region": jurisdiction_region(jurisdiction)}


def validate_settings(values: dict[str, Any],
                      base: CampaignSettings | dict[str, Any] | None = None
                      ) -> CampaignSettings:
    """Validated settings; errors name every bad field with what is allowed. ``base`` is
    the campaign's settings an edit changes, or their stored form when they no longer
    validate (the edit that repairs them).

    The pacing policy and its parameters are checked here, when they are set (on create,
    and on an edit that touches them), not on every read: a stored campaign stays readable
    and editable whatever it holds, and ``dialer run`` checks the policy again at start.
    """
    values = _region_follows_jurisdiction(values, base)
    try:
        settings = (CampaignSettings.model_validate(values) if base is None
                    else settings_with_changes(base, values) if isinstance(base, dict)
                    else base.with_changes(**values))
    except pydantic.ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: {_settings_message(e)}"
            f"{_LEGAL_HINTS.get(str(e['loc'][0]) if e['loc'] else '', '')}"
            for e in error.errors()
        )
        raise SettingsError(f"invalid campaign settings: {problems}") from error
    # Like the pacing policy, checked when set, so a campaign stored before the check
    # stays readable and editable (an edit can repair it).
    for key, problem_of in (("jurisdiction", jurisdiction_problem),
                            ("default_region", region_problem)):
        if (base is None or key in values) and (problem := problem_of(getattr(settings, key))):
            raise SettingsError(f"invalid campaign settings: {key}: {problem}")
    if (base is None or {"jurisdiction", "default_region"} & set(values)) and (
            problem := region_jurisdiction_problem(settings.default_region,
                                                   settings.jurisdiction)):
        raise SettingsError(f"invalid campaign settings: default_region: {problem}")
    if problems := pacing_range_problems(settings, None if base is None else set(values)):
        raise SettingsError(f"invalid campaign settings: {problems[0]}")
    if (base is None or {"jurisdiction", "abandon_window_hours"} & set(values)) and (
            problem := uk_window_problem(settings)):
        raise SettingsError(f"invalid campaign settings: {problem}")
    if (base is None or {"compliance", "pacing_policy", "amd_enabled", "queues"}
            & set(values)) and (problem := agent_guarantee_problem(settings)):
        raise SettingsError(f"invalid campaign settings: {problem}")
    if base is None or {"pacing_policy", "pacing_params"} & set(values):
        try:
            canonical = check_pacing(settings.pacing_policy, settings.pacing_params)
        except PacingSettingsError as error:
            raise SettingsError(f"invalid campaign settings: {error}") from None
        if canonical != settings.pacing_policy:
            settings = settings.with_changes(pacing_policy=canonical)
    return settings


def stored_setting_problems(name: str, settings: CampaignSettings) -> list[str]:
    """Settings stored before their checks that the model still reads but no run may start
    with, one line each with its repair (empty: none)."""
    problems = [repair_line(name, problem.partition(":")[0], problem)
                for problem in pacing_range_problems(settings)]
    if problem := uk_window_problem(settings):
        problems.append(f"campaign {name!r}: {problem}; repair it with `dialer campaign edit "
                        f"{name} --set abandon_window_hours=24`")
    if problem := agent_guarantee_problem(settings):
        problems.append(f"campaign {name!r}: {problem}; or stop declaring it with `dialer "
                        f"campaign edit {name} --set compliance.agent_guaranteed=false`")
    return problems


def _names_alike(session: Session, name: str) -> str | None:
    """A campaign (not deleted) whose name differs from ``name`` only in case: 'Spring'
    beside 'spring' was created, and `dialer run spring` then worked the other one
    (first-hour eleventh pass)."""
    key = name.casefold()
    return next((row.name for row in session.exec(
        select(Campaign).where(Campaign.state != CampaignState.DELETED))
        if row.name.casefold() == key), None)


def _did_you_mean(session: Session, ref: CampaignRef) -> str:
    """'; did you mean 'spring'?' for a name written in another case or one letter off."""
    import difflib

    if isinstance(ref, int) or str(ref).isdigit():
        return ""
    names = [row.name for row in session.exec(
        select(Campaign).where(Campaign.state != CampaignState.DELETED))]
    typed = str(ref).strip()
    alike = sorted(n for n in names if n.casefold() == typed.casefold())
    if len(alike) > 1:  # stored before such pairs were refused (campaigns.campaign_names)
        return (f": it may be any of {', '.join(map(repr, alike))} (campaigns whose names "
                "differ only in case): give the exact name")
    close = alike or difflib.get_close_matches(typed, names, n=1, cutoff=0.75)
    return f"; did you mean {close[0]!r}?" if close else ""


def region_warning(name: str, settings: CampaignSettings) -> str | None:
    """A campaign stored (before the check) with a ``default_region`` its jurisdiction's
    rules cannot call: said by ``campaign show`` and ``dialer run``, not refused (its
    numbers stored with their country code still dial; it dials less, not more)."""
    problem = region_jurisdiction_problem(settings.default_region, settings.jurisdiction)
    if problem is None:
        return None
    home = jurisdiction_region(settings.jurisdiction)
    return (f"campaign {name!r}: default_region {problem.partition(': ')[0]}: lead files' "
            f"numbers written without a country code are read as "
            f"{settings.default_region.upper()} numbers and never dialed; repair it with "
            f"`dialer campaign edit {name} --set default_region={home}`")


def missing_to_start(name: str, settings: CampaignSettings) -> list[str]:
    """What a campaign lacks to start dialing, one sentence each (empty: nothing)."""
    missing = []
    if not settings.caller_ids:
        missing.append(
            f"campaign {name!r} has no caller ID: set the number called parties see and can "
            f"call back with `dialer campaign edit {name} --caller-id +1NXXNXXXXXX` "
            "(47 CFR 64.1601(e))")
    missing.extend(stored_setting_problems(name, settings))
    problems = dialing_problems(settings)
    if problems:
        missing.append(
            f"campaign {name!r} has not declared what it must before it dials: "
            + "; ".join(problems) + f" (set them with `dialer campaign edit {name} --set "
            "compliance.KEY=VALUE`, see docs/compliance.md)")
    return missing


def _edited(campaign: Campaign, changes: dict[str, Any]) -> CampaignSettings:
    """``campaign``'s settings with ``changes``, validated. Stored settings that no longer
    validate are edited in their stored form, so an edit of the faulty setting repairs
    them; an edit that leaves one faulty is refused naming it and its repair."""
    try:
        return validate_settings(changes, stored_settings(campaign))
    except StoredSettingsError as stored:
        unrepaired = stored.keys - set(changes)
        try:
            return validate_settings(changes, dict(campaign.settings))
        except SettingsError:
            if unrepaired:
                raise StoredSettingsError(stored.campaign, [
                    (key, line) for key, line in stored.problems
                    if key.partition(".")[0] in unrepaired]) from None
            raise


def _check_startable(name: str, settings: CampaignSettings) -> None:
    missing = missing_to_start(name, settings)
    if missing:
        raise SettingsError(missing[0])
    try:
        check_pacing(settings.pacing_policy, {})
    except PacingSettingsError as error:
        raise SettingsError(f"campaign {name!r}: {error}") from None


class CampaignStore:
    """The campaign database. Create with ``CampaignStore.open(url)``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, upgrade: bool = True) -> CampaignStore:
        """Open the database at ``url``; by default bring its schema to the newest version."""
        engine = db.open_engine(url)
        db.check_connection(engine)
        if upgrade:
            db.upgrade(engine)
        return cls(engine)

    @classmethod
    def open_read_only(cls, url: str) -> CampaignStore:
        """Open an existing database whose schema is current, changing nothing (for the
        commands that only read: lists, reports, exports, diagnosis)."""
        return cls(db.open_current(url))

    def close(self) -> None:
        self.engine.dispose()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        """A session for reads only: on SQLite it begins DEFERRED, so it can read while a
        write transaction of this very thread is open (a compliance look-up made during a
        hopper claim) instead of waiting for that writer's lock."""
        return Session(self.engine.execution_options(sqlite_begin="DEFERRED"),
                       expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return db.is_postgres(self.engine)

    # -- campaigns ---------------------------------------------------------------------

    def create_campaign(self, name: str, settings: CampaignSettings | dict[str, Any] | None = None,
                        *, at: datetime, agents: Iterable[tuple[str, str]] = ()) -> Campaign:
        """A new campaign in state ``draft``; ``agents`` are (name, endpoint) pairs."""
        name = name.strip()
        if not name or len(name) > 120 or not name.isprintable():
            raise CampaignError("campaign name must be 1 to 120 printable characters")
        if not isinstance(settings, CampaignSettings):
            settings = validate_settings(settings or {})
        with self.session() as session:
            if session.exec(select(Campaign).where(Campaign.name == name)).first():
                raise CampaignError(f"campaign {name!r} already exists")
            if alike := _names_alike(session, name):
                raise CampaignError(
                    f"campaign {alike!r} already exists, and {name!r} differs from it only in "
                    f"case: every command would need the exact name; give {alike!r} for that "
                    "campaign, or another name")
            campaign = Campaign(name=name, state=CampaignState.DRAFT,
                                settings=settings.model_dump(mode="json"),
                                created_at=at, updated_at=at)
            session.add(campaign)
            session.flush()
            for agent_name, endpoint in agents:
                agent = self._upsert_agent(session, agent_name, endpoint)
                session.add(CampaignAgent(campaign_id=campaign.id, agent_id=agent.id))
            session.commit()
            return campaign

    def campaign(self, ref: CampaignRef) -> Campaign:
        with self.session() as session:
            return self._campaign(session, ref)

    @staticmethod
    def _campaign(session: Session, ref: CampaignRef) -> Campaign:
        query = select(Campaign).where(
            Campaign.id == int(ref) if isinstance(ref, int) or str(ref).isdigit()
            else Campaign.name == ref)
        found = session.exec(query).first()
        if found is None and not isinstance(ref, int):
            found = session.exec(select(Campaign).where(Campaign.name == str(ref))).first()
        if found is None and not isinstance(ref, int) and str(ref).strip() != str(ref):
            # A name pasted with a blank around it (names are stored without them).
            found = session.exec(select(Campaign).where(
                Campaign.name == str(ref).strip())).first()
        if found is None:
            raise CampaignNotFound(f"no campaign named {ref!r}{_did_you_mean(session, ref)} "
                                   "(see `dialer campaign list`)")
        return found

    def campaigns(self, *, include_archived: bool = True, include_deleted: bool = False
                  ) -> list[Campaign]:
        with self.session() as session:
            query = select(Campaign).order_by(Campaign.id)
            if not include_archived:
                query = query.where(Campaign.state != CampaignState.ARCHIVED)
            if not include_deleted:
                query = query.where(Campaign.state != CampaignState.DELETED)
            return list(session.exec(query))

    def settings(self, ref: CampaignRef) -> CampaignSettings:
        """The campaign's settings; ``StoredSettingsError`` when they no longer validate."""
        return stored_settings(self.campaign(ref))

    def check_queue_names(self, names: Sequence[str], field: str = "queues") -> None:
        """Refuse queue names a user gives a campaign that no active queue has. A misspelt
        one used to be stored and surfaced only when ``dialer run`` started (the runner
        refuses it there too, for a queue deleted since). Not checked inside
        ``create_campaign``: a program may create the campaign before its queues."""
        if not names:
            return
        with self.session() as session:
            known = set(session.exec(select(InboundQueue.name).where(
                InboundQueue.active == sa.true())).all())
        missing = [name for name in names if name not in known]
        if missing:
            raise SettingsError(f"invalid campaign settings: {field}: no queue named "
                                f"{missing[0]!r} (see `dialer queue list`)")

    def edit_campaign(self, ref: CampaignRef, changes: dict[str, Any], *, at: datetime,
                      seen_pacing_version: int | None = None, by: str | None = None
                      ) -> Campaign:
        """Apply validated setting changes (not allowed once archived). A change of a
        pacing setting bumps the campaign's ``pacing_version``; with
        ``seen_pacing_version`` (the console's form) the edit is written only over that
        version, else ``StaleVersion`` and nothing is written (one conditional UPDATE, so
        of two writers exactly one wins). ``by``: the console supervisor making it (None:
        the command line), kept with a pacing change."""
        for _ in range(WRITE_TRIES):
            with self.session() as session:
                campaign = self._campaign(session, ref)
                if seen_pacing_version is not None and \
                        campaign.pacing_version != seen_pacing_version:
                    raise _stale(campaign, "pacing settings")
                if campaign.state in (CampaignState.ARCHIVED, CampaignState.DELETED):
                    raise IllegalTransition(
                        f"campaign {campaign.name!r} is {campaign.state}: read-only")
                settings = _edited(campaign, changes)
                if campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED):
                    _check_startable(campaign.name, settings)
                written = settings.model_dump(mode="json")
                paced = any(written.get(key) != (campaign.settings or {}).get(key)
                            for key in PACING_SETTINGS)
                values: dict[str, Any] = {"settings": written, "updated_at": at}
                if paced:
                    values["pacing_version"] = campaign.pacing_version + 1
                    values["pacing_changed_at"] = at
                    values["pacing_changed_by"] = by
                if _write(session, campaign, values, Campaign.pacing_version,
                          campaign.pacing_version):
                    return campaign
            if seen_pacing_version is not None:
                raise _stale(self.campaign(ref), "pacing settings")
        raise CampaignError(f"campaign {ref!r}: its settings changed {WRITE_TRIES} times "
                            "while this edit was checked; try again")

    def transition_campaign(self, ref: CampaignRef, to: CampaignState | str, *, at: datetime,
                            seen_version: int | None = None,
                            only_from: Collection[str] | None = None,
                            by: str | None = None) -> Campaign:
        """Move the campaign to state ``to`` if the state machine allows it (and it is in
        one of ``only_from``, when given), bumping its ``state_version``. With
        ``seen_version`` (the console's controls) the change is written only over that
        version, else ``StaleVersion`` and nothing is written; a campaign already in ``to``
        at that version is left as it is (a double click). One conditional UPDATE: of
        two writers in two processes exactly one passes. ``by``: the console supervisor
        making it (None: the command line or a program), kept with the state."""
        target = CampaignState(to)
        for _ in range(WRITE_TRIES):
            with self.session() as session:
                campaign = self._campaign(session, ref)
                if seen_version is not None and campaign.state_version != seen_version:
                    raise _stale(campaign, "state")
                current = CampaignState(campaign.state)
                if seen_version is not None and current == target:
                    return campaign
                if target not in CAMPAIGN_TRANSITIONS[current] or (
                        only_from is not None and current not in only_from):
                    allowed = ", ".join(sorted(CAMPAIGN_TRANSITIONS[current])) or "none"
                    raise IllegalTransition(
                        f"campaign {campaign.name!r} is {current}: cannot go to {target} "
                        f"(allowed from {current}: {allowed})")
                if target == CampaignState.RUNNING:
                    _check_startable(campaign.name, stored_settings(campaign))
                if _write(session, campaign, {
                        "state": target.value, "updated_at": at, "state_changed_at": at,
                        "state_changed_by": by,
                        "state_version": campaign.state_version + 1},
                        Campaign.state_version, campaign.state_version):
                    return campaign
            if seen_version is not None:
                raise _stale(self.campaign(ref), "state")
        raise CampaignError(f"campaign {ref!r}: its state changed {WRITE_TRIES} times while "
                            "this change was checked; try again")

    # -- agents --------------------------------------------------------------------------

    @staticmethod
    def _upsert_agent(session: Session, name: str, endpoint: str) -> Agent:
        # An agent without a name or an endpoint cannot be bridged to; stored, it failed
        # only when the runner tried.
        if not name.strip() or not endpoint.strip():
            raise CampaignError(f"agent {name!r}: write NAME=ENDPOINT, both given "
                                f"(e.g. ann=user/1001), got endpoint {endpoint!r}")
        from dialer.freeswitch.dial_strings import endpoint_problem

        problem = endpoint_problem(endpoint)
        if problem is not None:
            # Stored, it failed only when a run opened the agent's leg (the switch refuses
            # a bare extension: CHAN_NOT_IMPLEMENTED).
            raise CampaignError(f"agent {name!r}: {problem}")
        agent = session.exec(select(Agent).where(Agent.name == name)).first()
        if agent is None:
            agent = Agent(name=name, endpoint=endpoint)
        else:
            agent.endpoint = endpoint
        session.add(agent)
        session.flush()
        return agent

    def add_agent(self, name: str, endpoint: str, *, campaign: CampaignRef | None = None,
                  skills: Sequence[str] | None = None) -> Agent:
        """Create or update an agent (by name) and optionally assign it to a campaign;
        ``skills`` None keeps the agent's (``campaign edit --agent`` used to wipe them)."""
        with self.session() as session:
            agent = self._upsert_agent(session, name, endpoint)
            if skills is not None:
                agent.skills = list(skills)
            if campaign is not None:
                campaign_id = self._campaign(session, campaign).id
                if session.get(CampaignAgent, (campaign_id, agent.id)) is None:
                    session.add(CampaignAgent(campaign_id=campaign_id, agent_id=agent.id))
            session.commit()
            return agent

    def set_agent_skills(self, name: str, skills: Sequence[str]) -> None:
        """An agent's skills (``name`` or ``name:level``), which route inbound work."""
        with self.session() as session:
            agent = session.exec(select(Agent).where(Agent.name == name)).first()
            if agent is None:
                raise CampaignError(f"no agent named {name!r}")
            agent.skills = list(skills)
            session.add(agent)
            session.commit()

    def agents(self, campaign: CampaignRef | None = None) -> list[Agent]:
        with self.session() as session:
            query = select(Agent).order_by(Agent.id)
            if campaign is not None:
                campaign_id = self._campaign(session, campaign).id
                query = query.join(CampaignAgent, CampaignAgent.agent_id == Agent.id).where(
                    CampaignAgent.campaign_id == campaign_id)
            return list(session.exec(query))

    def agent(self, name_or_id: str | int) -> Agent:
        with self.session() as session:
            query = select(Agent).where(
                Agent.id == int(name_or_id) if isinstance(name_or_id, int)
                else Agent.name == name_or_id)
            found = session.exec(query).first()
            if found is None:
                raise CampaignError(f"no agent named {name_or_id!r}")
            return found

    def dispositions(self, campaign: CampaignRef | None = None) -> list[Disposition]:
        """Known dispositions; with a campaign, only those it allows."""
        with self.session() as session:
            rows = list(session.exec(select(Disposition).order_by(Disposition.code)))
        if campaign is None:
            return rows
        allowed = set(self.settings(campaign).allowed_dispositions)
        return [row for row in rows if row.code in allowed]

    def add_disposition(self, disposition: Disposition) -> Disposition:
        with self.session() as session:
            merged = session.merge(disposition)
            session.commit()
            return merged

    # -- leads ---------------------------------------------------------------------------

    def lead_lists(self, campaign: CampaignRef) -> list[LeadList]:
        with self.session() as session:
            campaign_id = self._campaign(session, campaign).id
            return list(session.exec(select(LeadList).where(
                LeadList.campaign_id == campaign_id).order_by(LeadList.id)))

    def lead(self, lead_id: int) -> Lead:
        with self.session() as session:
            lead = session.get(Lead, lead_id)
            if lead is None:
                raise CampaignError(f"no lead with id {lead_id}")
            return lead

    def lead_by_phone(self, campaign: CampaignRef, phone_e164: str) -> Lead | None:
        with self.session() as session:
            campaign_id = self._campaign(session, campaign).id
            return session.exec(select(Lead).where(
                Lead.campaign_id == campaign_id, Lead.phone == phone_e164)).first()

    def leads(self, campaign: CampaignRef, *, status: str | None = None, limit: int = 100,
              offset: int = 0) -> list[Lead]:
        with self.session() as session:
            campaign_id = self._campaign(session, campaign).id
            query = select(Lead).where(Lead.campaign_id == campaign_id)
            if status:
                query = query.where(Lead.status == status)
            return list(session.exec(query.order_by(Lead.id).offset(offset).limit(limit)))

    def attempt_by_call(self, call_uuid: str) -> CallAttempt | None:
        """The attempt whose switch channel id is ``call_uuid`` (the dialer's call id)."""
        with self.session() as session:
            return session.exec(select(CallAttempt).where(
                CallAttempt.call_uuid == call_uuid)).first()

    def lead_status_counts(self, campaign: CampaignRef) -> dict[str, int]:
        with self.session() as session:
            campaign_id = self._campaign(session, campaign).id
            rows = session.exec(select(Lead.status, sa.func.count()).where(
                Lead.campaign_id == campaign_id).group_by(Lead.status))
            return {status: count for status, count in rows}

    # The journal, ledger, callbacks and hopper (bound below to keep this module short).
    from campaigns.callbacks import (
        cancel_callback,
        due_callbacks,
        mark_missed_callbacks,
        schedule_callback,
    )
    from campaigns.hopper import claim_leads, release_claims, release_lead, renew_claims
    from campaigns.journal import (
        agent_states,
        attempt,
        attempts_for_number,
        begin_attempt,
        finish_attempt,
        ledger_counts,
        ledger_entries,
        open_attempts,
        record_agent_state,
        set_disposition,
        undisposed_attempts,
        update_attempt,
    )
    from campaigns.journal_batch import journal_batch
    from campaigns.leads import add_leads, import_file
    from campaigns.users import (
        add_user,
        audit,
        audit_entries,
        authenticate,
        create_session,
        disable_user,
        end_session,
        session_user,
        set_password,
        set_user_campaigns,
        user,
        users,
    )
