"""Simulated inbound callers for scenarios with queues: they arrive by hour, choose in the
menus, wait (or give up), ask for a callback when it is offered, leave voicemail, and answer
(or not) when called back.

A component the driver owns when the scenario configures ``[[queues]]``; the engine decides
everything (menus, order, announcements, overflow, callbacks, the blending reserve), this
module only plays the callers and turns the engine's inbound commands into the events a
switch would report:

| command | what the caller does |
|---|---|
| ``PlayPrompt`` of a menu | presses a key drawn from ``[inbound.keys]`` after ``key_delay`` s |
| ``PlayPrompt`` with the callback offer | accepts with ``callback_acceptance``, 1 s later |
| ``PlayPrompt(hangup_after)`` | the switch hangs up when the prompts end |
| ``StartRecording`` (voicemail) | speaks ``voicemail_message`` s, then hangs up |
| ``Originate`` of a queue callback | answers with ``callback_answer`` after 8 s, else rings out |

The engine's own records (``AttemptFinished`` with queue, queued and bridged times, and its
wait estimate at entry) are kept for the queue metrics (``inbound_metrics``): its times are
exact under simulation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from dialer.commands import (
    AttemptFinished,
    CallOutcome,
    Direction,
    Originate,
    PlayPrompt,
    StartRecording,
)
from dialer.engine.prompts import KEYS, PromptSet
from dialer.engine.queues import QueueSet
from dialer.events import CallAnswered, CallHungUp, DtmfReceived, InboundCallArrived
from dialer.hangup import HangupCause, HangupSide

if TYPE_CHECKING:
    from simulations.driver import Simulation

SHORT_ABANDON = 5.0
_CALLBACK_ANSWER_AFTER = 8.0
_OFFER = "/callback_offer."


@dataclass(slots=True)
class InboundRecord:
    """What the metrics need of one inbound call (from the engine's record)."""

    queue: str
    arrived: float
    queued: float | None
    bridged: float | None
    ended: float
    outcome: str
    estimated_wait: float | None


@dataclass(slots=True)
class CallbackRecord:
    queue: str
    requested: float
    completed: bool


@dataclass
class InboundTally:
    records: list[InboundRecord] = field(default_factory=list)
    callbacks_answered: int = 0
    callbacks_dialed: int = 0
    talk: float = 0.0
    """Agent seconds talking with inbound callers and queue callbacks (within the shift)."""


class InboundCallers:
    """The callers of a scenario's queues (one per ``Simulation``)."""

    def __init__(self, simulation: Simulation, queues: QueueSet, prompts: PromptSet,
                 rng: np.random.Generator, hour_of: Callable[[float], int]) -> None:
        self.sim = simulation
        self.settings = simulation.scenario.inbound
        self.queues = queues
        self.prompts = prompts
        self.rng = rng
        self.hour_of = hour_of
        self.tally = InboundTally()
        self._menu_files = {prompts.files[p] for q in queues if q.config.ivr is not None
                            for m in q.config.ivr.menus.values() for p in m.prompt}
        names = list(self.settings.queues) or [next(iter(queues)).name]
        weights = np.array(list(self.settings.queues.values()) or [1.0], dtype=float)
        self._queue_names = names
        self._queue_weights = weights / weights.sum()
        keys = self.settings.keys
        self._keys = list(keys)
        self._key_weights = np.array(list(keys.values()), dtype=float)
        if keys:
            self._key_weights = self._key_weights / self._key_weights.sum()
        self._digits = {prompts.files[name]: digit for digit, name in KEYS.items()
                        if name in prompts.files}
        """The path of each spoken key → the key."""
        by_path = {path: prompts.durations[name] for name, path in prompts.files.items()}
        self._by_path = by_path
        self._numbers = 0

    # --- arrivals --------------------------------------------------------------------------

    def rate(self, at: float) -> float:
        """Calls per hour arriving at ``at``."""
        by_hour = self.settings.calls_per_hour_by_hour
        return by_hour[self.hour_of(at)] if by_hour else self.settings.calls_per_hour

    def next_arrival(self, at: float, shift_end: float) -> float | None:
        """The next arrival after ``at`` (a Poisson process whose rate changes by the hour,
        drawn by thinning against the day's highest rate)."""
        by_hour = self.settings.calls_per_hour_by_hour
        peak = max(by_hour) if by_hour else self.settings.calls_per_hour
        if peak <= 0:
            return None
        t = at
        while True:
            t += self.rng.exponential(3600.0 / peak)
            if t >= shift_end:
                return None
            if self.rng.random() * peak <= self.rate(t):
                return t

    def arrive(self, at: float, call_id: str, talk: float, wrap: float, patience: float
               ) -> InboundCallArrived:
        from simulations.driver import SimCall
        from simulations.streams import LIVE

        self._numbers += 1
        queue = self._queue_names[int(self.rng.choice(len(self._queue_names),
                                                      p=self._queue_weights))]
        self.sim.calls[call_id] = SimCall(LIVE, talk, patience, wrap, 1.0, inbound=True,
                                          answered_at=at)
        return InboundCallArrived(at, call_id, queue, f"+1555{self._numbers:07d}",
                                  customer_key=f"caller{self._numbers}")

    # --- commands --------------------------------------------------------------------------

    def play(self, command: PlayPrompt) -> None:
        sim = self.sim
        call = sim._live(command.call_id)
        if call is None:
            return
        t = command.at
        if command.hangup_after:
            sim._schedule(t + self._length(command.files), self._hang_up, command.call_id)
            return
        files = command.files
        if files and files[0] in self._menu_files and self._keys:
            key = self._keys[int(self.rng.choice(len(self._keys), p=self._key_weights))]
            sim._schedule(t + self.settings.key_delay, self._press, (command.call_id, key))
        else:
            offer = next((i for i, f in enumerate(files) if _OFFER in f), None)
            if offer is not None and offer + 1 < len(files) and \
                    self.rng.random() < self.settings.callback_acceptance:
                # The key follows the offer ("... press" "one").
                digit = self._digits.get(files[offer + 1], "1")
                sim._schedule(t + self._length(files[:offer + 2]) + 1.0, self._press,
                              (command.call_id, digit))

    def record(self, command: StartRecording) -> None:
        sim = self.sim
        call = sim._live(command.call_id)
        if call is not None:
            call.bridged = True  # leaving a message: no longer waiting (patience off)
            sim._schedule(command.at + self.settings.voicemail_message, self._hang_up,
                          command.call_id)

    def originate(self, command: Originate) -> None:
        """A queue callback: the caller answers (or not), then talks with the agent."""
        from simulations.driver import SimCall
        from simulations.streams import LIVE

        sim = self.sim
        self.tally.callbacks_dialed += 1
        talk, wrap, _ = sim.inbound.next_caller()
        sim.calls[command.call_id] = SimCall(LIVE, talk, math.inf, wrap, 1.0)
        if self.rng.random() < self.settings.callback_answer:
            self.tally.callbacks_answered += 1
            sim._schedule(command.at + _CALLBACK_ANSWER_AFTER, self._answer, command.call_id)
        else:
            sim._schedule(command.at + command.ring_timeout, self._no_answer, command.call_id)

    def finished(self, command: AttemptFinished) -> None:
        if command.bridged_at is not None and (command.direction is Direction.INBOUND or (
                command.lead_id or "").startswith("queue-callback:")):
            shift = self.sim.scenario.campaign.shift_hours * 3600.0
            day_end = (command.bridged_at // 86400.0) * 86400.0 + shift
            self.tally.talk += max(0.0, min(command.ended_at, day_end) - command.bridged_at)
        if command.direction is Direction.INBOUND:
            self.tally.records.append(InboundRecord(
                command.queue or "", command.dialed_at or command.at, command.queued_at,
                command.bridged_at, command.ended_at, command.outcome.value,
                command.estimated_wait))

    # --- timers ----------------------------------------------------------------------------

    def _length(self, files: tuple[str, ...]) -> float:
        return sum(self._by_path.get(f, 1.0) for f in files)

    def _press(self, at: float, what: tuple[str, str]) -> None:
        call_id, key = what
        if self.sim._live(call_id) is not None and not self.sim.calls[call_id].bridged:
            self.sim._feed(DtmfReceived(at, call_id, key))

    def _hang_up(self, at: float, call_id: str) -> None:
        call = self.sim._live(call_id)
        if call is not None:
            self.sim._finish(call, at)
            self.sim._feed(CallHungUp(at, call_id, HangupCause.NORMAL_CLEARING,
                                      HangupSide.CALLEE))  # the caller hung up

    def _answer(self, at: float, call_id: str) -> None:
        call = self.sim._live(call_id)
        if call is not None:
            call.answered_at = at
            self.sim._feed(CallAnswered(at, call_id))

    def _no_answer(self, at: float, call_id: str) -> None:
        call = self.sim._live(call_id)
        if call is not None:
            self.sim._finish(call, at)
            self.sim._feed(CallHungUp(at, call_id, HangupCause.NO_ANSWER,
                                      HangupSide.DIALER))  # the dialer gave up ringing


def inbound_metrics(tally: InboundTally, queues: QueueSet, window: float = 3600.0
                    ) -> dict[str, Any]:
    """Per queue: offered, answered, abandoned, service level (overall and the worst
    ``window`` with at least 20 calls), ASA; and the wait-estimate calibration (errors of
    the estimate at entry)."""
    by_queue: dict[str, dict[str, Any]] = {}
    for queue in queues:
        records = [r for r in tally.records if r.queue == queue.name and r.queued is not None]
        within = queue.config.service_level.within
        answered = [r for r in records if r.bridged is not None]
        abandoned = [r for r in records if r.outcome in (
            CallOutcome.QUEUE_ABANDONED.value, CallOutcome.HUNG_UP_ANSWERED.value)
            and r.ended - r.queued >= SHORT_ABANDON]  # type: ignore[operator]
        windows: dict[int, list[int]] = {}
        for r in answered:
            slot = windows.setdefault(int(r.queued // window), [0, 0])  # type: ignore[operator]
            slot[0] += (r.bridged - r.queued) <= within  # type: ignore[operator]
            slot[1] += 1
        for r in abandoned:
            windows.setdefault(int(r.queued // window), [0, 0])[1] += 1  # type: ignore[operator]
        counted = len(answered) + len(abandoned)
        levels = [w[0] / w[1] for w in windows.values() if w[1] >= 20]
        by_queue[queue.name] = {
            "offered": len(records), "answered": len(answered), "abandoned": len(abandoned),
            "service_level": (sum((r.bridged - r.queued) <= within  # type: ignore[operator]
                                  for r in answered) / counted) if counted else None,
            "worst_window_service_level": min(levels) if levels else None,
            "target": queue.config.service_level.target,
            "asa": float(np.mean([r.bridged - r.queued for r in answered]))  # type: ignore
            if answered else None,
            "voicemails": sum(r.outcome == "voicemail" for r in tally.records
                              if r.queue == queue.name),
            "callbacks_requested": sum(r.outcome == "callback_requested" for r in tally.records
                                       if r.queue == queue.name),
        }
    return {"queues": by_queue, "inbound_talk": tally.talk,
            "callbacks_dialed": tally.callbacks_dialed,
            "callbacks_answered": tally.callbacks_answered,
            "wait_calibration": calibration_table(tally.records)}


CALIBRATION_BINS = (0.0, 30.0, 60.0, 120.0, 300.0, 600.0, math.inf)


def calibration_table(records: list[InboundRecord]) -> list[dict[str, Any]]:
    """The wait estimate given at entry against the wait the answered caller had, by bin of
    the estimate: count, mean estimate, mean actual, mean and median error, and the share
    within ±30 s or ±25 %."""
    rows = []
    pairs = [(r.estimated_wait, r.bridged - r.queued) for r in records  # type: ignore
             if r.bridged is not None and r.queued is not None and r.estimated_wait is not None]
    for low, high in itertools.pairwise(CALIBRATION_BINS):
        chosen = [(e, a) for e, a in pairs if low <= e < high]
        if not chosen:
            continue
        estimate = np.array([e for e, _ in chosen])
        actual = np.array([a for _, a in chosen])
        error = actual - estimate
        close = np.abs(error) <= np.maximum(30.0, 0.25 * estimate)
        rows.append({"estimate_from": low, "estimate_to": high, "calls": len(chosen),
                     "mean_estimate": round(float(estimate.mean()), 1),
                     "mean_actual": round(float(actual.mean()), 1),
                     "mean_error": round(float(error.mean()), 1),
                     "median_error": round(float(np.median(error)), 1),
                     "p10_error": round(float(np.percentile(error, 10)), 1),
                     "p90_error": round(float(np.percentile(error, 90)), 1),
                     "within_30s_or_25pct": round(float(close.mean()), 3)})
    return rows


QUEUE_FIGURES = ("service_level", "worst_window_service_level", "asa", "offered",
                 "answered", "abandoned", "voicemails", "callbacks_requested")


def summarise_queues(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Replications of a scenario with queues: each queue figure's mean and 95 % interval,
    the outbound talk fraction's, and the calibration table pooled over replications."""
    from scipy import stats

    def interval(values: list[float]) -> dict[str, float]:
        n = len(values)
        if not values:
            return {"mean": math.nan, "ci95": math.nan}
        mean = float(np.mean(values))
        half = (float(stats.t.ppf(0.975, n - 1)) * float(np.std(values, ddof=1)) / math.sqrt(n)
                if n > 1 else math.nan)
        return {"mean": mean, "ci95": half}

    names = list(runs[0]["queues"]["queues"])
    queues = {name: {figure: interval([r["queues"]["queues"][name][figure] for r in runs
                                       if r["queues"]["queues"][name][figure] is not None])
                     for figure in QUEUE_FIGURES} | {
        "target": runs[0]["queues"]["queues"][name]["target"]} for name in names}
    pooled: dict[tuple[float, float], dict[str, float]] = {}
    for run in runs:
        for row in run["queues"]["wait_calibration"]:
            key = (row["estimate_from"], row["estimate_to"])
            slot = pooled.setdefault(key, {"calls": 0, "estimate": 0.0, "actual": 0.0,
                                           "close": 0.0})
            calls = row["calls"]
            slot["calls"] += calls
            slot["estimate"] += row["mean_estimate"] * calls
            slot["actual"] += row["mean_actual"] * calls
            slot["close"] += row["within_30s_or_25pct"] * calls
    calibration = [{"estimate_from": low, "estimate_to": high, "calls": int(v["calls"]),
                    "mean_estimate": round(v["estimate"] / v["calls"], 1),
                    "mean_actual": round(v["actual"] / v["calls"], 1),
                    "mean_error": round((v["actual"] - v["estimate"]) / v["calls"], 1),
                    "within_30s_or_25pct": round(v["close"] / v["calls"], 3)}
                   for (low, high), v in sorted(pooled.items())]
    return {"queues": queues,
            "outbound_talk_fraction": interval([r["outbound_talk_fraction"] for r in runs]),
            "wait_calibration": calibration}


def queue_tables(results: dict[str, dict[str, Any]], policies: list[str]) -> list[Any]:
    """Rich tables of a scenario with queues: each queue's figures per policy, then the
    wait-estimate calibration of the first policy."""
    from rich.table import Table

    figures = Table(title="inbound queues and blending (mean ± 95 % CI)")
    figures.add_column("figure")
    for name in policies:
        figures.add_column(name, justify="right")

    def cell(value: dict[str, float], percent: bool = False) -> str:
        if math.isnan(value["mean"]):
            return "—"
        mean = f"{value['mean']:.1%}" if percent else f"{value['mean']:.4g}"
        if math.isnan(value["ci95"]):
            return mean
        return mean + (f" ± {value['ci95']:.1%}" if percent else f" ± {value['ci95']:.3g}")

    first = results[policies[0]]["inbound"]
    figures.add_row("outbound talk fraction", *(
        cell(results[p]["inbound"]["outbound_talk_fraction"], True) for p in policies))
    for queue, values in first["queues"].items():
        figures.add_row(f"{queue}: service level (target {values['target']:.0%})", *(
            cell(results[p]["inbound"]["queues"][queue]["service_level"], True)
            for p in policies))
        figures.add_row(f"{queue}: worst hour's service level", *(
            cell(results[p]["inbound"]["queues"][queue]["worst_window_service_level"], True)
            for p in policies))
        for figure, label in (("asa", "ASA (s)"), ("offered", "offered"),
                              ("abandoned", "abandoned (≥ 5 s)"),
                              ("callbacks_requested", "callbacks requested"),
                              ("voicemails", "voicemails")):
            figures.add_row(f"{queue}: {label}", *(
                cell(results[p]["inbound"]["queues"][queue][figure]) for p in policies))
    calibration = Table(title=f"wait estimate at entry vs the wait of answered callers "
                              f"({policies[0]})")
    for column in ("estimate (s)", "calls", "mean estimate", "mean actual", "mean error",
                   "within ±30 s or ±25 %"):
        calibration.add_column(column, justify="right")
    for row in first["wait_calibration"]:
        high = "∞" if math.isinf(row["estimate_to"]) else f"{row['estimate_to']:g}"
        calibration.add_row(f"{row['estimate_from']:g}–{high}", str(row["calls"]),
                            f"{row['mean_estimate']:g}", f"{row['mean_actual']:g}",
                            f"{row['mean_error']:+g}", f"{row['within_30s_or_25pct']:.0%}")
    return [figures, calibration]
