"""The live dashboard and the status line: a campaign snapshot in words a supervisor reads.

Input is the plain snapshot of ``dialer.runner.monitor.runner_snapshot`` (the same document
``dialer monitor --json`` prints), so the dashboard of ``dialer run``, ``dialer demo`` and
``dialer monitor`` look the same. Everything fits 80 columns: figures are sentences that
wrap by word, and the agents table drops its least useful columns first.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pacing_models.interface import period_plan_set_aim
from pacing_models.limit_guard import limit_guard_reason

_BUSY = ("reserved", "on_call")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def agents_in_words(snapshot: dict[str, Any]) -> str:
    by_state = snapshot.get("agents_by_state") or {}
    logged_in = snapshot.get("agents_logged_in") or 0
    parts = [f"{by_state[s]} {s.replace('_', ' ')}" for s in
             ("ready", "reserved", "on_call", "wrap_up", "paused", "connecting")
             if by_state.get(s)]
    return f"{_plural(logged_in, 'agent')} logged in" + (f" ({', '.join(parts)})" if parts
                                                         else "")


def pacing_in_words(snapshot: dict[str, Any]) -> str:
    """What pacing is doing, for a supervisor (the policy's own line is the detail)."""
    status = snapshot.get("status") or {}
    activity = status.get("activity", "starting")
    if activity in ("starting", "blocked", "stopping", "finished"):
        return "Not dialing: " + ("; ".join(status.get("reasons") or []) or activity) + "."
    pacing = snapshot.get("pacing") or {}
    launch = pacing.get("calls_to_launch")
    if launch is None:
        return "No pacing decision yet."
    by_state = snapshot.get("agents_by_state") or {}
    free = by_state.get("ready", 0)
    ringing = snapshot.get("calls_ringing", 0)
    learning = "warming up" in (pacing.get("explanation") or "")
    if launch > 0:
        text = f"Dialing {_plural(launch, 'new call')} for {_plural(free, 'free agent')}"
        if ringing:
            text += f" ({ringing} already ringing)"
        text += "."
    elif free == 0:
        busy = sum(by_state.get(s, 0) for s in _BUSY)
        wrap = by_state.get("wrap_up", 0)
        text = (f"Not dialing: no agent is free ({busy} on calls, {wrap} in wrap-up); new "
                "calls start as agents are expected to free up.")
    else:
        text = (f"Not dialing now: the {_plural(ringing, 'call')} ringing should bring enough "
                f"answers for the {_plural(free, 'free agent')}.")
    if learning:
        text += (" Still learning this campaign's answer and talk times: one line per free "
                 "agent until then.")
    if period_plan_set_aim(pacing.get("explanation")):
        text += (" The period plan set the abandonment aim: this period is measured whole, "
                 "so the answers it can count on by its end pay for abandons now.")
    held = limit_guard_reason(pacing.get("explanation"))
    if held is not None:
        text += (" The abandonment-limit guard held the policy back, as the lines beyond the "
                 f"free agents could abandon more calls than the window allows ({held}).")
    rate, target = snapshot.get("abandon_rate"), snapshot.get("abandon_target")
    if rate is not None and target is not None and rate > target:
        text += (f" Abandonment {_pct(rate)} is over the {target:.0%} limit: the policy "
                 "dials less until it is back under.")
    return text


def status_line(snapshot: dict[str, Any], at: float | None = None) -> str:
    """One line for a log or a pipe: what it is doing, the key figures, why not dialing."""
    clock = time.strftime("%H:%M:%S", time.localtime(at if at is not None else
                                                     snapshot.get("at", time.time())))
    status = snapshot.get("status") or {}
    activity = status.get("activity", "starting")
    live = snapshot.get("live_answers_in_window", 0)
    parts = [
        f"{clock} {snapshot.get('campaign', '?')} {activity}",
        agents_in_words(snapshot),
        f"{_plural(snapshot.get('calls_in_progress', 0), 'call')} in progress "
        f"({snapshot.get('calls_ringing', 0)} ringing)",
        f"dials {snapshot.get('dials', 0)}, connected {snapshot.get('bridges', 0)}",
        f"abandoned {snapshot.get('abandons_in_window', 0)}/{live} live "
        f"({_pct(snapshot.get('abandon_rate'))})",
        f"hopper {snapshot.get('hopper', 0)}",
    ]
    if period_plan_set_aim((snapshot.get("pacing") or {}).get("explanation")):
        parts.append("aim set by the period plan")
    reasons = status.get("reasons") or []
    if reasons and activity != "waiting":
        parts.append(("not dialing: " if activity != "stopping" else "") + "; ".join(reasons))
    return " · ".join(parts)


def _agents_table(snapshot: dict[str, Any], width: int) -> Table:
    table = Table(title="Agents", title_justify="left", expand=True, pad_edge=False)
    table.add_column("agent", no_wrap=True, overflow="ellipsis", max_width=16)
    table.add_column("state", no_wrap=True)
    table.add_column("for", justify="right", no_wrap=True)
    table.add_column("call", no_wrap=True, overflow="ellipsis", max_width=10)
    table.add_column("pause reason", overflow="fold", ratio=1)
    agents = snapshot.get("agents") or {}
    for name, agent in agents.items():
        state = agent.get("state", "")
        reason = agent.get("reason") or "" if state == "paused" else ""
        table.add_row(escape(name), state.replace("_", " "), _duration(agent.get("since_s")),
                      (agent.get("call") or "")[:8], escape(reason))
    if not agents:
        table.add_row("—", "no agent logged in", "", "", "")
    return table


def render(snapshot: dict[str, Any], detail: bool = False, width: int = 80) -> Panel:
    """One frame of the dashboard (``detail``: the policy's own explanation too)."""
    status = snapshot.get("status") or {}
    activity = status.get("activity", "starting")
    rate = snapshot.get("abandon_rate")
    target = snapshot.get("abandon_target") or 0.0
    over = rate is not None and rate > target
    latency = snapshot.get("answer_to_bridge") or {}
    median = latency.get("median_s")
    figures = Text()
    figures.append(f"{agents_in_words(snapshot)}. ")
    figures.append(f"{_plural(snapshot.get('calls_in_progress', 0), 'call')} in progress, "
                   f"{snapshot.get('calls_ringing', 0)} ringing. ")
    figures.append(f"Dials {snapshot.get('dials', 0)} "
                   f"({snapshot.get('dial_rate_per_s', 0):.2f}/s), connected "
                   f"{snapshot.get('bridges', 0)}, live-answer rate "
                   f"{_pct(snapshot.get('live_answer_rate'))}. ")
    figures.append("Abandoned ")
    figures.append(f"{_pct(rate)}", style="bold red" if over else "bold green")
    figures.append(f" of live answers (limit {target:.0%}, "
                   f"{snapshot.get('abandons_in_window', 0)}/"
                   f"{snapshot.get('live_answers_in_window', 0)} in the window). ")
    figures.append(f"Answer to agent median "
                   f"{'—' if median is None else f'{median * 1000:.0f} ms'}. "
                   f"Hopper {_plural(snapshot.get('hopper', 0), 'lead')}.")
    outcomes = snapshot.get("outcomes") or {}
    outcome_line = Text("Outcomes: " + (", ".join(
        f"{k.replace('_', ' ')} {v}" for k, v in sorted(outcomes.items())) or "none yet"),
        style="dim")
    pacing = snapshot.get("pacing") or {}
    words = Text()
    words.append("Pacing ", style="bold")
    words.append(f"({pacing.get('policy', '?')}): ")
    words.append(pacing_in_words(snapshot),
                 style="yellow" if activity in ("blocked", "stopping") else "")
    parts: list[Any] = [figures, words]
    if detail:
        parts.append(Text(f"policy: {pacing.get('explanation', '')}", style="dim"))
    parts += [_agents_table(snapshot, width), *_queue_lines(snapshot), outcome_line]
    refusing = snapshot.get("switches_refusing") or {}
    switches = ", ".join(f"{sid} {state}" + (" (refuses every call: no dial)"
                                             if sid in refusing else "")
                         for sid, state in (snapshot.get("switches") or {}).items())
    others = snapshot.get("other_processes")
    shared = (f" · other processes {others['abandons']}/{others['live_answers']} of the "
              "window" if others and others.get("live_answers") else "")
    parts.append(Text(f"{snapshot.get('instance', '')} · switches: {switches or 'none'}"
                      f"{shared} · events {snapshot.get('events_handled', 0)} "
                      f"({snapshot.get('events_per_s', 0):.0f}/s)", style="dim"))
    uptime = snapshot.get("uptime_s", 0)
    title = Text.assemble("campaign ", (str(snapshot.get("campaign", "?")), "bold"),
                          f" · {activity} · {_duration(uptime) or '0s'}")
    return Panel(Group(*parts), title=title, title_align="left")


def _queue_lines(snapshot: dict[str, Any]) -> list[Text]:
    """One line per inbound queue, then the active alerts in red."""
    lines = []
    for queue in snapshot.get("queues") or []:
        level = queue.get("service_level")
        target = queue.get("service_level_target") or 0.0
        line = Text()
        line.append(f"Queue {queue['name']}", style="bold")
        line.append("" if queue.get("open", True) else " (closed)")
        line.append(f": {queue['waiting']} waiting (longest {queue['longest_wait_s']:.0f} s), "
                    f"{_plural(queue['callbacks_waiting'], 'callback')}, {queue['agents_ready']}/"
                    f"{queue['agents_logged_in']} agents ready, service level ")
        line.append(_pct(level), style="" if level is None else
                    "bold green" if level >= target else "bold red")
        line.append(f" (target {target:.0%}), answered {queue['answered']}/"
                    f"{queue['offered']}, voicemails {queue['voicemails']}, "
                    f"{queue.get('arrivals_per_hour', 0):.0f} calls/h.")
        lines.append(line)
    if snapshot.get("agents_reserved"):
        lines.append(Text(f"Blending: {_plural(snapshot['agents_reserved'], 'agent')} kept for "
                          "the queues (not dialed for).", style="dim"))
    for alert in snapshot.get("alerts") or []:
        lines.append(Text(f"ALERT {alert['message']}", style="bold red"))
    return lines


def not_running(campaign: str, since: float | None, problem: str) -> Panel:
    """The frame ``dialer monitor`` shows while no runner answers."""
    when = (f" since {time.strftime('%H:%M:%S', time.localtime(since))}"
            if since is not None else "")
    return Panel(Text(f"The campaign is not running{when}: {problem}\nWaiting for "
                      f"`dialer run {campaign}` to start; Ctrl-C to leave."),
                 title=Text.assemble("campaign ", (campaign, "bold"), " · not running"),
                 title_align="left", border_style="yellow")
