"""The queue store: inbound queues stored like campaigns, and what inbound calls leave behind
(call records, queue callbacks, voicemails).

A queue's configuration is ``dialer.engine.queue_config.QueueConfig`` (pure data) stored as
JSON; every write validates it alone and together with the other active queues (an overflow
naming a queue that does not exist, overflows in a circle, a prompt nobody recorded, an
unknown holiday calendar), and nothing is written when anything is wrong: the error names
the queue and the field.

``QueueStore`` is composed over a ``CampaignStore`` (its engine and sessions); it is not a
part of it. Times are timezone-aware UTC.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlmodel import select

from campaigns.errors import CampaignError
from campaigns.models import (
    Campaign,
    InboundCall,
    InboundQueue,
    QueueCallback,
    QueueCallbackStatus,
    Voicemail,
    VoicemailStatus,
)
from campaigns.settings import CampaignState
from campaigns.store import CampaignStore
from dialer.engine.prompts import PromptSet
from dialer.engine.queue_config import ActionKind, QueueConfig, ServiceLevel, SettingProblem
from dialer.errors import DialerError


class QueueError(CampaignError):
    """A queue that does not exist, or a configuration that cannot be stored.

    Messages about a configuration read ``queue NAME: FIELD: what is wrong``; ``queue`` and
    ``field`` (its path of keys) say the same for a caller holding the configuration's file,
    which can then name the line (``campaigns/queue_files.py``)."""

    def __init__(self, message: str, *, queue: str | None = None,
                 field: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.queue, self.field = queue, field
        if queue is None:
            written = _WHERE.match(message)
            if written is not None:
                self.queue, self.field = written[1], tuple(written[2].split("."))


_WHERE = re.compile(r"queue ([A-Za-z0-9_.\-]+): ([A-Za-z0-9_*#\-]+(?:\.[A-Za-z0-9_*#\-]+)*): ")
"""``queue NAME: FIELD: ...``, the form of every configuration refusal."""


def describe_validation(error: pydantic.ValidationError, name: str) -> str:
    problems = "; ".join(
        ("{}: ".format(".".join(str(p) for p in e["loc"])) if e["loc"] else "")
        + _message(e) for e in error.errors())
    return f"queue {name}: {problems}"


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        known = _known_keys(tuple(error["loc"][:-1]))
        return "unknown key" + (f"; known: {', '.join(known)}" if known else "")
    if error["type"] == "finite_number":
        return f"must be a finite number, got {error['input']!r}"
    if error["type"] in ("tuple_type", "list_type", "set_type", "frozen_set_type") and \
            isinstance(error["input"], str):
        # ``--set agents=ann`` passes text where a list is meant.
        key = ".".join(str(p) for p in error["loc"])
        return (f"a list is meant, got the text {error['input']!r}: write "
                f"{json.dumps([error['input']])} (with --set: '{key}="
                f"{json.dumps([error['input']])}')")
    return str(error["msg"]).removeprefix("Value error, ")


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


def utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """One inbound call as it ended (from the engine's ``AttemptFinished``)."""

    call_uuid: str
    queue: str
    caller_number: str
    arrived_at: datetime
    ended_at: datetime
    outcome: str
    queued_at: datetime | None = None
    bridged_at: datetime | None = None
    hangup_cause: str | None = None
    agent_id: int | None = None
    estimated_wait: float | None = None
    overflowed_from: str | None = None
    ivr_keys: str | None = None
    opted_out: bool = False
    campaign_id: int | None = None


class QueueStore:
    """Queues and inbound records in the campaign database."""

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
            row = self._row(session, name)
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
            row = self._row(session, name)
            pending = self._pending(session, name)
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
                self._row(session, callbacks_to)
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
            self._resettle(pending, callbacks_to, at)
            row.active = False
            row.updated_at = at
            session.add(row)
            session.add_all(pending)
            session.commit()
        return len(pending)

    def resettle_callbacks(self, queue: str, *, to: str | None, at: datetime) -> int:
        """The pending callbacks of ``queue`` (retired or not) moved to queue ``to`` (their
        places kept), or cancelled when ``to`` is None: the repair of callbacks that no
        runner serves. Returns how many."""
        with self.store.session() as session:
            if to is not None:
                if to == queue:
                    raise QueueError(f"--move-to {to}: the callbacks are in that queue")
                self._row(session, to)
            pending = self._pending(session, queue)
            if not pending and not session.exec(select(InboundQueue.name).where(
                    InboundQueue.name == queue)).first():
                raise QueueError(f"no queue named {queue!r} (see `dialer queue list`)")
            self._resettle(pending, to, at)
            session.add_all(pending)
            session.commit()
            return len(pending)

    @staticmethod
    def _pending(session: Any, queue: str) -> list[QueueCallback]:
        return list(session.exec(select(QueueCallback).where(
            QueueCallback.queue == queue, QueueCallback.status == QueueCallbackStatus.PENDING)
            .order_by(QueueCallback.place_at)))

    @staticmethod
    def _resettle(pending: list[QueueCallback], to: str | None, at: datetime) -> None:
        held = [c for c in pending if c.claimed_by and c.claim_expires_at is not None
                and c.claim_expires_at >= at]
        if held:
            # Its process has them in its engine: moved or cancelled here, they could be
            # called twice (by it and by a runner of the other queue) or after a cancel.
            until = max(c.claim_expires_at for c in held)  # type: ignore[type-var]
            raise QueueError(
                f"{len(held)} of queue {held[0].queue}'s pending callbacks are held by a "
                f"running dialer process ({held[0].claimed_by}) until {until:%H:%M:%S} UTC: "
                "stop it first (a clean stop releases them; a crashed one's claim runs out)")
        for callback in pending:
            if to is not None:
                callback.queue = to
            else:
                callback.status, callback.finished_at = QueueCallbackStatus.CANCELLED, at
            callback.claimed_by, callback.claim_expires_at = None, None

    def get(self, name: str) -> QueueConfig:
        with self.store.session() as session:
            return _stored(self._row(session, name))

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
    def _row(session: Any, name: str) -> InboundQueue:
        row = session.exec(select(InboundQueue).where(InboundQueue.name == name,
                                                      InboundQueue.active)).first()
        if row is None:
            raise QueueError(f"no queue named {name!r} (see `dialer queue list`)")
        return row

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

    # --- inbound calls ---------------------------------------------------------------------

    def record_calls(self, records: Iterable[InboundRecord]) -> None:
        with self.store.session() as session:
            for record in records:
                session.add(InboundCall(**{f: getattr(record, f)
                                           for f in InboundRecord.__dataclass_fields__}))
            session.commit()

    def wrapped(self, call_uuid: str, at: datetime) -> None:
        with self.store.session() as session:
            session.execute(sa.update(InboundCall).where(InboundCall.call_uuid == call_uuid)
                            .values(wrapped_at=at))
            session.commit()

    # --- queue callbacks -------------------------------------------------------------------

    def add_callback(self, callback_id: str, queue: str, number: str, place_at: datetime, *,
                     at: datetime, priority: int = 0, call_uuid: str | None = None,
                     customer_key: str | None = None, source: str = "caller",
                     owner: str | None = None, claim_ttl: timedelta | None = None
                     ) -> QueueCallback:
        row = QueueCallback(
            id=callback_id, queue=queue, number=number, customer_key=customer_key,
            place_at=place_at, priority=priority, status=QueueCallbackStatus.PENDING,
            source=source, requested_at=at, call_uuid=call_uuid, claimed_by=owner,
            claim_expires_at=at + claim_ttl if owner and claim_ttl else None)
        with self.store.session() as session:
            session.add(row)
            session.commit()
        return row

    def callback_attempted(self, callback_id: str, attempts: int, retry_at: datetime) -> None:
        with self.store.session() as session:
            session.execute(sa.update(QueueCallback).where(QueueCallback.id == callback_id)
                            .values(attempts=attempts, next_attempt_at=retry_at))
            session.commit()

    def finish_callback(self, callback_id: str, status: QueueCallbackStatus | str,
                        attempts: int, *, at: datetime, call_uuid: str | None = None) -> None:
        with self.store.session() as session:
            session.execute(sa.update(QueueCallback).where(QueueCallback.id == callback_id)
                            .values(status=str(status), attempts=attempts, finished_at=at,
                                    completed_call_uuid=call_uuid, claimed_by=None,
                                    claim_expires_at=None))
            session.commit()

    def claim_callbacks(self, queues: Iterable[str], owner: str, *, now: datetime,
                        ttl: timedelta) -> list[QueueCallback]:
        """Pending callbacks of ``queues`` not held by another live process, now held by
        ``owner`` until ``now + ttl`` (renew before then). Already held ones are renewed."""
        names = list(queues)
        with self.store.session() as session:
            free = sa.or_(QueueCallback.claimed_by.is_(None), QueueCallback.claimed_by == owner,
                          QueueCallback.claim_expires_at < now)
            rows = list(session.exec(select(QueueCallback).where(
                QueueCallback.queue.in_(names),  # type: ignore[attr-defined]
                QueueCallback.status == QueueCallbackStatus.PENDING, free)
                .order_by(QueueCallback.place_at)))
            for row in rows:
                row.claimed_by, row.claim_expires_at = owner, now + ttl
                session.add(row)
            session.commit()
            return rows

    def release_callbacks(self, owner: str) -> int:
        with self.store.session() as session:
            result = session.execute(sa.update(QueueCallback).where(
                QueueCallback.claimed_by == owner,
                QueueCallback.status == QueueCallbackStatus.PENDING)
                .values(claimed_by=None, claim_expires_at=None))
            session.commit()
            return int(result.rowcount or 0)

    def callbacks(self, queue: str | None = None, status: str | None = None
                  ) -> list[QueueCallback]:
        with self.store.session() as session:
            query = select(QueueCallback).order_by(QueueCallback.place_at)
            if queue is not None:
                query = query.where(QueueCallback.queue == queue)
            if status is not None:
                query = query.where(QueueCallback.status == status)
            return list(session.exec(query))

    # --- voicemail -------------------------------------------------------------------------

    def add_voicemail(self, call_uuid: str, queue: str, caller_number: str, path: str,
                      started_at: datetime, ended_at: datetime) -> Voicemail:
        row = Voicemail(call_uuid=call_uuid, queue=queue, caller_number=caller_number,
                        path=path, started_at=started_at, ended_at=ended_at,
                        seconds=max(0.0, (ended_at - started_at).total_seconds()))
        with self.store.session() as session:
            session.add(row)
            session.commit()
            return row

    def voicemails(self, queue: str | None = None, status: str | None = None,
                   since: datetime | None = None) -> list[Voicemail]:
        with self.store.session() as session:
            query = select(Voicemail).order_by(Voicemail.started_at, Voicemail.id)
            if queue is not None:
                query = query.where(Voicemail.queue == queue)
            if status is not None:
                query = query.where(Voicemail.status == status)
            if since is not None:
                query = query.where(Voicemail.started_at >= since)
            return list(session.exec(query))

    def voicemail_to_callback(self, voicemail_id: int, callback_id: str, *, at: datetime,
                              priority: int = 0) -> QueueCallback:
        """A callback task for the caller of a voicemail, in its queue's line from now."""
        with self.store.session() as session:
            message = session.get(Voicemail, voicemail_id)
            if message is None:
                raise QueueError(f"no voicemail with id {voicemail_id}")
            if message.status == VoicemailStatus.CALLBACK:
                raise QueueError(f"voicemail {voicemail_id} already has callback "
                                 f"{message.callback_id}")
            if not message.caller_number:
                raise QueueError(f"voicemail {voicemail_id}: the caller's number is unknown")
            self._row(session, message.queue)
            message.status, message.callback_id = VoicemailStatus.CALLBACK, callback_id
            session.add(message)
            callback = QueueCallback(
                id=callback_id, queue=message.queue, number=message.caller_number,
                place_at=at, priority=priority, status=QueueCallbackStatus.PENDING,
                source="voicemail", requested_at=at, call_uuid=message.call_uuid)
            session.add(callback)
            session.commit()
            return callback
