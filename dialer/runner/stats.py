"""What the runner measures about itself: dial rate, answer-to-bridge latency, event rate."""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass, field


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


@dataclass
class RunnerStats:
    started_at: float
    window: float = 60.0
    events_handled: int = 0
    commands_executed: int = 0
    dials: int = 0
    answers: int = 0
    live_answers: int = 0
    bridges: int = 0
    abandons: int = 0
    finished: int = 0
    originate_failures: int = 0
    send_failures: int = 0
    opt_outs: int = 0
    """Opt-outs taken during calls (written to the internal DNC)."""
    failovers: int = 0
    """Legs a gateway refused with a carrier cause, retried on another gateway."""
    late_sends: int = 0
    """Dials not sent because their turn came later than the calling-hours rules' send
    allowance after their decision (``dnc.rules.base.SEND_ALLOWANCE``): each lead retried,
    decided again. More than a few means the journal or the switch link is slow."""
    outcomes: dict[str, int] = field(default_factory=dict)
    _dial_times: deque[float] = field(default_factory=deque)
    _answered_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    """Answer-to-bridge seconds (includes waiting for a free agent, at most the connect
    window), kept sorted."""
    _bridge_sent: dict[str, float] = field(default_factory=dict)
    bridge_latencies: list[float] = field(default_factory=list)
    """``uuid_bridge`` sent to CHANNEL_BRIDGE received: the switch round trip, sorted."""
    incidents: dict[str, int] = field(default_factory=dict)
    """Incidents by kind (message failed, bridge not confirmed, ...), logged at WARNING."""
    _message_sent: dict[str, tuple[str, float]] = field(default_factory=dict)
    message_latencies: dict[str, list[float]] = field(default_factory=dict)
    """Switch → ``uuid_broadcast`` sent to PLAYBACK_START received, seconds, sorted."""

    def incident(self, kind: str) -> None:
        self.incidents[kind] = self.incidents.get(kind, 0) + 1

    def message_sent(self, call_id: str, switch_id: str, at: float) -> None:
        self._message_sent[call_id] = (switch_id, at)

    def message_heard(self, call_id: str, at: float) -> tuple[str, float] | None:
        """The message started: (switch, command-to-playback seconds), once per message."""
        sent = self._message_sent.pop(call_id, None)
        if sent is None:
            return None
        switch_id, sent_at = sent
        latency = max(0.0, at - sent_at)
        bisect.insort(self.message_latencies.setdefault(switch_id, []), latency)
        return switch_id, latency

    def forget_message(self, call_id: str) -> None:
        self._message_sent.pop(call_id, None)

    def bridge_sent(self, call_id: str, at: float) -> None:
        self._bridge_sent[call_id] = at

    def dialed(self, at: float) -> None:
        self.dials += 1
        self._dial_times.append(at)

    def answered(self, call_id: str, at: float) -> None:
        """The connect window starts (the answer, or AMD's decision when AMD is on)."""
        self.answers += 1
        self._answered_at[call_id] = at

    def bridged(self, call_id: str, at: float) -> float | None:
        """Count the bridge; its answer-to-bridge seconds (None: answer not seen)."""
        self.bridges += 1
        answered = self._answered_at.pop(call_id, None)
        latency = None
        if answered is not None:
            latency = max(0.0, at - answered)
            bisect.insort(self.latencies, latency)
        sent = self._bridge_sent.pop(call_id, None)
        if sent is not None:
            bisect.insort(self.bridge_latencies, max(0.0, at - sent))
        return latency

    def ended(self, call_id: str, outcome: str, abandoned: bool, live: bool) -> None:
        self.finished += 1
        self._answered_at.pop(call_id, None)
        self._bridge_sent.pop(call_id, None)
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        self.abandons += abandoned
        self.live_answers += live

    def dial_rate(self, now: float) -> float:
        """Attempts per second over the last ``window`` seconds."""
        times = self._dial_times
        while times and times[0] < now - self.window:
            times.popleft()
        span = min(self.window, max(now - self.started_at, 1e-9))
        return len(times) / span

    def message_latency_summary(self) -> dict[str, dict[str, float | int | None]]:
        return {switch: {"count": len(values), "median_s": percentile(values, 0.5),
                         "p99_s": percentile(values, 0.99),
                         "max_s": values[-1] if values else None}
                for switch, values in self.message_latencies.items()}

    def latency_summary(self, bridge_only: bool = False) -> dict[str, float | int | None]:
        values = self.bridge_latencies if bridge_only else self.latencies
        return {"count": len(values), "median_s": percentile(values, 0.5),
                "p99_s": percentile(values, 0.99), "max_s": values[-1] if values else None}
