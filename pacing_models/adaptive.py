"""A reimplementation of VICIdial's adaptive-predictive dial-level controller (baseline).

Followed from VICIdial's documented behaviour and its public source (AST_VDadapt.pl,
``calculate_dial_level``; AST_VDauto_dial.pl for how the dial level becomes calls; the
VICIdial Manager Manual, campaign fields ``adaptive_dropped_percentage``,
``adaptive_maximum_level``, ``adaptive_intensity``, ``adaptive_dl_diff_target``,
``adaptive_latest_server_time``, dial methods ADAPT_HARD_LIMIT / ADAPT_TAPERED /
ADAPT_AVERAGE). Our own code, written from that description:

* Every second the controller samples ready agents, answered calls waiting for an agent and
  active agents; the *differential* is the 15-sample mean of (ready − waiting).
* Every 15 s the dial level is rescaled: ``level × (1 + (differential + diff_target) /
  mean agents × intensity)`` where the intensity multiplier is ``1 + intensity/100`` when
  raising and ``|intensity/100 − 1|`` when lowering; capped to ``adaptive_maximum_level``
  and floored at 1.0.
* Drop rules: if more than 20 calls in the last minute dropped more than 50 %, halve the
  level. If the day's (here: the measurement window's) drop rate exceeds
  ``adaptive_dropped_percentage`` after 50 calls: HARD_LIMIT sets the level to 1.0,
  AVERAGE halves it, TAPERED scales it by min(1, hours left until the latest time ÷ 10)
  (1.0 once that time has passed).
* Calls to place = round(level × (ready + in-call agents)) − calls already existing
  (ringing, answered waiting, and connected), as VICIdial's auto-dialer does.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum

from pacing_models.errors import InvalidParameterError
from pacing_models.interface import AttemptResult, PacingDecision, PacingState
from pacing_models.policies import ratio_count


class AdaptMethod(StrEnum):
    HARD_LIMIT = "ADAPT_HARD_LIMIT"
    TAPERED = "ADAPT_TAPERED"
    AVERAGE = "ADAPT_AVERAGE"


class AdaptivePolicy:
    """VICIdial-style drop-rate feedback controller on a dial level (lines per agent)."""

    name = "adaptive"

    def __init__(
        self,
        *,
        method: str = "ADAPT_HARD_LIMIT",
        adaptive_dropped_percentage: float | None = None,
        adaptive_maximum_level: float = 3.0,
        adaptive_intensity: float = 0.0,
        adaptive_dl_diff_target: float = 0.0,
        available_only_ratio_tally: bool = False,
        latest_time: float | None = None,
        initial_level: float | None = None,
        adjust_every: float = 15.0,
    ) -> None:
        try:
            self.method = AdaptMethod(method.upper())
        except ValueError:
            raise InvalidParameterError(
                f"method must be one of {', '.join(m.value for m in AdaptMethod)}, got {method!r}"
            ) from None
        if not -40.0 <= adaptive_intensity <= 40.0:
            raise InvalidParameterError("adaptive_intensity must be between -40 and 40")
        if adaptive_maximum_level < 1.0:
            raise InvalidParameterError("adaptive_maximum_level must be ≥ 1.0")
        self.dropped_percentage = adaptive_dropped_percentage
        self.maximum_level = adaptive_maximum_level
        self.intensity = adaptive_intensity
        self.diff_target = adaptive_dl_diff_target
        self.available_only = available_only_ratio_tally
        self.latest_time = latest_time
        self.adjust_every = adjust_every
        self.level: float | None = initial_level
        self._samples: deque[tuple[float, float, float]] = deque(maxlen=15)
        self._last_sample: float | None = None
        self._last_adjust: float | None = None
        self._minute: deque[tuple[float, int, int]] = deque()

    def observe_attempt(self, result: AttemptResult, ring_seconds: float, at: float) -> None:
        """VICIdial's controller reads counts from its tables, not attempt by attempt."""

    def observe_handle(self, talk_seconds: float, wrap_seconds: float, at: float) -> None:
        """Handle times play no part in VICIdial's adaptive controller."""

    def _sample(self, state: PacingState) -> None:
        if self._last_sample is not None and state.now - self._last_sample < 1.0:
            return
        self._last_sample = state.now
        ready = state.agents_free
        in_call = len(state.busy_elapsed)
        active = ready if self.available_only else ready + in_call
        self._samples.append((float(ready), float(state.answered_waiting), float(active)))
        self._minute.append((state.now, state.live_answers_in_window, state.abandons_in_window))
        while self._minute and state.now - self._minute[0][0] > 60.0:
            self._minute.popleft()

    def _adjust(self, state: PacingState) -> str:
        level = self.level if self.level is not None else 1.0
        count = len(self._samples)
        ready = sum(s[0] for s in self._samples) / count
        waiting = sum(s[1] for s in self._samples) / count
        agents = sum(s[2] for s in self._samples) / count
        if agents <= 0:
            return "no active agents"
        differential = (ready - waiting) + self.diff_target
        change = differential / agents
        factor = 1.0 + self.intensity / 100.0
        change *= factor if change >= 0 else abs(self.intensity / 100.0 - 1.0)
        level = min(level * (1.0 + change), self.maximum_level)
        level = max(level, 1.0)
        notes = []
        _, live_then, drops_then = self._minute[0]
        live_minute = max(0, state.live_answers_in_window - live_then)
        drops_minute = max(0, state.abandons_in_window - drops_then)
        if live_minute > 20 and drops_minute > 0.5 * live_minute:
            level /= 2.0
            notes.append("over 50 % drops in the last minute: halved")
        limit = (
            self.dropped_percentage / 100.0
            if self.dropped_percentage is not None
            else state.abandon_target
        )
        live = state.live_answers_in_window
        if live > 50 and state.abandons_in_window / live > limit:
            if self.method is AdaptMethod.HARD_LIMIT:
                level = 1.0
            elif self.method is AdaptMethod.AVERAGE:
                level /= 2.0
            else:
                hours_left = (
                    10.0 if self.latest_time is None else (self.latest_time - state.now) / 3600.0
                )
                level = 1.0 if hours_left < 0 else level * min(1.0, hours_left / 10.0)
            notes.append(f"drop rate over {limit:.2%}: {self.method.value}")
        self.level = max(level, 1.0)
        return "; ".join(notes) or f"differential {differential:+.2f} over {agents:.1f} agents"

    def decide(self, state: PacingState) -> PacingDecision:
        if self.level is None:
            self.level = max(1.0, min(state.lines_per_agent, self.maximum_level))
        self._sample(state)
        note = ""
        if self._last_adjust is None:
            self._last_adjust = state.now
        elif state.now - self._last_adjust >= self.adjust_every and self._samples:
            self._last_adjust = state.now
            note = "; " + self._adjust(state)
        in_call = 0 if self.available_only else len(state.busy_elapsed)
        goal = round(self.level * (state.agents_free + in_call))
        existing = (len(state.ringing_elapsed) + len(state.verdict_elapsed)
                    + state.answered_waiting + in_call)
        n = ratio_count(state, self.level, self.available_only)
        return PacingDecision(
            n, f"adaptive {self.method.value}: dial level {self.level:.3f}, goal {goal} − "
            f"{existing} existing → {n}{note}",
        )
