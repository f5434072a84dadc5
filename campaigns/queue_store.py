"""The queue store: inbound queues (their definitions) stored like campaigns.

A queue's configuration is ``dialer.engine.queue_config.QueueConfig`` (pure data) stored as
JSON; every write validates it alone and together with the other active queues (an overflow
naming a queue that does not exist, overflows in a circle, a prompt nobody recorded, an
unknown holiday calendar), and nothing is written when anything is wrong: the error names
the queue and the field. A run refuses to serve a queue stored before a check saving makes
(``refuse_unmeant``, the one check of both).

What inbound calls leave behind has its own parts, each owning its table: queue callbacks
(``campaigns/queue_callbacks.py``), voicemail (``campaigns/voicemail_store.py``) and inbound
call records (``campaigns/inbound_records.py``); retiring a queue settles its pending
callbacks through the first, in the same transaction.

``QueueStore`` is composed over a ``CampaignStore`` (its engine and sessions); it is not a
part of it. Times are timezone-aware UTC.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

import pydantic
from sqlmodel import select

from campaigns.models import Campaign, InboundCall, InboundQueue, QueueCallback, Voicemail
from campaigns.queue_callbacks import pending_callbacks, resettle
from campaigns.queue_errors import QueueError, active_queue
from campaigns.settings import CampaignState
from campaigns.store import CampaignStore
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import ActionKind, QueueConfig, ServiceLevel, SettingProblem
from dialer.errors import DialerError


def describe_validation(error: pydantic.ValidationError, name: str) -> str:
    problems = "; ".join(
        ("{}: ".format(".".join(str(p) for p in e["loc"])) if e["loc"] else "")
        + _message(e) for e in error.errors())
    return f"queue {name}: {problems}"


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        from dialer.words import did_you_mean

        known = _known_keys(tuple(error["loc"][:-1]))
        typed = str(error["loc"][-1]) if error["loc"] else ""
        return ("unknown key" + (f"; known: {', '.join(known)}" if known else "")
                + did_you_mean(typed, list(known)))
    if error["type"] == "finite_number":
        return f"must be a finite number, got {error['input']!r}"
    if error["type"] in ("tuple_type", "list_type", "set_type", "frozen_set_type") and \
            isinstance(error["input"], str):
        # ``--set agents=ann`` passes text where a list is meant.
        key = ".".join(str(p) for p in error["loc"])
        return (f"a list is meant, got the text {error['input']!r}: write "
                f"{json.dumps([error['input']])} (with --set: '{key}="
                f"{json.dumps([error['input']])}')")
    from dialer.words import choice_meant

    return str(error["msg"]).removeprefix("Value error, ") + choice_meant(error)


def _known_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys the section at ``loc`` takes (``("ivr", "menus", "main")`` → a menu's)."""
    model: Any = QueueConfig
    for part in loc:
        field = model.model_fields.get(str(part)) if isinstance(model, type) and issubclass(
            model, pydantic.BaseModel) else None
        if field is None:  # a dict's key (a menu's name): its values' model
            args = [a for a in typing.get_args(model) if a is not str]
            model = args[-1] if args else None
        else:
            model = field.annotation
        while model is not None and not (isinstance(model, type) and issubclass(
                model, pydantic.BaseModel)) and typing.get_origin(model) is not dict:
            inner = [a for a in typing.get_args(model) if a is not type(None)]
            model = inner[0] if inner else None
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, pydantic.BaseModel):
        return sorted(model.model_fields)
    return []


def merge(base: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``changes`` applied section by section (a dict merges, else replaces)."""
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _stored(row: InboundQueue) -> QueueConfig:
    """A stored configuration; one written before a check this version makes (e.g. an
    overflow nobody could reach, an infinite handle time) is refused naming its repair,
    never half-read: the row stays as it is until ``dialer queue edit`` mends it."""
    try:
        return QueueConfig.model_validate(row.config)
    except pydantic.ValidationError as error:
        raise QueueError(f"{describe_validation(error, row.name)} (stored earlier; repair it "
                         f"with `dialer queue edit {row.name} --set KEY=VALUE`)") from None


def problem_line(name: str, problem: SettingProblem, *, stored: bool = True) -> str:
    """One line for a setting that does what nobody means (``QueueConfig.problems``); for
    a stored queue, with the edit that mends it."""
    line = f"queue {name}: {problem.field}: {problem.message}"
    if not stored or not problem.repair:
        return line
    ways = " or ".join(f"`dialer queue edit {name} {way}`" for way in problem.repair)
    return f"{line} (stored before this check; repair it with {ways})"


def refuse_unmeant(configs: Iterable[QueueConfig], *, stored: bool = True) -> None:
    """Refuse a configuration with a problem ``QueueConfig.problems`` marks refused (an
    opt-out nobody chose, a menu nobody reaches, a time ``max_wait`` always cuts short):
    the one check of both the save path (``stored=False``) and a run about to serve queues
    stored before the check (``dialer.runner.inbound``), which read and built, and so ran:
    an ``on_timeout = "opt_out"`` put every silent caller on the do-not-call list while
    ``dialer doctor`` said FAIL. Doctor names every problem from the same ``refused``."""
    for config in configs:
        refused = [p for p in config.problems() if p.refused]
        if not refused:
            continue
        more = (f"; {len(refused) - 1} more in this queue (`dialer doctor` names them)"
                if stored and len(refused) > 1 else "")
        raise QueueError(problem_line(config.name, refused[0], stored=stored) + more,
                         queue=config.name, field=tuple(refused[0].field.split(".")))


def _without(config: Mapping[str, Any], queue: str, keys: Iterable[str]) -> dict[str, Any]:
    """``config`` less each dotted key of ``keys``; one that is not there is refused (a
    misspelt key would otherwise leave the menu it meant in place, silently)."""
    result = json.loads(json.dumps(config))
    for dotted in keys:
        *path, last = dotted.split(".")
        section: Any = result
        for part in path:
            section = section.get(part) if isinstance(section, dict) else None
        if dotted == "name":
            raise QueueError(f"queue {queue}: name: a queue keeps its name (create a new one)")
        if not isinstance(section, dict) or last not in section:
            where = ".".join(path)
            has = (f" ({where or 'the configuration'} has: {', '.join(section)})"
                   if isinstance(section, dict) and section else "")
            raise QueueError(f"queue {queue}: {dotted}: nothing to remove there{has}",
                             queue=queue, field=tuple(path) or (last,))
        del section[last]
    return result


def raw_queue_targets(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Where a stored configuration (read as JSON, not validated) sends callers to another
    queue: (where it is written, the queue) for its overflow, ``when_full`` and menu
    actions, written as ``queue:NAME`` or as an object. Read raw so that a configuration
    stored before a check this version makes still counts, whether or not it reads."""
    def target(action: Any) -> str | None:
        if isinstance(action, str):
            kind, _, name = action.partition(":")
            return name if kind == "queue" and name else None
        if isinstance(action, Mapping) and action.get("kind") == "queue" and isinstance(
                action.get("target"), str):
            return action["target"]
        return None

    found = [(key, target(config.get(key))) for key in ("overflow", "when_full")]
    ivr = config.get("ivr")
    menus = ivr.get("menus") if isinstance(ivr, Mapping) else None
    for menu_name, menu in (menus.items() if isinstance(menus, Mapping) else ()):
        if not isinstance(menu, Mapping):
            continue
        options = menu.get("options")
        for key, action in (options.items() if isinstance(options, Mapping) else ()):
            found.append((f"ivr.menus.{menu_name}.options.{key}", target(action)))
        found += [(f"ivr.menus.{menu_name}.{key}", target(menu.get(key)))
                  for key in ("on_timeout", "on_invalid")]
    return [(where, name) for where, name in found if name is not None]


class QueueStore:
    """Queue definitions in the campaign database."""

    def __init__(self, store: CampaignStore, prompts: PromptSet | None = None,
                 calendars: Mapping[str, Callable[[date], bool]] | None = None) -> None:
        self.store = store
        self.prompts = prompts
        """Prompts a configuration may name (None: prompt names are not checked)."""
        self._calendars = calendars

    @property
    def calendars(self) -> Mapping[str, Callable[[date], bool]]:
        if self._calendars is None:
            from dnc.rules.tables import RuleTables

            self._calendars = RuleTables().holiday_calendars
        return self._calendars

    # --- configurations --------------------------------------------------------------------

    def parse(self, data: Mapping[str, Any]) -> QueueConfig:
        """A configuration to save: valid alone, and meaning something (no menu nobody
        reaches, no opt-out a caller did not choose, no time ``max_wait`` always cuts
        short: ``refuse_unmeant``, which also refuses a run serving one stored before)."""
        name = str(data.get("name", "?"))
        try:
            config = QueueConfig.model_validate(dict(data))
        except pydantic.ValidationError as error:
            raise QueueError(describe_validation(error, name)) from None
        refuse_unmeant([config], stored=False)
        return config

    def check_together(self, configs: Iterable[QueueConfig]) -> None:
        """Refuse configurations that cannot run as one set (QueueSet's checks)."""
        from dialer.engine.queues import QueueSet

        prompts = self.prompts
        configs = list(configs)
        if prompts is None:  # names not checked: accept every name the configs use
            names = {n for c in configs for _, n in c.prompt_names()}
            from dialer.engine.prompts import ENGINE_PROMPTS

            prompts = PromptSet.uniform({*names, *ENGINE_PROMPTS})
        try:
            QueueSet(configs, prompts, self.calendars)
        except DialerError as error:
            raise QueueError(str(error)) from None

    def create(self, data: Mapping[str, Any], *, at: datetime) -> QueueConfig:
        """A new queue; a name retired earlier is taken up again with this configuration
        (its records keep the name, so its reports continue)."""
        config = self.parse(data)
        with self.store.session() as session:
            row = session.exec(select(InboundQueue).where(
                InboundQueue.name == config.name)).first()
            if row is not None and row.active:
                raise QueueError(f"queue {config.name!r} already exists (`dialer queue edit`)")
            self.check_together([*self._readable(session, exclude=config.name), config])
            if row is None:
                row = InboundQueue(name=config.name, created_at=at)
            row.config, row.active, row.updated_at = config.model_dump(mode="json"), True, at
            session.add(row)
            session.commit()
        return config

    def edit(self, name: str, changes: Mapping[str, Any], *, at: datetime,
             unset: Iterable[str] = ()) -> QueueConfig:
        """``changes`` merged into the stored configuration, after removing each dotted
        key of ``unset`` (a menu, an option, a section back to its defaults): a merge
        alone can add a menu but never take one away."""
        if "name" in changes and changes["name"] != name:
            raise QueueError(f"queue {name}: a queue cannot be renamed (create a new one)")
        with self.store.session() as session:
            row = active_queue(session, name)
            config = self.parse(merge(_without(row.config, name, unset), changes))
            self.check_together([*self._readable(session, exclude=name), config])
            row.config = config.model_dump(mode="json")
            row.updated_at = at
            session.add(row)
            session.commit()
        return config

    def delete(self, name: str, *, at: datetime, callbacks_to: str | None = None,
               cancel_callbacks: bool = False) -> int:
        """Retire a queue (kept for its records); refused while another queue sends
        callers to it, or a campaign serves it (its runner would refuse to start), or
        callers wait for its callbacks and nothing says what becomes of them: no runner
        claims a retired queue's callbacks, so they would never be called back.
        ``callbacks_to`` moves them to another queue (their places kept), and
        ``cancel_callbacks`` cancels them. Returns how many were moved or cancelled."""
        if callbacks_to is not None and cancel_callbacks:
            raise QueueError(f"queue {name}: move its callbacks or cancel them, not both")
        with self.store.session() as session:
            row = active_queue(session, name)
            pending = pending_callbacks(session, name)
            if pending and callbacks_to is None and not cancel_callbacks:
                oldest = min((c.place_at for c in pending if c.place_at is not None),
                             default=None)
                due = f" (the oldest due {oldest:%Y-%m-%d %H:%M} UTC)" if oldest else ""
                raise QueueError(
                    f"queue {name} has {len(pending)} pending callback(s){due} that nobody "
                    "would call back once it is "
                    f"retired: say what becomes of them (`dialer queue delete {name} "
                    "--callbacks-to OTHER_QUEUE` keeps their places in another queue, "
                    "`--cancel-callbacks` cancels them)")
            if callbacks_to is not None:
                if callbacks_to == name:
                    raise QueueError(f"--callbacks-to {name}: that is the queue being retired")
                active_queue(session, callbacks_to)
            for campaign in session.exec(select(Campaign).where(Campaign.state.notin_(
                    (CampaignState.ARCHIVED, CampaignState.DELETED)))):  # type: ignore[attr-defined]
                served = list((campaign.settings or {}).get("queues") or ())
                if name in served:
                    rest = json.dumps([q for q in served if q != name])
                    raise QueueError(
                        f"queue {name} is served by campaign {campaign.name} (its queues "
                        f"setting): change that first (`dialer campaign edit {campaign.name} "
                        f"--set 'queues={rest}'`)")
            for other in session.exec(select(InboundQueue).where(
                    InboundQueue.active, InboundQueue.name != name)
                    .order_by(InboundQueue.name)):
                # Read raw: a queue stored before a check this version makes must not block
                # retiring another (nor itself), and its actions still count.
                for where, target in raw_queue_targets(other.config or {}):
                    if target != name:
                        continue
                    raise QueueError(f"queue {name} is the target of queue {other.name}'s "
                                     f"{where}: change that first")
            resettle(pending, callbacks_to, at)
            row.active = False
            row.updated_at = at
            session.add(row)
            session.add_all(pending)
            session.commit()
        return len(pending)

    def get(self, name: str) -> QueueConfig:
        with self.store.session() as session:
            return _stored(active_queue(session, name))

    def all(self) -> list[QueueConfig]:
        with self.store.session() as session:
            return self._active(session)

    def survey(self) -> tuple[list[QueueConfig], dict[str, str]]:
        """Every active queue that reads, and each one that does not (stored before a check
        this version makes) with its refusal and repair: what ``dialer queue list`` shows,
        so one such queue does not hide the others."""
        broken: dict[str, str] = {}
        with self.store.session() as session:
            return self._readable(session, broken=broken), broken

    def service_levels(self) -> tuple[dict[str, ServiceLevel], dict[str, str]]:
        """Each active queue's service-level target (what its reports measure against),
        read from its own section when the rest of a stored configuration does not read;
        the queues whose section does not read either, with their refusal (``survey``)."""
        readable, broken = self.survey()
        levels = {c.name: c.service_level for c in readable}
        with self.store.session() as session:
            for row in session.exec(select(InboundQueue).where(
                    InboundQueue.active, InboundQueue.name.in_(list(broken)))):  # type: ignore[attr-defined]
                try:
                    levels[row.name] = ServiceLevel.model_validate(
                        (row.config or {}).get("service_level") or {})
                except pydantic.ValidationError:
                    continue
                del broken[row.name]
        return levels, broken

    def ever_named(self, name: str) -> bool:
        """Whether a queue of this name exists or existed (retired queues keep records)."""
        with self.store.session() as session:
            return session.exec(select(InboundQueue.id).where(
                InboundQueue.name == name)).first() is not None or any(
                session.exec(select(table.queue).where(table.queue == name)).first()
                is not None for table in (QueueCallback, Voicemail, InboundCall))

    def names(self) -> list[str]:
        """The active queues' names, whether or not their stored settings still read (a
        running runner's refresh: a queue it does not serve must not stop it)."""
        with self.store.session() as session:
            return list(session.exec(select(InboundQueue.name).where(InboundQueue.active)
                                     .order_by(InboundQueue.name)))

    def queue_set(self, names: Iterable[str], prompts: PromptSet):
        """The ``QueueSet`` a runner serves: the named queues and those they overflow to."""
        from dialer.engine.queues import QueueSet

        wanted = list(dict.fromkeys(names))
        readable, broken = self.survey()
        known = {c.name: c for c in readable}
        missing = [n for n in wanted if n not in known and n not in broken]
        if missing:
            raise QueueError(f"queue {missing[0]!r} does not exist (`dialer queue list`)")
        chosen: dict[str, QueueConfig] = {}
        stack = list(wanted)
        while stack:
            name = stack.pop()
            if name in broken:  # served, or reached by an overflow, and unreadable
                raise QueueError(broken[name])
            config = known[name]
            if config.name in chosen:
                continue
            chosen[config.name] = config
            stack += [a.target for _, a in config.actions()
                      if a.kind is ActionKind.QUEUE and a.target
                      and (a.target in known or a.target in broken)]
        try:
            return QueueSet(chosen.values(), prompts, self.calendars)
        except DialerError as error:
            raise QueueError(str(error)) from None

    @staticmethod
    def _active(session: Any, exclude: str | None = None) -> list[QueueConfig]:
        rows = session.exec(select(InboundQueue).where(InboundQueue.active)
                            .order_by(InboundQueue.name))
        return [_stored(r) for r in rows if r.name != exclude]

    @staticmethod
    def _readable(session: Any, exclude: str | None = None,
                  broken: dict[str, str] | None = None) -> list[QueueConfig]:
        """The active queues whose stored settings read; the others are left out (and
        named in ``broken`` with their refusal). Creating or editing one queue checks it
        against these: a queue stored before a check is refused wherever it is used, and
        must not block the edit that repairs it or another one."""
        rows = session.exec(select(InboundQueue).where(InboundQueue.active)
                            .order_by(InboundQueue.name))
        readable = []
        for row in rows:
            if row.name == exclude:
                continue
            try:
                readable.append(_stored(row))
            except QueueError as error:
                if broken is not None:
                    broken[row.name] = str(error)
        return readable
