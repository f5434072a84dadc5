"""The runner's parts are built from the few collaborators they use, never the runner
(dialer/runner/wiring.py): each test builds one part from those alone and checks a
behaviour that rests on what it was handed."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from dialer.events import InboundCallArrived
from dialer.runner.alerting import RunnerAlerts
from dialer.runner.inbound_calls import InboundCalls
from dialer.runner.status import Activity, RunStatus
from dialer.runner.wiring import CommandRelay, RunPhase, SwitchSide

CONNECTED = SimpleNamespace(clients={"fs1": SimpleNamespace(
    state=SimpleNamespace(value="connected"), last_error=None)})


def _engine(calls: dict[str, object]) -> SimpleNamespace:
    return SimpleNamespace(pool=SimpleNamespace(agents={}), calls=calls, last_decision=None,
                           snapshot=lambda now: SimpleNamespace(abandon_rate=None),
                           dialing_paused=False, inbound=SimpleNamespace(voicemails=dict))


def test_the_status_counts_the_calls_recovery_adopted_and_reads_the_runs_phase() -> None:
    phase = RunPhase()
    phase.ready.set()
    phase.stopping = True
    status = RunStatus(SimpleNamespace(name="spring"), None,  # type: ignore[arg-type]
                       switches=CONNECTED, hopper=["lead"],  # type: ignore[arg-type]
                       adopted={"old-1": 1, "old-2": 2}, phase=phase, clock=lambda: 0.0)
    status.attach(_engine({"new-1": 1}))  # type: ignore[arg-type]
    diagnosis = asyncio.run(status.refresh())
    assert diagnosis.activity is Activity.STOPPING
    assert diagnosis.reasons[0] == ("finishing 3 calls in progress (Ctrl-C again hangs them "
                                    "up now)")
    phase.hanging_up = True
    assert asyncio.run(status.refresh()).reasons[0] == "hanging up the calls in progress"


def _alerts(phase: RunPhase) -> RunnerAlerts:
    alerts = RunnerAlerts(
        SimpleNamespace(name="spring"), None,  # type: ignore[arg-type]
        config=SimpleNamespace(abandon_target=0.03, ledger_window=86400.0,  # type: ignore[arg-type]
                              agent_guaranteed=False),
        switches=CONNECTED, hopper=[], phase=phase,  # type: ignore[arg-type]
        queue_readings=lambda engine, now: [], sinks=[], clock=lambda: 0.0)
    alerts.attach(_engine({}))  # type: ignore[arg-type]
    return alerts


def test_an_empty_hopper_is_an_alert_unless_the_run_serves_queues_only() -> None:
    blended = _alerts(RunPhase())
    blended.look(100.0)
    assert "campaign/spring/hopper" in blended.book.active
    inbound_only = _alerts(RunPhase(inbound_only=True))
    inbound_only.look(100.0)
    assert not any(key.endswith("/hopper") for key in inbound_only.book.active)


def test_a_caller_arriving_while_the_run_stops_is_left_parked() -> None:
    forgotten: list[str] = []
    phase = RunPhase()
    switches = SwitchSide(CONNECTED, SimpleNamespace(forget=forgotten.append),  # type: ignore[arg-type]
                          {})
    calls = InboundCalls(
        SimpleNamespace(settings=SimpleNamespace(default_region="US")), None,  # type: ignore[arg-type]
        switches, served=("sales",), prompts=None, queue_store=None,  # type: ignore[arg-type]
        default_switch="fs1", phase=phase, stats=None,  # type: ignore[arg-type]
        commands=CommandRelay(), clock=lambda: 0.0, post=lambda event: None)
    arrival = InboundCallArrived(0.0, "caller-1", "sales", "+12025550111", switch_id="fs1")
    phase.stopping = True
    assert asyncio.run(calls.arrived(arrival)) is None
    assert forgotten == ["caller-1"] and not calls.claiming
    phase.stopping = False
    assert asyncio.run(calls.arrived(arrival)) is None  # claimed first, then taken
    assert set(calls.claiming) == {"caller-1"}


def test_the_command_relay_refuses_a_send_before_it_is_bound_then_forwards_both_calls(
) -> None:
    """A part built before the command side that sends early is a wiring bug: it must
    raise, not drop the command (a dropped hang-up would leave a caller on the line)."""
    from dialer.commands import Hangup

    relay = CommandRelay()
    hangup = Hangup(0.0, "caller-1")
    for early in (relay.send(hangup), relay.execute([hangup])):
        try:
            asyncio.run(early)
        except RuntimeError as error:
            assert "not bound" in str(error)
        else:  # pragma: no cover - the assertion below names the failure
            raise AssertionError("an unbound relay accepted a command")

    seen: list[tuple[str, object]] = []

    class Port:
        async def send(self, command: object) -> None:
            seen.append(("send", command))

        async def execute(self, commands: list[object]) -> None:
            seen.append(("execute", commands))

    relay.bind(Port())  # type: ignore[arg-type]
    asyncio.run(relay.send(hangup))
    asyncio.run(relay.execute([hangup, hangup]))
    assert seen == [("send", hangup), ("execute", [hangup, hangup])]


def test_the_pause_alert_says_who_paused_from_the_state_follower() -> None:
    """A ``dialer campaign pause`` (the stored state, read by the follower) and a console
    pause by sam: each alert names its source (before, both read "by a supervisor")."""
    from dialer.runner.state_follow import StateFollower

    at = 1_780_000_000.0  # 2026-05-28 20:26:40 UTC (a fixed clock, not the wall's)
    messages = []
    for pause in ("store", "console"):
        alerts = _alerts(RunPhase())
        alerts.engine.dialing_paused = True  # type: ignore[union-attr]
        follower = StateFollower("spring", "running", at)
        if pause == "store":
            follower.read(at + 60.0, "paused")
        else:
            follower.console(True, "sam")
        alerts.follow = SimpleNamespace(follower=follower)  # type: ignore[assignment]
        alerts.look(at + 61.0)
        messages.append(alerts.book.active["campaign/spring/dialing_paused"].message)
    assert messages == [
        "campaign spring: dialing is paused from the command line at 20:27 UTC",
        "campaign spring: dialing is paused by supervisor sam from the console"]
