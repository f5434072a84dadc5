"""Normalised event sequences of a call flow, from a real capture or from the simulator.

A dialer does not care about every byte: it reads some events, some headers, and their order.
``normalise`` keeps exactly that (event name, the leg as an alias such as ``CUST1-a``, and the
headers the dialer reads, UUIDs replaced by aliases), so that the same flow recorded on a real
FreeSWITCH and run on the simulator can be compared line by line.

Legs: the a-legs of the originates (what a production dialer controls), the loopback b-legs
(agents are loopback legs in production; customer b-legs are the test dialplan's callee, kept
with their life cycle only), never the SIP callee legs (test harness: a production switch
dialling a carrier does not see the far end's channel).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dialer.esl.event import Event

A_LEG_EVENTS = frozenset({
    "CHANNEL_UUID", "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_ANSWER", "CHANNEL_PARK", "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "PLAYBACK_START", "PLAYBACK_STOP", "DTMF", "RECORD_START",
    "RECORD_STOP", "CHANNEL_EXECUTE_COMPLETE", "CUSTOM", "MEDIA_BUG_START", "MEDIA_BUG_STOP",
})
B_LEG_EVENTS = frozenset({"CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP",
                          "CHANNEL_HANGUP_COMPLETE"})
AGENT_B_LEG_EVENTS = B_LEG_EVENTS | {"CHANNEL_PARK"}
# Applications whose completion the dialer reads (playback result, detectors).
WATCHED_APPLICATIONS = frozenset({"playback", "avmd_start", "amd"})


@dataclass(frozen=True, slots=True)
class Step:
    """One normalised event: name, leg alias and the dialer-relevant headers."""

    name: str
    leg: str
    details: tuple[tuple[str, str], ...] = ()
    at: float = field(default=0.0, compare=False)
    """When it happened (capture: when the recorder read it), for the order check."""

    def __str__(self) -> str:
        extra = " ".join(f"{k}={v}" for k, v in self.details)
        return f"{self.name:<24} {self.leg:<14} {extra}".rstrip()


class Aliases:
    """UUID → alias: the a-legs by their origination uuid, the others by channel name."""

    def __init__(self, by_uuid: Mapping[str, str], by_name: Mapping[str, str]) -> None:
        self.by_uuid = dict(by_uuid)
        self.by_name = dict(by_name)

    def of(self, event: Event) -> str | None:
        uuid = event.get("Unique-ID") or ""
        alias = self.by_uuid.get(uuid)
        if alias is None:
            alias = self.by_name.get(event.get("Channel-Name") or "")
            if alias is not None:
                self.by_uuid[uuid] = alias
        return alias

    def name(self, uuid: str | None) -> str:
        return self.by_uuid.get(uuid or "", "?")


def _job_body(body: str | None, aliases: Aliases) -> str:
    text = (body or "").strip()
    if text.startswith("+OK "):
        return "+OK " + aliases.name(text[4:].strip())
    return text.split("\n")[0]


def normalise(events: Iterable[Event], aliases: Aliases, jobs: Mapping[str, str],
              sip_callee_names: Iterable[str] = (), harness_legs: Iterable[str] = (),
              times: Iterable[float] | None = None) -> list[Step]:
    """The dialer-relevant steps of a flow. ``jobs``: Job-UUID → alias; SIP callee legs (by
    channel name) and ``harness_legs`` (aliases) are dropped; a CUSTOM event without channel
    headers (avmd's first copy) is kept as ``CUSTOM-bare``. ``times``: when each event was
    read (default: its Event-Date-Timestamp)."""
    skip_names = set(sip_callee_names)
    skip_legs = set(harness_legs)
    steps: list[Step] = []
    clock = iter(times) if times is not None else None
    for event in events:
        at = next(clock) if clock is not None else int(
            event.get("Event-Date-Timestamp") or 0) / 1e6
        before = len(steps)
        _normalise_one(event, aliases, jobs, skip_names, steps)
        if len(steps) > before:
            if steps[-1].leg in skip_legs:
                steps.pop()
            else:
                steps[-1] = Step(steps[-1].name, steps[-1].leg, steps[-1].details, at)
    return steps


def _normalise_one(event: Event, aliases: Aliases, jobs: Mapping[str, str],
               skip_names: set[str], steps: list[Step]) -> None:
    name = event.name
    if name == "BACKGROUND_JOB":
        job = jobs.get(event.get("Job-UUID") or "")
        if job is not None:
            steps.append(Step(name, job, (("body", _job_body(event.body, aliases)),)))
        return
    if (event.get("Channel-Name") or "") in skip_names:
        return
    if name == "CUSTOM":
        if not (event.subclass or "").startswith("avmd::"):
            return
        leg = aliases.name(event.get("Unique-ID"))
        bare = "Channel-Name" not in event
        steps.append(Step("CUSTOM-bare" if bare else "CUSTOM", leg, (
            ("subclass", event.subclass or ""),
            ("beep", event.get("Beep-Status") or ""))))
        return
    leg = aliases.of(event)
    if leg is None:
        return
    b_leg = leg.endswith("-b")
    agent = leg.startswith(("AGENT", "BOB", "INBOUND"))  # b-legs that park
    wanted = (AGENT_B_LEG_EVENTS if agent else B_LEG_EVENTS) if b_leg else A_LEG_EVENTS
    if name not in wanted:
        return
    if name == "CHANNEL_EXECUTE_COMPLETE" and (
            event.get("Application") not in WATCHED_APPLICATIONS):
        return
    if name.startswith("MEDIA_BUG_") and event.get("Media-Bug-Function") != "session_record":
        return  # a recording's bug only (the simulator does not model avmd's media bug)
    steps.append(Step(name, leg, _details(name, event, aliases)))


def _details(name: str, event: Event, aliases: Aliases) -> tuple[tuple[str, str], ...]:
    details: list[tuple[str, str]] = [("answer", event.get("Answer-State") or "")]
    if name in ("CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE"):
        details.append(("cause", event.get("Hangup-Cause") or ""))
        # Who hung up (the dialer's HangupSide): SIP legs only, and for a BYE only on
        # CHANNEL_HANGUP_COMPLETE.
        details.append(("disposition", event.get("variable_sip_hangup_disposition") or ""))
    if name == "CHANNEL_UUID":
        details.append(("old", "tmp" if event.get("Old-Unique-ID") else ""))
    if name in ("CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE"):
        details.append(("a", aliases.name(event.get("Bridge-A-Unique-ID"))))
        details.append(("b", aliases.name(event.get("Bridge-B-Unique-ID"))))
    if name == "CHANNEL_PARK":
        details.append(("state", event.get("Channel-State") or ""))
    if name == "CHANNEL_EXECUTE_COMPLETE":
        details.append(("app", event.get("Application") or ""))
        details.append(("response", event.get("Application-Response") or ""))
    if name == "DTMF":
        details.append(("digit", event.get("DTMF-Digit") or ""))
        details.append(("source", event.get("DTMF-Source") or ""))
        details.append(("duration", event.get("DTMF-Duration") or ""))
    if name in ("RECORD_START", "RECORD_STOP"):
        details.append(("file", (event.get("Record-File-Path") or "").rsplit("/", 1)[-1]))
        details.append(("cause", event.get("Record-Completion-Cause") or ""))
        details.append(("from", event.get("Event-Calling-Function") or ""))
    if name in ("MEDIA_BUG_START", "MEDIA_BUG_STOP"):
        details.append(("bug", event.get("Media-Bug-Function") or ""))
        details.append(("target", (event.get("Media-Bug-Target") or "").rsplit("/", 1)[-1]))
    if name in ("CHANNEL_CREATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"):
        dialer = any(event.get(f"variable_{v}") for v in ("dialer_campaign", "dialer_agent",
                                                          "dialer_agent_id"))
        details.append(("dialer_vars", "yes" if dialer else "no"))
    return tuple(details)


SAME_TICK = 0.021
"""Events read within one tick of the switch's 20 ms clock of each other raced on the real
switch (its threads interleave; README "Surprises" 8, 12, 13): their order is not a fact to
copy. Everything further apart is causal and must be reproduced."""


def differences(captured: list[Step], simulated: list[Step], *,
                cross_legs: bool = True) -> list[str]:
    """What the simulated flow does differently from the captured one (empty: the same).

    * the same steps (name, leg, the headers the dialer reads), as multisets;
    * on each leg (a job counts as its own leg), the same order;
    * across legs, every order the capture shows between steps read more than
      ``SAME_TICK`` apart (the causal order: answer before the job, the agent's park
      before the customer's unbridge, ...); steps that raced may come either way.
    """
    problems: list[str] = []
    legs = sorted({s.leg for s in captured} | {s.leg for s in simulated})
    for leg in legs:
        ours = [s for s in simulated if s.leg == leg]
        theirs = [s for s in captured if s.leg == leg]
        if ours != theirs:
            problems.append(f"leg {leg}:\n  capture: " + "\n           ".join(map(str, theirs))
                            + "\n  sim:     " + "\n           ".join(map(str, ours)))
    if problems or not cross_legs:
        return problems
    position: dict[tuple[str, int], int] = {}
    seen: dict[str, int] = {}
    for index, step in enumerate(simulated):
        nth = seen.get(step.leg, 0)
        seen[step.leg] = nth + 1
        position[(step.leg, nth)] = index
    keyed: list[tuple[Step, int]] = []
    seen = {}
    for step in captured:
        nth = seen.get(step.leg, 0)
        seen[step.leg] = nth + 1
        keyed.append((step, position[(step.leg, nth)]))
    for i, (early, early_at) in enumerate(keyed):
        for late, late_at in keyed[i + 1:]:
            if late.leg != early.leg and late.at - early.at > SAME_TICK and late_at < early_at:
                problems.append(f"order: the capture has [{early}] {late.at - early.at:.3f} s "
                                f"before [{late}]; the simulator the other way round")
    return problems
