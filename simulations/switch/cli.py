"""``dialer switch-sim``: run the FreeSWITCH event-socket simulator as a server."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``dialer switch-sim`` to the root ``dialer`` app."""
    app.command("switch-sim")(switch_sim)


def switch_sim(
    listen: Annotated[str, typer.Option(help="HOST:PORT to listen on.")] = "127.0.0.1:8021",
    password: Annotated[str, typer.Option(help="ESL password (auth <password>).")] = "ClueCon",
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario TOML whose \\[callees] table drives who answers, when, and how.",
        exists=True, dir_okay=False)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (same seed, same callees).")] = None,
    speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 1.0,
    heartbeat: Annotated[float, typer.Option(metavar="SECONDS",
        help="Seconds between HEARTBEAT events (0 = none).")] = 20.0,
    opt_out: Annotated[float, typer.Option(metavar="FRACTION",
        help="Probability that a person presses a key during a played message.")] = 0.05,
    playback_seconds: Annotated[float, typer.Option(metavar="SECONDS",
        help="Length of every played file (the safe-harbour message).")] = 8.0,
    agent_answer_delay: Annotated[float, typer.Option(metavar="SECONDS",
        help="Seconds an agent phone takes to answer its nailed-up leg.")] = 0.2,
    amd_detect_time: Annotated[float, typer.Option(metavar="SECONDS",
        help="Seconds mod_amd needs before it reports HUMAN or MACHINE.")] = 2.5,
    max_sessions: Annotated[int, typer.Option(
        help="Concurrent channels before originate fails with SWITCH_CONGESTION.")] = 10_000,
    sound_file: Annotated[list[str] | None, typer.Option(
        "--sound-file", help="A file that exists on the switch (absolute, or relative to "
        "--sounds-dir); repeatable. The dialer's shipped queue prompts are there too, at "
        "their paths on this machine, as on a switch running here. Playing any other "
        "answers +OK and fails with FILE NOT FOUND, as on a real switch.")] = None,
    sounds_dir: Annotated[str, typer.Option(
        help="The switch's sounds_dir (where relative paths are looked up).")]
        = "/usr/share/freeswitch/sounds",
    module: Annotated[list[str] | None, typer.Option(
        "--module", help="A module loaded on top of the public-tree set (e.g. mod_amd, "
        "which makes execute_on_answer=amd work); repeatable.")] = None,
    hostile: Annotated[bool, typer.Option(
        help="Hostile timing: FreeSWITCH's internal delays drawn at random within the "
        "bounds the real captures show, events of different channels and jobs reordered.")]
        = False,
    number_plan: Annotated[bool, typer.Option(
        help="Callees follow the real captures' test dialplan (last four digits XYZZ, see "
        "docs/esl.md) for numbers in it.")] = False,
    inbound: Annotated[bool | None, typer.Option(
        "--inbound/--no-inbound", help="Place the scenario's inbound callers (its \\[inbound] "
        "table: arrival rate by hour, patience, menu keys, callback acceptance) as parked "
        "calls with dialer_queue; default: when the scenario has inbound calls.")] = None,
    duration: Annotated[float | None, typer.Option(metavar="SECONDS",
        help="Stop after this many seconds (default: run until Ctrl-C).")] = None,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print one JSON summary when the server stops.")] = False,
) -> None:
    """Run a simulated FreeSWITCH: event socket (inbound mode), originate, bridge, events."""
    from rich.console import Console

    from simulations.errors import SimulationError
    from simulations.switch.scenario import fate_source_for
    from simulations.switch.switch import SwitchSettings

    host, _, port_text = listen.rpartition(":")
    if not host or not port_text.isdigit():
        raise SimulationError(f"--listen {listen!r}: expected HOST:PORT, e.g. 127.0.0.1:8021")
    if speed <= 0:
        raise SimulationError(f"--speed {speed}: must be positive")
    from dialer.prompt_files import SHIPPED, prompt_files
    from simulations.switch.switch import PUBLIC_TREE_MODULES

    files = frozenset(path if path.startswith("/") else f"{sounds_dir.rstrip('/')}/{path}"
                      for path in (sound_file or [])) | frozenset(
        str(path) for path in prompt_files([SHIPPED]).values())
    settings = SwitchSettings(speed=speed, heartbeat_interval=heartbeat,
                              opt_out_probability=opt_out, playback_seconds=playback_seconds,
                              agent_answer_delay=agent_answer_delay,
                              amd_detect_time=amd_detect_time, max_sessions=max_sessions,
                              sound_files=files, sounds_dir=sounds_dir,
                              modules=PUBLIC_TREE_MODULES | frozenset(module or []),
                              hostile=hostile)
    fate_source = fate_source_for(scenario)
    callers = _inbound_scenario(scenario, inbound)
    if callers is not None:
        # The callers hear the dialer's shipped prompts for their real lengths.
        from dataclasses import replace

        from dialer.prompt_files import SHIPPED

        settings = replace(settings, wav_lengths=True, sound_files=settings.sound_files | {
            str(path) for path in SHIPPED.glob("*.wav")})
    if number_plan:
        from simulations.switch.dialplan import number_plan_fates

        fate_source = number_plan_fates(fate_source)
    status = Console(stderr=True, highlight=False)
    summary = asyncio.run(_serve(host.strip("[]"), int(port_text), password, settings,
                                 fate_source, seed, duration, status, callers))
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        status.print(f"stopped after {summary['sessions_since_startup']} sessions "
                     f"(peak {summary['peak_sessions']} concurrent)")


def _inbound_scenario(scenario: Path | None, wanted: bool | None):  # type: ignore[no-untyped-def]
    """The scenario whose inbound callers the switch places, or None."""
    from simulations.errors import SimulationError

    if scenario is None:
        if wanted:
            raise SimulationError("--inbound needs --scenario (its [inbound] table)")
        return None
    if wanted is False:
        return None
    from simulations.scenario import load_scenario

    loaded = load_scenario(scenario)
    if not loaded.inbound.any_calls:
        if wanted:
            raise SimulationError(f"--inbound: {scenario} has no [inbound] calls_per_hour")
        return None
    if not loaded.queues and not loaded.inbound.queues:
        raise SimulationError(f"{scenario}: [inbound] callers need a queue to name: add "
                              "[[queues]] or [inbound].queues")
    return loaded


async def _serve(host, port, password, settings, fate_source, seed, duration, status,
                 callers=None) -> dict:
    import signal

    from simulations.switch.embedded import running_switch

    # Ctrl-C or a service manager's SIGTERM stops the simulator cleanly, with its summary.
    # Handled here rather than left to asyncio.run, which handles SIGINT only when the
    # process did not inherit it ignored (a script's background job, nohup) and never
    # SIGTERM. Installed before the port opens and kept as an event, so a signal that comes
    # while the switch starts is not lost.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_switch(host, port, password, settings, fate_source, seed) as sim:
        status.print(f"[green]switch simulator listening on {sim.url}[/] "
                     f"(password {'set' if password else 'empty'}; Ctrl-C stops)")
        arrivals = None
        if callers is not None:
            from simulations.switch.arrivals import InboundArrivals

            arrivals = InboundArrivals(sim.switch, callers, seed)
            arrivals.start()
            status.print(f"placing the inbound callers of {callers.path} (queues "
                         f"{', '.join(arrivals.queues)})")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), duration)
        switch = sim.switch
        return {"listen": f"{sim.url.host}:{sim.url.port}",
                "sessions_since_startup": switch.sessions_since_startup,
                "peak_sessions": switch.peak_sessions, "channels_open": len(switch.channels),
                "events_fired": switch.bus.sequence,
                "inbound_callers": arrivals.counts.placed if arrivals is not None else 0}
