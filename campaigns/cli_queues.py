"""``dialer queue``: inbound queues and their callbacks (``dialer voicemail``, the messages
left in them, is ``campaigns/cli_voicemail.py``).

A queue's configuration comes from a JSON or TOML file (``--file``), typed flags for the
common settings, and ``--set KEY=VALUE`` (dotted keys reach into sections, values parse as
JSON when they can: ``--set service_level.target=0.9 --set 'agents=["ann","bob"]'``). Every
write is validated (docs/inbound.md has the keys); nothing is stored when anything is wrong.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from campaigns.cli_common import (
    DbOption,
    HomeOption,
    JsonOption,
    data_home,
    emit,
    make_console,
    now,
    open_store,
    read_store,
)

queue_app = typer.Typer(help="Inbound queues: create, inspect, edit; callbacks waiting.",
                        no_args_is_help=True)

FileOption = Annotated[Path | None, typer.Option(
    "--file", "-f", help="Configuration as JSON or TOML (docs/inbound.md).")]
SetOption = Annotated[list[str] | None, typer.Option(
    "--set", help="KEY=VALUE (dotted keys for sections; VALUE is JSON when it parses). "
    "Repeatable.")]
StrategyOption = Annotated[str | None, typer.Option(
    "--strategy", help="longest_idle, ring_all, round_robin, fewest_calls, skills, "
    "previous_agent.")]
NameArg = Annotated[str, typer.Argument(help="The queue's name.")]
AgentOption = Annotated[list[str] | None, typer.Option(
    "--agent", help="An agent serving the queue (repeatable; replaces the list).")]
UnsetOption = Annotated[list[str] | None, typer.Option(
    "--unset", help="KEY to remove (dotted: ivr.menus.billing, ivr.menus.main.options.5; a "
    "section goes back to its defaults). Repeatable; applied before --file and --set.")]


def queue_store(db: str | None, home: Path | None, write: bool = True) -> Any:
    """The queue store; a writing command checks prompt names against the prompt files
    (shipped, then ``<home>/prompts``); a reading one never creates nor migrates."""
    from campaigns.queue_store import QueueStore
    from dialer.prompt_files import load_prompts

    if not write:
        return QueueStore(read_store(db, home))
    return QueueStore(open_store(db, home), load_prompts([(home or data_home()) / "prompts"]))


def _read_file(path: Path) -> dict[str, Any]:
    from campaigns.queue_files import read_queue_file

    return read_queue_file(path)


def _with_line(file: Path | None, name: str, write: Any) -> Any:
    """``write()``; a refusal of the field the file sets names the file and its line."""
    from campaigns.queue_files import file_line
    from campaigns.queue_store import QueueError

    try:
        return write()
    except QueueError as error:
        if file is None or error.queue != name or not error.field:
            raise
        line = file_line(file, error.field)
        if line is None:
            raise
        raise QueueError(f"{file}:{line}: {error}", queue=error.queue,
                         field=error.field) from None


def _changes(file: Path | None, strategy: str | None, agents: list[str] | None,
             sets: list[str] | None) -> dict[str, Any]:
    from campaigns.cli import _parse_sets
    from campaigns.queue_store import merge

    changes: dict[str, Any] = _read_file(file) if file is not None else {}
    if strategy is not None:
        changes["strategy"] = strategy
    if agents is not None:
        changes["agents"] = agents
    return merge(changes, _parse_sets(sets))


def _show(config: Any, as_json: bool) -> None:
    document = config.model_dump(mode="json")
    if as_json:
        emit(document)
        return
    from rich.table import Table

    console = make_console()
    console.print(f"queue [bold]{config.name}[/] — {config.strategy.value}, service level "
                  f"{config.service_level.target:.0%} in {config.service_level.within:g} s")
    table = Table("setting", "value")
    for key, value in document.items():
        if key != "name":
            table.add_row(key, value if isinstance(value, str) else json.dumps(value))
    console.print(table)


@queue_app.command("create")
def queue_create(
    name: Annotated[str, typer.Argument(help="Queue name (the dialplan's dialer_queue).")],
    file: FileOption = None, strategy: StrategyOption = None, agent: AgentOption = None,
    sets: SetOption = None, db: DbOption = None, home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Create a queue (validated with every other queue)."""
    from campaigns.queue_store import QueueError

    changes = _changes(file, strategy, agent, sets)
    if changes.get("name", name) != name:
        raise QueueError(f"queue {name}: the file names queue {changes['name']!r}")
    store = queue_store(db, home)
    config = _with_line(file, name, lambda: store.create({**changes, "name": name}, at=now()))
    _show(config, as_json)
    _note_menus(config)
    _note_unknown_agents(store, config)


@queue_app.command("edit")
def queue_edit(
    name: NameArg, file: FileOption = None, strategy: StrategyOption = None,
    agent: AgentOption = None, sets: SetOption = None, unset: UnsetOption = None,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Change a queue's settings (merged section by section; the rest is kept)."""
    from campaigns.queue_store import QueueError

    changes = _changes(file, strategy, agent, sets)
    if not changes and not unset:
        raise QueueError("nothing to change: give --file, --set, --unset, --strategy or "
                         "--agent")
    store = queue_store(db, home)
    config = _with_line(file, name, lambda: store.edit(name, changes, at=now(),
                                                       unset=unset or ()))
    _show(config, as_json)
    _note_menus(config)
    _note_unknown_agents(store, config)
    _note_running(store, name, home)


def _note_unknown_agents(store: Any, config: Any) -> None:
    """Agents the queue names that no campaign has (a typo, 'zed' for 'zoe', or one not
    added yet), on stderr: they take none of its calls. A note, not a refusal: a queue
    may be written before the campaign that staffs it, and ``doctor`` fails a queue that
    nobody can take."""
    known = {agent.name for agent in store.store.agents()}
    unknown = [agent for agent in config.agents if agent not in known]
    if unknown:
        make_console(stderr=True).print(
            f"note: queue {config.name}: agents: {', '.join(map(repr, unknown))} "
            f"{'is' if len(unknown) == 1 else 'are'} on no campaign (agents: "
            f"{', '.join(sorted(known)) or 'none yet'}), so "
            f"{'it takes' if len(unknown) == 1 else 'they take'} none of its calls; add "
            f"with dialer campaign edit CAMPAIGN --agent {unknown[0]}=ENDPOINT",
            highlight=False, soft_wrap=True)


def _note_menus(config: Any) -> None:
    """What a configuration does slowly but not wrongly (``QueueConfig.problems`` not
    refused), on stderr."""
    for problem in config.problems():
        if not problem.refused:
            make_console(stderr=True).print(
                f"note: queue {config.name}: {problem.field}: {problem.message}",
                highlight=False, soft_wrap=True)


def _note_running(store: Any, name: str, home: Path | None) -> None:
    """A running process keeps the queues it started with (its engine's ``QueueSet`` is
    built once): say so, on stderr, for each campaign whose runner serves the queue (in its
    ``queues`` or reached by an overflow or a menu) and is seen running: answering on a
    control socket under this data directory (any ``--instance``), or holding a live claim
    in the database (a process started with another home or on another host). When the
    campaign may run and neither shows it, say that this cannot be known from here, rather
    than let the edit look applied."""
    from campaigns.cli_running import running
    from campaigns.queue_backlog import served_queues

    data = home or data_home()
    configs = {c.name: c.model_dump(mode="json") for c in store.survey()[0]}
    console = make_console(stderr=True)
    for campaign in store.store.campaigns(include_archived=False):
        if name not in served_queues([(campaign.settings or {}).get("queues") or ()],
                                     configs):
            continue
        seen = running().sightings(store.store, data, campaign.name, now=now(), queue=name)
        applies = (f"they apply at its next start (stop it and `dialer run {campaign.name}` "
                   "again)")
        if seen.sockets:
            named = ", ".join(f"--instance {i}" for i in seen.sockets if i)
            console.print(f"note: campaign {campaign.name}'s running process"
                          f"{f' ({named})' if named else ''} keeps queue {name}'s settings "
                          f"as it started with them; {applies}", highlight=False, soft_wrap=True)
        elif seen.owners:
            console.print(f"note: dialer process {', '.join(seen.owners)} holds claims of "
                          f"campaign {campaign.name} (its leads or queue {name}'s callbacks) "
                          f"and does not answer under {seen.run_dir} (another home or "
                          f"host): it keeps queue {name}'s settings as it started with them; "
                          f"{applies}", highlight=False, soft_wrap=True)
        elif seen.unknowable:
            console.print(f"note: campaign {campaign.name} is {campaign.state} and no process "
                          f"answers under {seen.run_dir} or holds a claim: whether one runs "
                          f"elsewhere (another home or host) cannot be known from here; if "
                          f"one does, it keeps queue {name}'s settings until its next start",
                          highlight=False, soft_wrap=True)


@queue_app.command("show")
def queue_show(name: NameArg, db: DbOption = None, home: HomeOption = None,
               as_json: JsonOption = False) -> None:
    """A queue's whole configuration (and, on stderr, why a run would refuse it)."""
    config = queue_store(db, home, write=False).get(name)
    _show(config, as_json)
    for refusal in _run_refusals([config]).values():
        make_console(stderr=True).print(f"note: {refusal}", highlight=False, soft_wrap=True)


@queue_app.command("list")
def queue_list(db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every active queue."""
    from campaigns.queue_backlog import unserved_callbacks
    from campaigns.queue_callbacks import QueueCallbacks

    store = queue_store(db, home, write=False)
    configs, broken = store.survey()
    pending: dict[str, int] = {}
    for callback in QueueCallbacks(store.store).callbacks(status="pending"):
        pending[callback.queue] = pending.get(callback.queue, 0) + 1
    unserved = {u.queue: u for u in unserved_callbacks(store.store)}
    rows = [{"name": c.name, "strategy": c.strategy.value,
             "agents": list(c.agents), "skills": c.skills,
             "service_level": f"{c.service_level.target:.0%}/{c.service_level.within:g}s",
             "ivr": c.ivr is not None, "hours": c.hours is not None,
             "callbacks_pending": pending.get(c.name, 0)} for c in configs]
    rows += [{"name": name, "problem": problem, "callbacks_pending": pending.get(name, 0)}
             for name, problem in broken.items()]  # stored before a check: named, not hidden
    rows += [{"name": u.queue, "retired": True, "callbacks_pending": u.pending}
             for u in unserved.values() if u.retired]  # their callers wait for nobody
    for row in rows:
        row["callbacks_unserved"] = unserved[row["name"]].to_json() \
            if row["name"] in unserved else None
    refusals = _run_refusals(configs)
    for row in rows:
        row["run_refuses"] = refusals.get(row["name"])
    rows.sort(key=lambda row: row["name"])
    if as_json:
        emit(rows)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table("queue", "strategy", "agents", "skills", "SL target", "menu", "hours",
                  "callbacks pending")
    for row in rows:
        if row.get("retired"):
            table.add_row(row["name"], "[red]retired[/red] (below)", "", "", "", "", "",
                          str(row["callbacks_pending"]))
            continue
        if "problem" in row:
            table.add_row(row["name"], "[red]unreadable[/red] (below)", "", "", "", "", "",
                          str(row["callbacks_pending"]))
            continue
        table.add_row(row["name"], row["strategy"], ", ".join(row["agents"]) or "all",
                      ", ".join(f"{k}≥{v}" for k, v in row["skills"].items()) or "-",
                      row["service_level"], "yes" if row["ivr"] else "no",
                      "set" if row["hours"] else "always", str(row["callbacks_pending"]))
    console = make_console()
    console.print(table)
    for problem in [*broken.values(), *refusals.values()]:
        console.print(f"[red]{escape(problem)}[/red]", soft_wrap=True)
    for backlog in unserved.values():
        console.print(f"[red]{escape(backlog.sentence())}[/red]", soft_wrap=True)


def _run_refusals(configs: list[Any]) -> dict[str, str]:
    """Queues stored before a check saving makes, each with the line ``dialer run`` refuses
    it with (``refuse_unmeant``): listed as if nothing were wrong, a queue that stops its
    campaign's next start looked ready."""
    from campaigns.queue_store import QueueError, refuse_unmeant

    refusals = {}
    for config in configs:
        try:
            refuse_unmeant([config])
        except QueueError as error:
            refusals[config.name] = f"{error} (`dialer run` refuses to serve it)"
    return refusals


@queue_app.command("delete")
def queue_delete(
    name: NameArg,
    callbacks_to: Annotated[str | None, typer.Option(
        "--callbacks-to", help="Move its pending callbacks to this queue (places kept).")]
    = None,
    cancel_callbacks: Annotated[bool, typer.Option(
        "--cancel-callbacks", help="Cancel its pending callbacks (nobody is called back).")]
    = False,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Retire a queue (its records stay); refused while another queue overflows to it, a
    campaign serves it, or callers wait for its callbacks (say where they go)."""
    moved = queue_store(db, home).delete(name, at=now(), callbacks_to=callbacks_to,
                                          cancel_callbacks=cancel_callbacks)
    what = ("" if not moved else f"; {moved} pending callback(s) moved to queue "
            f"{callbacks_to}" if callbacks_to else f"; {moved} pending callback(s) cancelled")
    emit({"name": name, "active": False, "callbacks_moved_to": callbacks_to if moved else None,
          "callbacks": moved}) if as_json else make_console().print(
        f"queue {name}: retired{what}")


@queue_app.command("callbacks")
def queue_callbacks(
    queue: Annotated[str | None, typer.Option("--queue", help="Only this queue.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="pending, completed, failed, opted_out, cancelled.")] = None,
    move_to: Annotated[str | None, typer.Option(
        "--move-to", help="Move --queue's pending callbacks to this queue (places kept).")]
    = None,
    cancel: Annotated[bool, typer.Option(
        "--cancel", help="Cancel --queue's pending callbacks.")] = False,
    cancel_id: Annotated[list[str] | None, typer.Option(
        "--cancel-id", help="Cancel this pending callback (its id; repeatable).")] = None,
    db: DbOption = None, home: HomeOption = None, as_json: JsonOption = False,
) -> None:
    """Queue callbacks: the callers who kept their place, and how it went; --move-to or
    --cancel settles the pending ones of a queue nobody serves (`dialer doctor` names it);
    --cancel-id cancels one callback."""
    from campaigns.models import QueueCallbackStatus
    from campaigns.queue_callbacks import QueueCallbacks
    from campaigns.queue_store import QueueError

    if cancel_id:
        if queue is not None or status is not None or move_to is not None or cancel:
            raise QueueError("--cancel-id names the callbacks itself: give it alone")
        cancelled = QueueCallbacks(queue_store(db, home).store).cancel_callbacks(
            cancel_id, at=now())
        emit({"cancelled": cancelled}) if as_json else make_console().print(
            f"queue callback(s) {', '.join(cancelled)}: cancelled")
        return

    if move_to is not None or cancel:
        if queue is None or (move_to is not None and cancel):
            raise QueueError("--move-to and --cancel need --queue, and only one of them")
        count = QueueCallbacks(queue_store(db, home).store).resettle_callbacks(
            queue, to=move_to, at=now())
        done = f"moved to queue {move_to}" if move_to else "cancelled"
        emit({"queue": queue, "callbacks": count, "moved_to": move_to}) if as_json else \
            make_console().print(f"queue {queue}: {count} pending callback(s) {done}")
        return
    if status is not None and status not in set(QueueCallbackStatus):
        raise QueueError(f"--status {status!r}: choose "
                         f"{', '.join(s.value for s in QueueCallbackStatus)}")
    store = queue_store(db, home, write=False)
    known_queue(store, queue)
    rows = [{"id": c.id, "queue": c.queue, "number": c.number, "place_at": c.place_at,
             "priority": c.priority, "attempts": c.attempts, "status": c.status,
             "source": c.source, "requested_at": c.requested_at,
             "finished_at": c.finished_at, "reason": c.reason,
             "next_attempt_at": c.next_attempt_at, "last_verdict": c.last_verdict}
            for c in QueueCallbacks(store.store).callbacks(queue, status)]
    if as_json:
        emit(rows)
        return
    from rich.table import Table

    table = Table("id", "queue", "number", "place (UTC)", "attempts", "status", "source",
                  "reason")
    for row in rows:
        # Why the compliance gate (or the internal list) ended it, with the audit id of
        # the decision (`dialer compliance audit` finds it).
        # A pending one says what the gate last said (kept with it, migration 0014), so
        # "why has this caller not been called back?" has its answer here too.
        reason = row["reason"] or (held_words(row["last_verdict"], row["next_attempt_at"])
                                   if row["status"] == "pending" else "")
        table.add_row(row["id"][:12], row["queue"], row["number"],
                      f"{row['place_at']:%Y-%m-%d %H:%M:%S}", str(row["attempts"]),
                      row["status"], row["source"], reason)
    make_console().print(table)


def held_words(record: Any, next_attempt_at: datetime | None) -> str:
    """A pending callback's stored gate verdict in a few words (read with the runner's own
    ``verdict_from_record``), and a retry wait; "" when there is nothing to say. An
    unreadable record says so rather than guessing."""
    from dialer.engine.callback_verdicts import VerdictKind, verdict_from_record

    said: list[str] = []
    if record is not None:
        try:
            verdict = verdict_from_record(record)
        except ValueError:
            said.append("gate: stored verdict unreadable")
        else:
            if verdict.kind is not VerdictKind.ALLOWED:
                said.append(f"gate: {verdict.kind.value} ({'; '.join(verdict.reasons)})")
                if verdict.earliest_allowed is not None:
                    until = datetime.fromtimestamp(verdict.earliest_allowed, UTC)
                    said.append(f"allowed from {until:%Y-%m-%d %H:%M} UTC")
                if verdict.decision_id is not None:
                    said.append(f"audit {verdict.decision_id}")
    if next_attempt_at is not None:
        said.append(f"next try {next_attempt_at:%Y-%m-%d %H:%M} UTC")
    return ", ".join(said)


def known_queue(store: Any, queue: str | None) -> None:
    """A ``--queue`` filter that names no queue, active or retired, is a typo: an empty
    list would read as "nothing waiting"."""
    from campaigns.queue_store import QueueError

    if queue is not None and not store.ever_named(queue):
        raise QueueError(f"--queue {queue!r}: no queue of that name, active or retired "
                         "(see `dialer queue list`)")


def register(app: typer.Typer) -> None:
    from campaigns.cli_voicemail import voicemail_app

    app.add_typer(queue_app, name="queue")
    app.add_typer(voicemail_app, name="voicemail")
