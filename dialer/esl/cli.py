"""``dialer esl ...``: talk to a FreeSWITCH (or the simulator) over the event socket.

``dialer esl events URL`` tails a switch's events like fs_cli's ``/event plain ALL``;
``dialer esl api URL COMMAND`` runs one API command. Thin: parse, call ``dialer.esl``, render.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Annotated

import typer

_COLOURS = {"CHANNEL_ANSWER": "green", "CHANNEL_HANGUP": "red", "CHANNEL_HANGUP_COMPLETE": "red",
            "CHANNEL_DESTROY": "dim red", "CHANNEL_BRIDGE": "cyan", "CHANNEL_UNBRIDGE": "cyan",
            "CHANNEL_CREATE": "blue", "DTMF": "magenta", "BACKGROUND_JOB": "yellow",
            "HEARTBEAT": "dim", "PLAYBACK_START": "bright_blue", "PLAYBACK_STOP": "bright_blue"}
_DETAILS = ("Answer-State", "Hangup-Cause", "Application", "Application-Response",
            "DTMF-Digit", "Job-Command", "Caller-Destination-Number", "Other-Leg-Unique-ID",
            "Playback-File-Path", "Record-File-Path", "variable_amd_result", "Session-Count")


def register(app: typer.Typer) -> None:
    """Add ``dialer esl events`` and ``dialer esl api`` to the root ``dialer`` app."""
    esl_app = typer.Typer(help="FreeSWITCH event socket: tail events, run API commands.",
                          no_args_is_help=True)
    esl_app.command("events")(events)
    esl_app.command("api")(api)
    app.add_typer(esl_app, name="esl")


def events(
    url: Annotated[str, typer.Argument(help="Switch: esl://[:PASSWORD@]HOST[:PORT] "
                                            "(default port 8021, password ClueCon).")],
    event: Annotated[list[str], typer.Option(
        "--event", "-e", help="Event to subscribe to (repeatable; default ALL; "
                              "'CUSTOM avmd::beep' for a subclass).")] = [],
    filters: Annotated[list[str], typer.Option(
        "--filter", "-f", help="Header=value filter, as the ESL 'filter' command (repeatable; "
                               "value '-x' excludes, '/re/' matches a regex).")] = [],
    count: Annotated[int | None, typer.Option(help="Stop after this many events.")] = None,
    duration: Annotated[float | None, typer.Option(metavar="SECONDS",
                                                   help="Stop after this many seconds.")] = None,
    event_format: Annotated[str, typer.Option(
        "--format", help="Wire format to request: plain or json.")] = "plain",
    full: Annotated[bool, typer.Option(help="Print every header of every event.")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="Print the events as one JSON array when done.")] = False,
) -> None:
    """Tail a switch's events (like fs_cli), reconnecting if the switch goes away."""
    from rich.console import Console

    from dialer.esl.errors import EslUrlError
    from dialer.esl.url import parse_esl_url

    target = parse_esl_url(url)
    pairs = []
    for item in filters:
        header, equals, value = item.partition("=")
        if not equals or not header:
            raise EslUrlError(f"--filter {item!r}: expected HEADER=VALUE")
        pairs.append((header, value))
    if event_format not in ("plain", "json"):
        raise EslUrlError(f"--format {event_format!r}: expected plain or json")
    if count is not None and count < 1:
        raise EslUrlError(f"--count {count}: at least 1 event")
    if duration is not None and not 0 < duration <= 366 * 86_400:  # NaN too
        raise EslUrlError(f"--duration {duration:g}: seconds, more than 0 and at most a year")
    console = Console(highlight=False)
    status = Console(stderr=True, highlight=False)
    collected: list[dict[str, object]] = []

    def show(received) -> None:
        if as_json:
            collected.append(received.as_dict())
            return
        name = received.subclass or received.name
        colour = _COLOURS.get(received.name, "white")
        stamp = time.strftime("%H:%M:%S")
        if full:
            console.rule(f"[{colour}]{name}[/]")
            for header, value in received.headers:
                console.print(f"[dim]{header}:[/] {value}", markup=True)
            if received.body:
                console.print(received.body, markup=False)
            return
        details = "  ".join(f"[dim]{h}=[/]{received.get(h)}" for h in _DETAILS
                            if received.get(h) and received.get(h) != "_undef_")
        uuid = received.unique_id or received.get("Job-UUID") or ""
        console.print(f"[dim]{stamp}[/] [{colour}]{name:<26}[/] {uuid[:36]:<36} {details}")

    asyncio.run(_tail(target, event or ["ALL"], pairs, event_format, count, duration, show,
                      status))
    if as_json:
        typer.echo(json.dumps(collected, ensure_ascii=False))


async def _tail(target, names, pairs, event_format, count, duration, show, status) -> None:
    from dialer.esl.client import EslClient
    from dialer.esl.connection import EslConnection

    # Reconnecting is for a switch that goes away, not one never reached: a wrong port or
    # password printed "connecting", "disconnected" for ever. The first connection must be.
    probe = await EslConnection.open(target, timeout=10.0)
    await probe.close()
    seen = 0
    async with EslClient(target, events=names, filters=pairs, event_format=event_format) as client:
        client.add_state_listener(lambda state: status.print(f"[dim]{target}: {state}[/]"))
        try:
            async with asyncio.timeout(duration):
                async for received in client.events():
                    show(received)
                    seen += 1
                    if count is not None and seen >= count:
                        break
        except TimeoutError:
            pass


def api(
    url: Annotated[str, typer.Argument(help="Switch: esl://[:PASSWORD@]HOST[:PORT].")],
    command: Annotated[list[str], typer.Argument(help="API command and arguments, e.g. "
                                                      "'show channels'.")],
    timeout: Annotated[float, typer.Option(metavar="SECONDS",
                                           help="Seconds to wait for the switch.")] = 10.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run one API command (`api` over the event socket) and print its output; exit 1
    when the switch answers -ERR."""
    from dialer.esl.connection import EslConnection
    from dialer.esl.errors import EslError
    from dialer.esl.url import parse_esl_url

    target = parse_esl_url(url)
    line = " ".join(command)
    if not 0 < timeout <= 3600:  # NaN too: "cannot connect to ...: " with no reason
        raise EslError(f"--timeout {timeout:g}: seconds to wait for the switch, more than 0 "
                       "and at most an hour")

    async def run() -> str:
        connection = await EslConnection.open(target, timeout=timeout)
        try:
            reader = asyncio.get_running_loop().create_task(connection.run())
            try:
                return await connection.api(line, timeout=timeout)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, EslError):
                    await reader
        finally:
            await connection.close()

    output = asyncio.run(run())
    # FreeSWITCH answers a failed API command with "-ERR ..." (or "-USAGE: ...") in the
    # body and a successful reply frame: the exit status is what tells a script it failed.
    ok = not output.lstrip().startswith(("-ERR", "-USAGE"))
    if as_json:
        typer.echo(json.dumps({"switch": str(target), "command": line, "output": output,
                               "ok": ok}))
    else:
        typer.echo(output, nl=not output.endswith("\n"), err=not ok)
    if not ok:
        raise typer.Exit(1)
