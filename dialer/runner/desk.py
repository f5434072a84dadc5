"""Control-socket requests of agent desktops and supervisors (beyond login/ready/pause).

Each request is checked here against the engine's current state so the user gets a clear
answer at once; then it goes to the engine as an event (the engine decides and emits the
switch commands; what it still cannot honour comes back as an ``AgentNotice`` on the watch
feed). Requests:

    {"op": "agent", "action": "hold" | "unhold", "agent": "a1"}
    {"op": "agent", "action": "transfer", "agent": "a1", "to": "queue:sales" | "agent:a2"
     | "number:+12015550123"}
    {"op": "agent", "action": "consult", "agent": "a1", "to": "agent:a2" | "number:+1..."}
    {"op": "agent", "action": "consult_complete" | "consult_cancel", "agent": "a1"}
    {"op": "agent", "action": "preview_dial" | "preview_skip", "agent": "a1"}
    {"op": "agent", "action": "accept", "agent": "a1", "work": "<OfferWork.work_id>"}
    {"op": "agent", "action": "dnc", "agent": "a1"}      # the number goes on the internal DNC
    {"op": "agent", "action": "view", "agent": "a1"}
    {"op": "supervise", "action": "listen" | "whisper" | "barge" | "stop", "agent": "a1",
     "supervisor": "sam", "endpoint": "user/2001"}
    {"op": "campaign", "action": "pause" | "resume", "supervisor": "sam",
     "expected_version": 7}
    {"op": "campaign", "action": "stop", "supervisor": "sam", "expected": ["running"],
     "expected_version": 7}
    {"op": "pacing", "changes": {"abandon_target": 0.02, "lines_per_agent": 1.5, ...},
     "supervisor": "sam", "expected_version": 3}

``expected_version`` (optional): the campaign's state version (pacing version for
``pacing``) the console page showed; the store is written only over it
(``campaigns.store.StaleVersion`` otherwise: a ``conflict`` answer, nothing changed).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dialer.commands import AgentState
from dialer.engine.calls import CallState
from dialer.engine.desk import (
    CONSULT_KINDS,
    E164,
    EAVESDROP_MODES,
    TRANSFER_KINDS,
    queue_problem,
)
from dialer.events import (
    AgentAccepted,
    ConsultFinished,
    ConsultRequested,
    DialingPaused,
    EavesdropRequested,
    HoldRequested,
    PreviewDecided,
    TransferRequested,
)
from dialer.runner.errors import RunnerError
from dialer.runner.watch import agent_view

if TYPE_CHECKING:
    from dialer.engine.engine import Engine
    from dialer.runner.runner import Runner

DESK_ACTIONS = ("hold", "unhold", "transfer", "consult", "consult_complete", "consult_cancel",
                "preview_dial", "preview_skip", "accept", "dnc", "view")
PACING_KEYS = frozenset({"pacing_policy", "pacing_params", "abandon_target",
                         "lines_per_agent", "max_lines"})
"""What a supervisor may change on a running campaign (validated within the legal bounds
by ``CampaignSettings``: e.g. the abandonment target never above 3 %)."""


def _fail(text: str) -> dict[str, Any]:
    return {"ok": False, "error": text}


def _target(value: object, kinds: tuple[str, ...]) -> tuple[str, str]:
    kind, _, target = str(value or "").partition(":")
    if kind not in kinds or not target:
        raise RunnerError(f"'to' must be one of {', '.join(k + ':...' for k in kinds)}")
    if kind == "number" and not E164.match(target):
        raise RunnerError(f"{target!r} is not an E.164 number like +12015550123")
    return kind, target


async def desk_action(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    engine = runner.engine
    assert engine is not None
    action = request.get("action")
    agent_id = str(request.get("agent", ""))
    agent = engine.pool.agents.get(agent_id)
    if action == "view":
        return {"ok": True, "view": agent_view(runner, agent_id)}
    if agent is None or agent.state is AgentState.LOGGED_OUT:
        return _fail(f"agent {agent_id!r} is not logged in")
    now = runner.clock()
    call = engine.calls.get(agent.call_id) if agent.call_id else None
    connected = (agent.state is AgentState.ON_CALL and call is not None
                 and call.state is CallState.BRIDGED)
    consulting = engine.consults.by_agent.get(agent_id)
    try:
        if action in ("hold", "unhold", "transfer", "consult"):
            if not connected:
                return _fail(f"agent {agent_id!r} has no connected call")
            if consulting is not None:
                return _fail("finish the consultation first")
        if action in ("hold", "unhold"):
            runner.post(HoldRequested(now, agent_id, action == "hold"))
        elif action == "transfer":
            kind, target = _target(request.get("to"), TRANSFER_KINDS)
            _check_agent_target(runner, agent_id, kind, target, need_ready=False)
            runner.post(TransferRequested(now, agent_id, kind, target))
        elif action == "consult":
            kind, target = _target(request.get("to"), CONSULT_KINDS)
            _check_agent_target(runner, agent_id, kind, target, need_ready=True)
            runner.post(ConsultRequested(now, agent_id, kind, target))
        elif action in ("consult_complete", "consult_cancel"):
            if consulting is None:
                return _fail(f"agent {agent_id!r} is not consulting anyone")
            if action == "consult_complete" and consulting.state.value != "talking":
                return _fail("the consulted party has not answered yet")
            runner.post(ConsultFinished(now, agent_id, action == "consult_complete"))
        elif action in ("preview_dial", "preview_skip"):
            if agent_id not in engine.previews:
                return _fail(f"agent {agent_id!r} has no lead to preview")
            runner.post(PreviewDecided(now, agent_id, action == "preview_dial"))
        elif action == "accept":
            runner.post(AgentAccepted(now, agent_id, str(request.get("work", ""))))
        elif action == "dnc":
            number = await _opt_out(runner, agent_id, str(request.get("call") or ""))
            return {"ok": True, "agent": agent_id, "number_listed": _mask(number)}
        else:
            return _fail(f"unknown agent action {action!r}")
    except RunnerError as error:
        return _fail(str(error))
    return {"ok": True, "agent": agent_id, "was": agent.state.value}


def _check_agent_target(runner: Runner, agent_id: str, kind: str, target: str,
                        need_ready: bool) -> None:
    engine = runner.engine
    assert engine is not None
    if kind == "queue":  # answered at once, as the engine would refuse it
        # Unserved first: asking an implicit QueueSet whether a queue is open makes it one.
        problem = unserved_queue_problem(engine, target) or \
            queue_problem(engine.inbound.queues, target, runner.clock())
        if problem:
            raise RunnerError(problem)
        return
    if kind != "agent":
        return
    other = engine.pool.agents.get(target)
    if target == agent_id:
        raise RunnerError("you cannot transfer a call to yourself")
    if other is None or other.state is AgentState.LOGGED_OUT:
        raise RunnerError(f"agent {target!r} is not logged in on this campaign")
    if need_ready and other.state is not AgentState.READY:
        raise RunnerError(f"agent {target!r} is {other.state.value}, not ready")


def unserved_queue_problem(engine: Engine, name: str) -> str | None:
    """Why a transfer to queue ``name`` of a campaign with no queue configuration would
    strand its caller (None: something serves it). Such a campaign's engine takes any queue
    name (``QueueSet.implicit``, the inbound of before queue files), so ``queue:nosuch``,
    a slip at the desk, was taken: the customer left the agent for a line of that name that
    no dialplan, queue file or agent knew of. Fail closed: served is a line a caller came
    in on during this run (the switch's dialplan names it) or one an agent of the campaign
    has as a skill; a configured campaign's queues are ``queue_problem``'s."""
    queues = engine.inbound.queues
    if not queues.implicit or name in queues.queues:
        return None
    skills = {skill for agent in engine.pool.agents.values() for skill in agent.skills}
    if name in skills:
        return None
    from dialer.words import did_you_mean

    return (f"queue {name!r} is served by nothing on this campaign"
            f"{did_you_mean(name, sorted({*queues.queues, *skills}))}: no queue is "
            "configured for it (`dialer queue list`), no caller came in on it and no agent "
            "has it as a skill; the customer stays with you (transfer to an agent or a "
            "number)")


async def _opt_out(runner: Runner, agent_id: str, asked: str = "") -> str:
    """The customer asked not to be called again: their number goes on the internal DNC now
    (47 CFR 64.1200(d)(3): honoured within a reasonable time, here at once)."""
    engine = runner.engine
    assert engine is not None
    agent = engine.pool.agents[agent_id]
    call = engine.calls.get(agent.call_id) if agent.call_id else None
    number = call.number_e164 if call is not None else ""
    call_id = call.call_id if call is not None else runner.to_dispose.get(agent_id, "")
    if not call_id and runner.execution.wraps.correctable(agent_id, asked, runner.clock()):
        call_id = asked  # a DNC disposition correcting the fallback of the call just ended
    if not number and call_id:
        last = runner.watchers.last_call.get(agent_id)
        number = last["number"] if last and last["id"] == call_id else ""
    if not number:
        raise RunnerError(f"agent {agent_id!r} has no call whose number could be listed")
    await runner.db.call(runner.internal_dnc.add, number, datetime.fromtimestamp(
        runner.clock(), tz=UTC), f"asked not to be called (agent {agent_id})",
        f"campaign:{runner.campaign}", f"call:{call_id}")
    runner.stats.opt_outs += 1
    return number


def _mask(number: str) -> str:
    from dialer.logs import mask_number

    return mask_number(number)


async def supervise(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    engine = runner.engine
    assert engine is not None
    action = str(request.get("action", ""))
    supervisor = str(request.get("supervisor", ""))
    if not supervisor:
        return _fail("supervise needs the supervisor's name")
    if action == "stop":
        leg = runner.eavesdrops.pop(supervisor, None)
        if leg is None:
            return _fail(f"{supervisor} is not listening to anyone")
        await runner.hang_up_leg(leg)
        return {"ok": True, "stopped": True}
    if action not in EAVESDROP_MODES:
        return _fail(f"unknown supervise action {action!r} (listen, whisper, barge, stop)")
    agent_id = str(request.get("agent", ""))
    endpoint = str(request.get("endpoint", ""))
    agent = engine.pool.agents.get(agent_id)
    if agent is None or agent.state is AgentState.LOGGED_OUT or agent.leg_id is None:
        return _fail(f"agent {agent_id!r} is not logged in with a phone")
    if not endpoint:
        return _fail("no phone to call the supervisor on: set your endpoint (e.g. user/2001)")
    previous = runner.eavesdrops.pop(supervisor, None)
    if previous is not None:
        await runner.hang_up_leg(previous)  # a new mode is a new leg
    runner.post(EavesdropRequested(runner.clock(), agent_id, supervisor, endpoint, action))
    return {"ok": True, "agent": agent_id, "mode": action, "endpoint": endpoint}


def _seen_version(request: dict[str, Any]) -> int | None:
    """The version the console page showed (``expected_version``), None when not sent
    (then the action is taken over whatever is stored, as before versions)."""
    version = request.get("expected_version")
    if isinstance(version, bool) or not isinstance(version, int):
        return None
    return version


def _stale(runner: Runner, stale: Any, what: str) -> dict[str, Any]:
    return {"ok": False, "conflict": True, "state": stale.state,
            "state_version": stale.state_version, "pacing_version": stale.pacing_version,
            "error": f"nothing changed: campaign {runner.link.name}'s {what} changed since "
            "the page showed it"}


async def campaign_action(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    """Pause, Resume or Stop from the console. With ``expected_version`` (the state
    version the page showed) the store is written only over that version (a
    compare-and-set: of two tabs in two web processes one wins); the loser's answer is a
    conflict with the state now, and nothing is changed here either."""
    from campaigns.store import IllegalTransition, StaleVersion

    engine = runner.engine
    assert engine is not None
    action = request.get("action")
    if action not in ("pause", "resume", "stop"):
        return _fail(f"unknown campaign action {action!r} (pause, resume, stop)")
    was = "paused" if engine.dialing_paused else "running"
    seen = _seen_version(request)
    if action == "stop":  # as `dialer campaign stop`, written only over the state expected
        expected = request.get("expected") or ["running", "paused"]
        return {**await runner.state_follow.console_stop(
            str(request.get("supervisor", "")), [str(s) for s in expected], seen), "was": was}
    paused = action == "pause"
    reason = str(request.get("reason", ""))
    follow = runner.state_follow
    if seen is None and paused:  # unversioned: a pause is taken at once (it dials less)
        runner.post(DialingPaused(runner.clock(), True, reason))
        # The console's to end, even if the store write fails; by whom for the alert.
        follow.console_pause(str(request.get("supervisor", "")))
    version = None
    try:
        version = await runner.db.call(runner.record_campaign_state, paused, seen,
                                       str(request.get("supervisor", "")))
    except StaleVersion as stale:
        return _stale(runner, stale, "state")
    except IllegalTransition as refused:
        if not paused:
            return _fail(f"not resumed: {refused}")
        # Paused already by a stop, an archive: pausing dials less, still taken.
    except BaseException:
        if paused and seen is not None:  # the store did not answer: fail closed
            runner.post(DialingPaused(runner.clock(), True, reason))
            follow.console_pause(str(request.get("supervisor", "")))
        raise
    if paused and seen is not None:
        runner.post(DialingPaused(runner.clock(), True, reason))
        follow.console_pause(str(request.get("supervisor", "")))
    if not paused:
        # The stored state, read now, decides: a resume it still holds (stopped, paused,
        # unreadable) is refused (state_follow.py).
        held = await follow.console_resume()
        if held is not None:
            return _fail(f"not resumed: {held}")
        runner.post(DialingPaused(runner.clock(), False, reason))
    return {"ok": True, "was": was, "now": "paused" if paused else "running",
            "state_version": version}


async def pacing_change(runner: Runner, request: dict[str, Any]) -> dict[str, Any]:
    """Change pacing settings on the running campaign and in the store (within the legal
    bounds ``CampaignSettings`` enforces); returns the settings before and after."""
    from campaigns.store import StaleVersion, validate_settings
    from dialer.runner.campaign_link import campaign_config, utc
    from dialer.runner.pacing import build_policy

    changes = request.get("changes")
    if not isinstance(changes, dict) or not changes:
        return _fail("pacing needs a non-empty 'changes' object")
    unknown = sorted(set(changes) - PACING_KEYS)
    if unknown:
        return _fail(f"not a pacing setting: {', '.join(unknown)} "
                     f"(allowed: {', '.join(sorted(PACING_KEYS))})")
    link = runner.link
    before = {key: _plain(getattr(link.settings, key)) for key in sorted(PACING_KEYS)}
    try:
        settings = validate_settings(changes, link.settings)
    except Exception as error:
        return _fail(str(error))
    engine = runner.engine
    assert engine is not None
    config = campaign_config(runner.campaign, settings, runner.config.switch_ids,
                             runner.config.abandon_period_start)
    policy_changed = (settings.pacing_policy != link.settings.pacing_policy
                      or settings.pacing_params != link.settings.pacing_params)
    try:
        policy = (await asyncio.to_thread(build_policy, runner.campaign,
                                          config.pacing_policy, config.pacing_params,
                                          guard=settings.compliance.abandon_limit_guard)
                  if policy_changed else runner.policy)
    except Exception as error:
        return _fail(f"pacing policy {config.pacing_policy!r}: {error}")
    try:  # the store first, over the version the page showed: a loser changes nothing
        row = await runner.db.call(runner.store.edit_campaign, link.campaign_id,
                                   {k: changes[k] for k in changes}, at=utc(runner.clock()),
                                   seen_pacing_version=_seen_version(request),
                                   by=str(request.get("supervisor", "")))
    except StaleVersion as stale:
        return _stale(runner, stale, "pacing settings")
    link.settings = settings
    runner.config = config
    runner.policy = policy
    engine.retune(config, policy)
    after = {key: _plain(getattr(settings, key)) for key in sorted(PACING_KEYS)}
    return {"ok": True, "before": before, "after": after,
            "pacing_version": row.pacing_version}


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value
