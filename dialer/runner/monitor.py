"""The snapshot a running campaign publishes: plain data with one shape.

It crosses the control socket, so ``dialer monitor --json``, the dashboard and an agent
desktop read the same document. Every key is always present, whether the runner is still
starting, dialing, or has lost its switch (``None``, 0 or empty where nothing is known),
so a script reading it never meets a missing key. The rich rendering is in
``dialer.runner.dashboard``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dialer.runner.dashboard import render

if TYPE_CHECKING:
    from dialer.runner.runner import Runner

SNAPSHOT_VERSION = 2

# Calls past ringing whose answer is known: a person (or treated as one), or a machine.
_LIVE_STATES = frozenset({"waiting_agent", "bridging", "bridged", "abandoned"})
_DECIDED_STATES = _LIVE_STATES | {"machine"}


def live_answer_rate(finished: int, finished_live: int, calls_by_state: dict[str, int]
                     ) -> float | None:
    """Live answers ÷ attempts whose result is known, counting the calls in progress that
    were already answered (a long conversation is a live answer before it ends)."""
    live = finished_live + sum(calls_by_state.get(s, 0) for s in _LIVE_STATES)
    decided = finished + sum(calls_by_state.get(s, 0) for s in _DECIDED_STATES)
    return live / decided if decided else None


def runner_snapshot(runner: Runner) -> dict[str, Any]:
    now = runner.clock()
    engine = runner.engine
    stats = runner.stats
    status = runner.status.current
    shared = runner.upkeep.shared_ledger
    result: dict[str, Any] = {
        "version": SNAPSHOT_VERSION,
        "campaign": runner.campaign, "instance": runner.owner, "at": now,
        "uptime_s": now - stats.started_at,
        "stopping": runner.stopping,
        "status": status.to_json(),
        "switches": {sid: c.state.value for sid, c in runner.switches.clients.items()},
        "switch_errors": {sid: c.last_error for sid, c in runner.switches.clients.items()},
        "switches_refusing": runner.sends.refusing(),
        "hopper": len(runner.hopper), "dials": stats.dials,
        "dial_rate_per_s": stats.dial_rate(now), "answers": stats.answers,
        "bridges": stats.bridges, "finished": stats.finished, "outcomes": dict(stats.outcomes),
        "events_handled": stats.events_handled, "esl_events": runner.switches.events_received,
        "events_per_s": stats.events_handled / max(now - stats.started_at, 1e-9),
        "answer_to_bridge": stats.latency_summary(),
        "adopted_after_restart": len(runner.recovery.orphans),
        "opt_outs": stats.opt_outs,
        "other_processes": None if shared is None else {
            "live_answers": shared.live_answers, "abandons": shared.abandons},
        "calls_by_state": {}, "agents_by_state": {}, "agents": {}, "agents_logged_in": 0,
        "lines_per_agent": None, "calls_ringing": 0, "calls_in_progress": 0,
        "live_answer_rate": None, "abandon_rate": None,
        "abandon_target": runner.config.abandon_target,
        "live_answers_in_window": 0, "abandons_in_window": 0,
        "pacing": {"policy": getattr(runner.policy, "name", type(runner.policy).__name__),
                   "calls_to_launch": None, "explanation": "no decision yet"},
        **runner.inbound.snapshot(engine, now),
        "inbound_calls": runner.inbound_calls.snapshot(),
        "alerts": runner.alerts.snapshot(),
    }
    if engine is None:
        return result
    snap = engine.snapshot(now)
    logged_in = sum(n for s, n in snap.agents_by_state.items() if s != "logged_out")
    ringing = snap.calls_by_state.get("dialing", 0) + snap.calls_by_state.get("ringing", 0)
    result.update({
        "calls_by_state": snap.calls_by_state, "agents_by_state": snap.agents_by_state,
        "agents": {aid: {"state": a.state.value, "since_s": max(0.0, now - a.since),
                         "call": a.call_id, "reason": a.reason or None}
                   for aid, a in sorted(engine.pool.agents.items())},
        "agents_logged_in": logged_in,
        "lines_per_agent": sum(snap.calls_by_state.values()) / logged_in if logged_in else None,
        "calls_ringing": ringing,
        "calls_in_progress": sum(snap.calls_by_state.values()),
        "live_answer_rate": live_answer_rate(stats.finished, stats.live_answers,
                                             snap.calls_by_state),
        "abandon_rate": snap.abandon_rate, "abandon_target": snap.abandon_target,
        "live_answers_in_window": snap.live_answers_in_window,
        "abandons_in_window": snap.abandons_in_window,
    })
    decision = snap.last_decision
    if decision is not None:
        result["pacing"].update({"calls_to_launch": decision.calls_to_launch,
                                 "explanation": decision.explanation})
    return result


__all__ = ["SNAPSHOT_VERSION", "live_answer_rate", "render", "runner_snapshot"]
