"""The runner against the switch simulator sped up: the engine and the switch agree on time.

At ``speed`` 10 the simulator runs ten simulated seconds a real second, and the runner's
clock was the wall clock: the engine's ring time (25 s after the reported ringing) lasted
250 simulated seconds, so every unanswered call rang to the switch's backstop
(``originate_timeout`` = 68 simulated seconds, 6.8 real ones) and was ended there, 2.7 times
the ring time the campaign sets; the connect window and wrap-up were ten times too long
too. The runner now takes the simulator's clock and waits in its time (``clock_rate``):
the call rings the ring time, measured on the switch."""

from __future__ import annotations

import asyncio

from dialer.runner.demo import demo_switch_files
from dialer.runner.runner import Runner
from simulations.switch.embedded import running_switch
from simulations.switch.fates import SimpleCallees
from simulations.switch.switch import SwitchSettings
from tests.dialer.runner.runner_kit import make_store, settings_for

SPEED = 10.0
RING = 25.0


def test_at_speed_10_an_unanswered_call_rings_the_ring_time_not_to_the_backstop(tmp_path):
    # Progressive: predictive may shed a late call after 15 s of ringing (docs/pacing.md).
    store = make_store(tmp_path, agents=2, leads=60, amd_enabled=False, ring_timeout=RING,
                       pacing_policy="progressive")
    rang: dict[str, float] = {}
    ended: dict[str, float] = {}

    async def scenario() -> float:
        nobody_answers = SimpleCallees(live_answer=0.0, machine=0.0, busy=0.0, failed=0.0)
        settings = SwitchSettings(speed=SPEED, heartbeat_interval=0,
                                  sound_files=demo_switch_files())
        async with running_switch(settings=settings, fate_source=nobody_answers,
                                  seed=5) as sim:
            switch = sim.switch
            create, hang_up = switch.create, switch.hangup

            def noted_create(name, role, destination, variables, channel_uuid=None):
                channel = create(name, role, destination, variables, channel_uuid)
                if name.startswith("sofia/gateway/"):
                    rang[channel.uuid] = switch.clock()
                return channel

            def noted_hang_up(channel, cause, *args, **kwargs):
                if channel.uuid in rang and channel.uuid not in ended:
                    ended[channel.uuid] = switch.clock()
                return hang_up(channel, cause, *args, **kwargs)

            switch.create, switch.hangup = noted_create, noted_hang_up
            runner = Runner(settings_for(tmp_path, sim.url, stop_grace=5.0), store,
                            login_agents=True, clock=switch.clock, clock_rate=SPEED)
            start = switch.clock()
            await runner.run(duration=90.0)  # simulated seconds: 9 real ones
            return start

    start = asyncio.run(scenario())
    store.close()
    # Calls dialed in the first 50 simulated seconds rang out before the stop.
    early = {uuid: ended[uuid] - at for uuid, at in rang.items()
             if at - start < 50.0 and uuid in ended}
    assert early, "the runner dialed nothing"
    backstop = 2 * RING + 15.0 + 1.0 + 2.0
    for uuid, seconds in early.items():
        assert RING <= seconds < RING + 10.0 < backstop - 30.0, (uuid, seconds)
