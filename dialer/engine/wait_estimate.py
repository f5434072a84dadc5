"""How long a waiting caller will still wait, from the queue's live state.

The model is the one behind Erlang C and Erlang A, asked about *this* caller rather than an
average one: with every serving agent busy, calls leave the head of the line at the agents'
rate ``n/h`` (``n`` agents serving the queue, ``h`` the mean handle time), and each of the
``m`` callers ahead of this one may also give up, at rate ``θ`` each (exponential patience,
Palm's model, Erlang A). The line in front shrinks one caller at a time, at rate
``n/h + j·θ`` while ``j`` callers are ahead, so the expected wait is

    E[W | m ahead] = Σ_{j=0..m} 1 / (n/h + j·θ)

which is exactly ``(m + 1)·h/n`` when nobody abandons (M/M/n, Erlang C). ``h`` and ``θ``
are learnt from the queue's own calls (mean handle time; abandons ÷ time spent waiting,
the maximum-likelihood rate of exponential patience with censoring).

Blended agents also take outbound calls and other queues, which the formula does not see;
a calibration factor (the running ratio of actual to predicted waits, in logs so that one
long wait does not swamp it) corrects the estimate with what the queue really does. Its
accuracy is measured in simulation (docs/inbound.md, "Wait estimates").
"""

from __future__ import annotations

import math

_MIN_HANDLE_TIME = 1.0
_ALPHA = 0.05
"""Weight of the newest observation in the running means (about the last 20 calls)."""
_RATIO_BOUNDS = (0.25, 4.0)


class WaitEstimator:
    """One queue's handle time, patience and calibration."""

    __slots__ = ("abandons", "handle_time", "handles", "log_ratio", "ratios", "waited")

    def __init__(self, handle_time: float) -> None:
        self.handle_time = handle_time
        """Mean handle time (talk + wrap-up), seconds: the configured value until measured."""
        self.handles = 0
        self.abandons = 0
        self.waited = 0.0
        """Seconds waited by every caller who left the line (served or not)."""
        self.log_ratio = 0.0
        self.ratios = 0

    def observe_handle(self, seconds: float) -> None:
        self.handles += 1
        weight = max(_ALPHA, 1.0 / self.handles)
        self.handle_time += weight * (seconds - self.handle_time)

    def observe_wait(self, seconds: float, abandoned: bool, predicted: float | None) -> None:
        self.waited += max(0.0, seconds)
        if abandoned:
            self.abandons += 1
        elif predicted is not None and predicted > 1.0 and seconds > 0.0:
            self.ratios += 1
            weight = max(_ALPHA, 1.0 / self.ratios)
            ratio = min(max(seconds / predicted, _RATIO_BOUNDS[0]), _RATIO_BOUNDS[1])
            self.log_ratio += weight * (math.log(ratio) - self.log_ratio)

    @property
    def patience_rate(self) -> float:
        """θ: abandons per second of waiting (0 until a first abandon)."""
        return self.abandons / self.waited if self.waited > 0 else 0.0

    @property
    def calibration(self) -> float:
        return math.exp(self.log_ratio)

    def model_wait(self, ahead: int, agents: int) -> float:
        """Expected wait with ``ahead`` callers in front and ``agents`` all busy (no
        calibration); inf with no agent."""
        if agents <= 0:
            return math.inf
        # A first handle measured at 0 s (disposed at once) must not make service infinite.
        service = agents / max(self.handle_time, _MIN_HANDLE_TIME)
        theta = self.patience_rate
        if theta <= 0.0:
            return (ahead + 1) / service
        return sum(1.0 / (service + j * theta) for j in range(ahead + 1))

    def estimate(self, position: int, agents: int, free_agents: int) -> float:
        """Seconds this caller (``position`` 1 = next) will still wait, calibrated."""
        if position <= free_agents:
            return 0.0
        wait = self.model_wait(position - 1 - free_agents, agents)
        return wait * self.calibration if math.isfinite(wait) else wait
