"""The simulator against the real FreeSWITCH captures: each flow's commands replayed on the
simulator give the same normalised event sequence as the capture (tests/simulations/switch/
flows.py says what "the same" means: the events and headers a dialer reads, each leg's order,
and every cross-leg order the capture shows between events that did not race)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from flows import Aliases, Step, differences, normalise

from dialer.esl.protocol import EventReceived
from simulations.switch.dialplan import number_plan_fates
from simulations.switch.inprocess import InProcessSwitch
from simulations.switch.switch import SwitchSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "dialer" / "esl"))
import real_fs

FLOWS = {
    "02-originate-human-sip": (), "03-originate-human-loopback": (),
    "04a-failures-sip": (), "04b-failures-loopback": (), "05-agent-bridge": (),
    "06-safe-harbour-broadcast": (), "07-dtmf-from-callee": (),
    "08a-avmd-answering-machine-loopback": (), "08b-avmd-answering-machine-sip": (),
    "09-uuid-record": (), "10-inbound-queue": ("CALLER-a",),
    "13a-originate-human-sip-json": (), "13b-event-xml": (),
    "17-early-media-then-answer": (),
}
"""Flows replayed, with the test harness's own legs to leave out (flow 10's caller stands
for the carrier's side of an inbound call, which a production switch does not show)."""

_ROW = re.compile(r"^\| (\d+) \| (\d+\.\d+) \| (\d+) \| (\d+) \|")
_LEG = re.compile(r"^\| ([A-Za-z0-9~_-]+) \| `([0-9a-f-]{36})` \| `?([^`|]*)`? \|")
_CONTROL = ("auth", "event", "exit", "filter", "noevents", "myevents", "nixevent")


def _sidecar(name: str) -> str:
    return (real_fs.REAL_FS / f"{name}.md").read_text(encoding="utf-8")


def _legs(name: str) -> list[tuple[str, str, str]]:
    section = _sidecar(name).split("## Legs and jobs", 1)[1].split("\n## ", 1)[0]
    return [(m.group(1), m.group(2), m.group(3).strip())
            for line in section.splitlines() if (m := _LEG.match(line))]


def _frame_times(name: str) -> list[float]:
    rows = _sidecar(name).split("## Received frames", 1)[1].splitlines()
    return [float(m.group(2)) for line in rows if (m := _ROW.match(line))]


def _subscription(name: str) -> frozenset[str] | None:
    for sent in real_fs.sent(name):
        if sent.text.startswith("event "):
            words = sent.text.split()[2:]
            if "ALL" not in words:
                return frozenset(w for w in words if w.isupper() and "::" not in w)
    return None


def captured(name: str) -> list[Step]:
    legs = _legs(name)
    times = _frame_times(name)
    events, at = [], []
    for index, message in enumerate(real_fs.messages(name)):
        if isinstance(message, EventReceived):
            events.append(message.event)
            at.append(times[index])
    aliases = Aliases({u: a for a, u, _ in legs if not a.startswith("job-")}, {})
    jobs = {u: a for a, u, _ in legs if a.startswith("job-")}
    sip = [n for a, _, n in legs if a.endswith("-callee")]
    return normalise(events, aliases, jobs, sip, FLOWS[name], at)


def simulated(name: str, settings: SwitchSettings | None = None, seed: int = 0) -> list[Step]:
    """The capture's commands, at the capture's times, on the simulator (virtual time).

    UUIDs the switch chose in the capture (b-legs) are replaced by the simulator's own for
    the same leg before a command is sent, as a dialer would learn them from the events.
    """
    legs = _legs(name)
    settings = settings or SwitchSettings(heartbeat_interval=0)
    sim = InProcessSwitch(settings, number_plan_fates(), seed, names=_subscription(name),
                          wire=True)
    by_name = {n: a for a, _, n in legs if a.endswith("-b")}
    aliases = Aliases({u: a for a, u, _ in legs if not a.startswith("job-")
                       and not a.endswith(("~tmp", "-b"))}, by_name)
    capture_uuid = {a: u for a, u, _ in legs}
    start = sim.now()
    for sent in real_fs.sent(name):
        if sent.text.startswith(_CONTROL):
            continue
        sim.run_until(start + sent.at)
        for event in sim.events:
            aliases.of(event)
        text = sent.text
        for alias, uuid in capture_uuid.items():
            ours = next((u for u, a in aliases.by_uuid.items() if a == alias), None)
            if ours is not None and ours != uuid:
                text = text.replace(uuid, ours)
        line, _, rest = text.partition("\n")
        if line.startswith("bgapi "):
            job = re.search(r"Job-UUID: (\S+)", rest)
            sim.bgapi(line[6:], job.group(1) if job else None)
        elif line.startswith("api "):
            sim.api(line[4:])
    sim.run_for(60.0)
    jobs = {u: a for a, u, _ in legs if a.startswith("job-")}
    return normalise(sim.events, aliases, jobs, (), FLOWS[name])


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_simulator_reproduces_the_real_flow(name: str) -> None:
    problems = differences(captured(name), simulated(name))
    assert not problems, f"{name}:\n" + "\n".join(problems)
