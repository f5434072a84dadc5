"""The asyncio client against the switch simulator over loopback: auth, bgapi correlation,
events, heartbeat loss and dropped connections (reconnect), no commands while disconnected."""

from __future__ import annotations

import asyncio
import random

import pytest

from dialer.esl.client import Backoff, ConnectionState, EslClient
from dialer.esl.errors import EslAuthError, EslConnectionError, EslUrlError
from dialer.esl.url import EslUrl, parse_esl_url
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings

FAST = SwitchSettings(speed=50.0, heartbeat_interval=20.0)
QUICK_BACKOFF = Backoff(initial=0.05, factor=2.0, maximum=0.2)


def _live(rng: random.Random) -> CalleeFate:
    return CalleeFate(CalleeKind.LIVE, rng.uniform(0.5, 3.0), 2.0, 2.0)


def test_url_forms() -> None:
    assert parse_esl_url("esl://:secret@10.0.0.5:8022") == EslUrl("10.0.0.5", 8022, "secret")
    assert parse_esl_url("esl://fs1") == EslUrl("fs1", 8021, "ClueCon")
    assert parse_esl_url("127.0.0.1:9000") == EslUrl("127.0.0.1", 9000, "ClueCon")
    assert parse_esl_url("esl://:p%40ss@[::1]:8021").password == "p@ss"
    assert "secret" not in str(parse_esl_url("esl://:secret@fs1"))
    for bad in ("http://fs1", "esl://", "esl://fs1:notaport", "esl://fs1/path"):
        with pytest.raises(EslUrlError):
            parse_esl_url(bad)


def test_wrong_password_fails_without_retrying() -> None:
    async def scenario() -> None:
        async with running_switch(password="right") as sim:
            url = EslUrl(sim.url.host, sim.url.port, "wrong")
            async with EslClient(url, backoff=QUICK_BACKOFF) as client:
                with pytest.raises(EslAuthError):
                    await client.wait_connected(5)
                assert client.state is ConnectionState.FAILED
                with pytest.raises(EslAuthError):
                    await client.api("status")
    asyncio.run(scenario())


def test_concurrent_bgapi_jobs_resolve_to_their_own_results() -> None:
    async def scenario() -> None:
        async with running_switch(settings=FAST, fate_source=_live, seed=1) as sim, \
                EslClient(sim.url, events=["CHANNEL_ANSWER"]) as client:
            await client.wait_connected(5)
            uuids = [f"call-{n}" for n in range(40)]
            jobs = await asyncio.gather(*[client.bgapi(
                f"originate {{origination_uuid={u},originate_timeout=30}}"
                f"sofia/gateway/gw/1555000{n:04d} &park()") for n, u in enumerate(uuids)])
            results = await asyncio.gather(*[result for _, result in jobs])
            assert results == [f"+OK {u}\n" for u in uuids]
            assert len({job for job, _ in jobs}) == len(uuids)
            answered = set()
            async with asyncio.timeout(5):
                async for event in client.events():
                    assert event.name == "CHANNEL_ANSWER"  # only what we subscribed to
                    answered.add(event.unique_id)
                    if answered == set(uuids):
                        break
            assert (await client.api("uuid_exists nobody")) == "false"
    asyncio.run(scenario())


def test_lost_heartbeat_declares_the_link_dead_and_reconnects() -> None:
    async def scenario() -> None:
        quiet = SwitchSettings(heartbeat_interval=0)  # a switch that never beats
        async with running_switch(settings=quiet) as sim:
            states: list[ConnectionState] = []
            async with EslClient(sim.url, heartbeat_timeout=0.3,
                                 backoff=QUICK_BACKOFF) as client:
                client.add_state_listener(states.append)
                await client.wait_connected(5)
                async with asyncio.timeout(5):
                    while client.connects < 2:
                        await asyncio.sleep(0.05)
                assert ConnectionState.DISCONNECTED in states
    asyncio.run(scenario())


def test_heartbeats_keep_the_link_alive() -> None:
    async def scenario() -> None:
        beating = SwitchSettings(heartbeat_interval=20.0, speed=200.0)  # one beat per 0.1 s
        async with running_switch(settings=beating) as sim, \
                EslClient(sim.url, heartbeat_timeout=0.5, backoff=QUICK_BACKOFF) as client:
            await client.wait_connected(5)
            await asyncio.sleep(1.5)
            assert client.connected and client.connects == 1
    asyncio.run(scenario())


def test_dropped_connection_fails_pending_jobs_then_reconnects() -> None:
    async def scenario() -> None:
        slow = lambda rng: CalleeFate(CalleeKind.NO_ANSWER, float("inf"), 0, 0)  # noqa: E731
        async with running_switch(settings=FAST, fate_source=slow) as sim, \
                EslClient(sim.url, events=["ALL"], backoff=QUICK_BACKOFF) as client:
            await client.wait_connected(5)
            _, result = await client.bgapi(
                "originate {origination_uuid=drop-1,originate_timeout=600}"
                "sofia/gateway/gw/15551112222 &park()")
            for listener in list(sim.server.listeners):
                listener.writer.transport.abort()  # the switch vanishes mid-stream
            with pytest.raises(EslConnectionError):
                await asyncio.wait_for(result, 5)
            assert not client.connected
            await client.wait_connected(5)
            assert client.connects == 2
            # The call survived on the switch: a runner reconciles with uuid_exists.
            assert await client.api("uuid_exists drop-1") == "true"
    asyncio.run(scenario())


def test_no_command_is_sent_while_disconnected() -> None:
    async def scenario() -> None:
        url = EslUrl("127.0.0.1", 9, "ClueCon")  # nothing listens on the discard port
        async with EslClient(url, backoff=QUICK_BACKOFF, connect_timeout=0.5) as client:
            await asyncio.sleep(0.2)
            assert not client.connected
            with pytest.raises(EslConnectionError):
                await client.bgapi("originate user/1001 &park()")
            with pytest.raises(TimeoutError):
                await client.wait_connected(0.2)
    asyncio.run(scenario())


def test_filters_subscriptions_and_liveness_survive_together() -> None:
    async def scenario() -> None:
        beating = SwitchSettings(heartbeat_interval=20.0, speed=100.0)
        async with running_switch(settings=beating, fate_source=_live, seed=2) as sim, \
                EslClient(sim.url, events=["CHANNEL_CREATE"], filters=[("Unique-ID", "keep")],
                          heartbeat_timeout=1.0, backoff=QUICK_BACKOFF) as client:
            await client.wait_connected(5)
            for name in ("skip", "keep"):
                await client.bgapi_result(f"originate {{origination_uuid={name}}}user/1{name}"
                                          " &park()", timeout=5)
            async with asyncio.timeout(5):
                first = await anext(client.events())
            assert (first.name, first.unique_id) == ("CHANNEL_CREATE", "keep")
            await asyncio.sleep(1.5)  # longer than heartbeat_timeout: beats still pass the filter
            assert client.connects == 1
            await client.subscribe("CHANNEL_ANSWER")
            await client.unsubscribe("CHANNEL_CREATE")
            await client.delete_filter("Unique-ID", "keep")
            await client.api("originate {origination_uuid=later}user/1003 &park()")
            async with asyncio.timeout(5):
                answered = await anext(client.events())
            assert (answered.name, answered.unique_id) == ("CHANNEL_ANSWER", "later")
    asyncio.run(scenario())


def test_event_json_subscription_keeps_duplicate_headers() -> None:
    async def scenario() -> None:
        async with running_switch(settings=FAST, fate_source=_live, seed=4) as sim, \
                EslClient(sim.url, events=["CHANNEL_HANGUP_COMPLETE"],
                          event_format="json") as client:
            await client.wait_connected(5)
            await client.api("originate {origination_uuid=j-1,dialer_call_id=9}user/1001 &park()")
            await client.api("uuid_kill j-1 USER_BUSY")
            async with asyncio.timeout(5):
                complete = await anext(client.events())
            assert complete.get_all("Hangup-Cause") == ["USER_BUSY", "USER_BUSY"]
            assert complete.variable("dialer_call_id") == "9"
    asyncio.run(scenario())


def test_callback_delivery_and_a_failing_callback_surfaces() -> None:
    async def scenario() -> None:
        seen: list[str] = []
        async with running_switch(settings=FAST, fate_source=_live) as sim:
            async with EslClient(sim.url, events=["CHANNEL_CREATE"],
                                 on_event=lambda event: seen.append(event.unique_id)) as client:
                await client.wait_connected(5)
                await client.api("originate {origination_uuid=cb-1}user/1001 &park()")
                async with asyncio.timeout(5):
                    while not seen:
                        await asyncio.sleep(0.01)
            assert seen == ["cb-1"]

            def broken(event) -> None:
                raise RuntimeError("bug in the consumer")

            with pytest.raises(BaseExceptionGroup) as caught:
                async with EslClient(sim.url, events=["CHANNEL_CREATE"], on_event=broken) as bad:
                    await bad.wait_connected(5)
                    await bad.api("originate {origination_uuid=cb-2}user/1002 &park()")
                    await asyncio.sleep(5)
            assert caught.group_contains(RuntimeError)
    asyncio.run(scenario())


def test_link_losses_leave_no_cancellation_pending_on_the_supervisor() -> None:
    # Python 3.11's TaskGroup cancels its parent when a child fails during __aexit__ and never
    # un-cancels it: the supervisor then collected one pending cancellation per link loss.
    async def scenario() -> None:
        async with running_switch() as sim, \
                EslClient(sim.url, events=["CHANNEL_ANSWER"], backoff=QUICK_BACKOFF) as client:
            await client.wait_connected(5)
            for loss in range(1, 4):
                for listener in list(sim.server.listeners):
                    listener.writer.transport.abort()
                async with asyncio.timeout(5):
                    while client.connects <= loss:
                        await asyncio.sleep(0.01)
                assert client.connected
                assert client._supervisor is not None
                assert client._supervisor.cancelling() == 0, f"after {loss} link losses"
    asyncio.run(scenario())


def test_switch_pool_waits_for_its_switches_with_one_deadline() -> None:
    from dialer.runner.fsmap import EventTranslator
    from dialer.runner.switches import SwitchPool

    async def scenario() -> None:
        async with running_switch() as up, running_switch(password="right") as guarded:
            nowhere = EslUrl("127.0.0.1", 9, "ClueCon")
            translator = EventTranslator(lambda: 0.0)
            pool = SwitchPool((("up", up.url), ("nowhere", nowhere)), "c", translator,
                              lambda event: None, lambda: 0.0, backoff=QUICK_BACKOFF)
            async with pool.running():
                loop = asyncio.get_running_loop()
                started = loop.time()
                assert await pool.wait_connected(0.5) == {"up"}
                assert loop.time() - started < 1.5
            wrong = EslUrl(guarded.url.host, guarded.url.port, "wrong")
            pool = SwitchPool((("guarded", wrong),), "c", translator, lambda event: None,
                              lambda: 0.0, backoff=QUICK_BACKOFF)
            async with pool.running():
                with pytest.raises(EslAuthError):
                    await pool.wait_connected(5)
    asyncio.run(scenario())


def test_switch_pool_reports_which_live_legs_are_answered() -> None:
    from dialer.runner.fsmap import EventTranslator
    from dialer.runner.switches import SwitchPool

    async def scenario() -> None:
        ringing = lambda rng: CalleeFate(CalleeKind.NO_ANSWER, float("inf"), 0, 0)  # noqa: E731
        async with running_switch(settings=FAST, fate_source=ringing) as sim:
            translator = EventTranslator(lambda: 0.0)
            pool = SwitchPool((("sim", sim.url),), "c", translator, lambda event: None,
                              lambda: 0.0, backoff=QUICK_BACKOFF)
            async with pool.running():
                assert await pool.wait_connected(5) == {"sim"}
                assert await pool.live_channel_states("sim") == {}
                client = pool.clients["sim"]
                await client.bgapi_result("originate {origination_uuid=leg-1}user/1001 &park()")
                await client.bgapi("originate {origination_uuid=call-1,originate_timeout=600}"
                                   "sofia/gateway/gw/15551112222 &park()")
                async with asyncio.timeout(5):
                    while "call-1" not in (await pool.live_channels("sim") or set()):
                        await asyncio.sleep(0.02)
                states = await pool.live_channel_states("sim")
                assert states is not None and states["leg-1"] == "ACTIVE"
                assert states["call-1"] != "ACTIVE"
            assert await pool.live_channel_states("sim") is None  # closed: not connected
    asyncio.run(scenario())
