"""Invariants of the simulated switch over random callee populations: every originate gets
exactly one BACKGROUND_JOB that agrees with the channel's fate, and every channel ends with
HANGUP → HANGUP_COMPLETE → DESTROY, with nothing after it."""

from __future__ import annotations

import asyncio
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from switch_wire import RawClient

from dialer.esl.protocol import EventReceived
from simulations.population import CalleeFate, CalleeKind
from simulations.switch.embedded import running_switch
from simulations.switch.switch import SwitchSettings

fates = st.builds(
    CalleeFate,
    st.sampled_from(list(CalleeKind)),
    st.one_of(st.floats(0.05, 40.0), st.just(math.inf)),
    st.floats(0.1, 5.0),
    st.floats(0.1, 5.0),
)


@settings(max_examples=8, deadline=None)
@given(st.lists(fates, min_size=1, max_size=8), st.integers(0, 2**16))
def test_every_call_ends_once_and_reports_its_job(drawn: list[CalleeFate], seed: int) -> None:
    async def scenario() -> None:
        queue = list(drawn)
        switch_settings = SwitchSettings(speed=400.0, heartbeat_interval=0, playback_seconds=1.0)
        async with running_switch(settings=switch_settings, fate_source=lambda rng: queue.pop(0),
                                  seed=seed) as sim:
            client = await RawClient.connect(sim.url.host, sim.url.port)
            await client.login()
            await client.send("event plain ALL\n\n")
            for index in range(len(drawn)):
                # ignore_early_media: without it a 183 makes the originate succeed (flow 17).
                await client.send(f"bgapi originate {{origination_uuid=u{index},"
                                  f"ignore_early_media=true,originate_timeout=30}}"
                                  f"sofia/gateway/gw/1555{index:07d} "
                                  "&park()\nJob-UUID: j{index}\n\n".replace("{index}", str(index)))
            events = []
            def count(name: str) -> int:
                return sum(e.name == name for e in events)

            # A job's result may come before or after its channel's last event (reference §2.3).
            async with asyncio.timeout(20):
                while min(count("CHANNEL_DESTROY"), count("BACKGROUND_JOB")) < len(drawn):
                    message = await client.next(20)
                    if isinstance(message, EventReceived):
                        events.append(message.event)
            for index, fate in enumerate(drawn):
                uuid = f"u{index}"
                mine = [e.name for e in events if e.get("Unique-ID") == uuid
                        and e.name not in ("CHANNEL_STATE", "CHANNEL_CALLSTATE")]
                # A parked leg leaves park on its way out (UNPARK, park's EXECUTE_COMPLETE).
                tail = mine[mine.index("CHANNEL_HANGUP"):]
                assert tail[-2:] == ["CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY"], mine
                assert set(tail[1:-2]) <= {"CHANNEL_UNPARK", "CHANNEL_EXECUTE_COMPLETE"}, mine
                assert mine.count("CHANNEL_DESTROY") == 1
                jobs = [e for e in events if e.name == "BACKGROUND_JOB"
                        and e.get("Job-UUID") == f"j{index}"]
                assert len(jobs) == 1
                answered = "CHANNEL_ANSWER" in mine
                assert jobs[0].body == (f"+OK {uuid}\n" if answered else
                                        f"-ERR {jobs[0].body[5:].strip()}\n")
                fits = fate.answer_after <= 30
                assert answered == (fate.kind in (CalleeKind.LIVE, CalleeKind.MACHINE) and fits)
    asyncio.run(scenario())
