"""The simulator answers commands with mod_event_socket's exact bytes (reference §1.3-1.6)."""

from __future__ import annotations

import asyncio

from switch_wire import RawClient

from dialer.esl.protocol import GOODBYE, ApiResponse, CommandReply, DisconnectNotice, LogData
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings


def run(coroutine):
    return asyncio.run(coroutine)


def test_greeting_auth_failure_goodbye_and_close() -> None:
    async def scenario() -> None:
        async with running_switch(password="secret") as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.next()
            assert bytes(client.raw) == b"Content-Type: auth/request\n\n"
            assert (await client.send("api status\n\n")).reply_text == "-ERR command not found"
            reply = await client.send("auth ClueCon\n\n")
            assert reply.reply_text == "-ERR invalid"
            notice = await client.next()
            assert isinstance(notice, DisconnectNotice) and notice.body == GOODBYE
            assert bytes(client.raw).endswith(
                b"Content-Type: command/reply\nReply-Text: -ERR invalid\n\n"
                b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" + GOODBYE.encode())
            assert await client.closed()
    run(scenario())


def test_command_replies_are_freeswitchs_texts() -> None:
    async def scenario() -> None:
        async with running_switch() as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            expected = [
                ("event plain CHANNEL_ANSWER CUSTOM avmd::beep",
                 "+OK event listener enabled plain"),
                ("event json nonsense", "-ERR no keywords supplied"),
                # The format is switched before the names are checked (MES parse_command).
                ("event CHANNEL_ANSWER", "+OK event listener enabled json"),
                ("events plain ALL", "+OK event listener enabled plain"),
                ("nixevent HEARTBEAT", "+OK events nixed"),
                ("nixevent", "-ERR no keywords supplied"),
                ("filter Unique-ID abc", "+OK filter added. [Unique-ID]=[abc]"),
                ("filter add Event-Name HEARTBEAT", "+OK filter added. [Event-Name]=[HEARTBEAT]"),
                ("filter delete Unique-ID abc", "+OK filter deleted. [Unique-ID][abc]"),
                ("filter Unique-ID", "-ERR invalid syntax"),
                ("log 7", "+OK log level 7 [7]"),
                ("nolog", "+OK no longer logging"),
                ("nolog", "-ERR not loging"),
                ("linger", "-ERR not controlling a session"),
                ("myevents deadbeef json", "-ERR invalid uuid"),
                ("noevents", "+OK no longer listening for events"),
                ("noevents", "-ERR not listening for events"),
                ("bogus", "-ERR command not found"),
            ]
            for command, text in expected:
                reply = await client.send(command + "\n\n")
                assert isinstance(reply, CommandReply) and reply.reply_text == text, command
            unknown = await client.send("api no_such_thing arg\n\n")
            assert isinstance(unknown, ApiResponse)
            assert unknown.body == "-ERR no_such_thing Command not found!\n"
            assert (await client.send("api uuid_exists nope\n\n")).body == "false"
            assert (await client.send("api uuid_kill nope\n\n")).body == "-ERR No such channel!\n"
            assert (await client.send("api show channels\n\n")).body == "\n0 total.\n"
            assert (await client.send("api show channels as json\n\n")).body == (
                '{"row_count": 0}\n')
            assert (await client.send("api hupall\n\n")).body == (
                "+OK hangup all channels with cause NORMAL_CLEARING\n")
            status = (await client.send("api status\n\n")).body
            assert status.startswith("UP 0 years, 0 days") and "is ready\n" in status
            bye = await client.send("exit\n\n")
            assert bye.reply_text == "+OK bye"
            assert isinstance(await client.next(), DisconnectNotice)
            assert await client.closed()
    run(scenario())


def test_bgapi_honours_the_clients_job_uuid_and_sends_background_job() -> None:
    async def scenario() -> None:
        async with running_switch() as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain BACKGROUND_JOB\n\n")
            start = len(client.raw)
            reply = await client.send("bgapi status\nJob-UUID: my-job-1\n\n")
            assert bytes(client.raw[start:]).startswith(
                b"Content-Type: command/reply\nReply-Text: +OK Job-UUID: my-job-1\n"
                b"Job-UUID: my-job-1\n\n")
            assert reply.job_uuid == "my-job-1"
            job, _ = await client.until_event("BACKGROUND_JOB")
            assert job["Job-UUID"] == "my-job-1" and job["Job-Command"] == "status"
            assert "Job-Command-Arg" not in job and "Job-Owner-UUID" not in job
            assert job.body.startswith("UP ")
    run(scenario())


def test_heartbeat_on_schedule() -> None:
    async def scenario() -> None:
        settings = SwitchSettings(heartbeat_interval=20.0, speed=100.0)
        async with running_switch(settings=settings) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain HEARTBEAT\n\n")
            beat, _ = await client.until_event("HEARTBEAT", timeout=2.0)
            assert beat["Event-Info"] == "System Ready"
            assert beat["Event-Calling-Function"] == "send_heartbeat"
    run(scenario())


def test_api_blocks_the_socket_until_its_response() -> None:
    """Events of an ``api originate`` are written after the api/response, as on FreeSWITCH."""
    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(speed=20.0)) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain CHANNEL_CREATE CHANNEL_ANSWER\n\n")
            client.writer.write(b"api originate {origination_uuid=agent-1}user/1001 &park()\n\n")
            first = await client.next()
            assert isinstance(first, ApiResponse) and first.body == "+OK agent-1\n"
            create, _ = await client.until_event("CHANNEL_CREATE")
            assert create["Unique-ID"] == "agent-1"
    run(scenario())


def test_myevents_attaches_a_session_and_closes_when_it_ends() -> None:
    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(speed=50.0)) as sim:
            control = await RawClient.connect(sim.url.host, sim.url.port)
            await control.login()
            assert (await control.send("api originate {origination_uuid=s-1}user/1001 &park()"
                                       "\n\n")).body == "+OK s-1\n"
            await control.send("api originate {origination_uuid=s-2}user/1002 &park()\n\n")
            watcher = await RawClient.connect(sim.url.host, sim.url.port)
            await watcher.login()
            assert (await watcher.send("myevents s-1\n\n")).reply_text == "+OK Events Enabled"
            assert (await watcher.send("myevents s-1\n\n")).reply_text == "-ERR aready enabled."
            await control.send("api uuid_kill s-2\n\n")
            await control.send("api uuid_kill s-1\n\n")
            _, seen = await watcher.until_event("CHANNEL_DESTROY")
            ids = {m.event.get("Unique-ID") for m in seen if hasattr(m, "event")}
            assert ids == {"s-1"}
            notice = await watcher.next()
            assert isinstance(notice, DisconnectNotice)
            assert ("Controlled-Session-UUID", "s-1") in notice.headers
            assert await watcher.closed()
    run(scenario())


def test_log_command_streams_log_data_lines() -> None:
    async def scenario() -> None:
        async with running_switch(settings=SwitchSettings(speed=50.0)) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            assert (await client.send("log notice\n\n")).reply_text == "+OK log level notice [5]"
            await client.send("api originate {origination_uuid=l-1}user/1001 &park()\n\n")
            line = await client.next()
            assert isinstance(line, LogData)
            assert "New Channel user/1001 [l-1]" in line.text
            assert ("Log-Level", "5") in line.headers and ("User-Data", "l-1") in line.headers
            assert (await client.send("nolog\n\n")).reply_text == "+OK no longer logging"
    run(scenario())
