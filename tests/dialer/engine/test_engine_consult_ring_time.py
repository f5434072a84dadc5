"""The consult leg of an attended transfer rings the ring time, like a campaign call.

FreeSWITCH's ``originate_timeout`` runs from the originate, call set-up included (capture
04a: ringing reported 0.02 s after the originate, the call ended 4.9 s after a 5 s
timeout), and the consult leg was given ``ring_timeout`` itself: with a slow set-up the
third party's phone rang less than the ring time the campaign sets. Now the switch is given
the campaign calls' backstop (``switch_ring_timeout``) and the engine ends the leg itself,
``ring_timeout`` after the ringing the switch reports, or ``ring_timeout +
SETUP_ALLOWANCE`` after the dial while none is reported (docs/compliance.md, "Ring time");
the agent is told and gets the customer back."""

from __future__ import annotations

from engine_kit import of_type
from hypothesis import given, settings
from hypothesis import strategies as st
from test_engine_desk import connected

from dialer.commands import AgentNotice, Bridge, Hangup, OriginateConsult
from dialer.engine.config import SETUP_ALLOWANCE, switch_ring_timeout
from dialer.events import CallAnswered, CallHungUp, CallRinging, ConsultRequested

RING = 20.0


def _consult(**config):
    engine, _, call_id, agent, legs = connected(ring_timeout=RING, **config)
    out = engine.handle(ConsultRequested(10.0, agent, "number", "+12015550199"))
    (dial,) = of_type(out, OriginateConsult)
    return engine, call_id, agent, legs, dial


def _ended_at(engine, leg_id: str, until: float, step: float = 0.25,
              ringing_at: float | None = None) -> float | None:
    """When the engine hangs the leg up, ticking every ``step`` seconds from 10 s (the
    switch reporting ringing at ``ringing_at``, if given)."""
    t = 10.0
    while t < until:
        t += step
        if ringing_at is not None and ringing_at <= t:
            engine.handle(CallRinging(ringing_at, leg_id))
            ringing_at = None
        if any(h.call_id == leg_id for h in of_type(engine.tick(t), Hangup)):
            return t
    return None


def test_the_switch_gets_the_backstop_not_the_ring_time() -> None:
    engine, _, _, _, dial = _consult()
    config = engine.config
    assert dial.ring_timeout == switch_ring_timeout(RING, False, config.decision_interval)
    assert dial.ring_timeout > 2 * RING + SETUP_ALLOWANCE


def test_a_slow_set_up_still_rings_the_whole_ring_time_then_the_agent_gets_the_customer_back(
) -> None:
    engine, call_id, _, _, dial = _consult()
    ended = _ended_at(engine, dial.leg_id, 60.0, ringing_at=18.0)  # 8 s of set-up
    assert ended is not None and ended - 18.0 >= RING
    assert ended - 18.0 <= RING + engine.config.decision_interval
    assert not engine.consults.by_agent and not engine.consults.by_leg
    # The customer is back with the agent, who was told why.
    assert engine.calls[call_id].state.name == "BRIDGING"


def test_the_agent_is_told_the_party_did_not_answer() -> None:
    engine, call_id, agent, legs, dial = _consult()
    engine.handle(CallRinging(10.5, dial.leg_id))
    out: list = []
    t = 10.5
    while not of_type(out, Hangup) and t < 100.0:
        t += 1.0
        out = engine.tick(t)
    notices = [n.text for n in of_type(out, AgentNotice)]
    assert any("did not answer" in text for text in notices)
    assert Bridge(t, call_id, agent, legs[agent]) in of_type(out, Bridge)
    # The switch's hang-up of the leg after that changes nothing.
    assert not of_type(engine.handle(CallHungUp(t + 0.1, dial.leg_id)), Bridge)


def test_no_ringing_reported_waits_out_the_set_up_allowance() -> None:
    engine, _, _, _, dial = _consult()
    ended = _ended_at(engine, dial.leg_id, 80.0)
    assert ended is not None and ended - 10.0 >= RING + SETUP_ALLOWANCE


def test_an_answered_consult_is_not_ended() -> None:
    engine, _, _, _, dial = _consult()
    engine.handle(CallRinging(11.0, dial.leg_id))
    engine.handle(CallAnswered(15.0, dial.leg_id))
    t, ended = 15.0, []
    while t < 100.0:
        t += 0.5
        ended += [h for h in of_type(engine.tick(t), Hangup) if h.call_id == dial.leg_id]
    assert ended == []


@settings(max_examples=60, deadline=None)
@given(setup=st.floats(0.0, 40.0), ring=st.floats(15.0, 60.0),
       step=st.sampled_from([0.1, 0.5, 1.0, 2.5]), reported=st.booleans())
def test_no_consult_leg_rings_less_than_the_ring_time(setup: float, ring: float, step: float,
                                                      reported: bool) -> None:
    """Ringing reported after any set-up, or never: the leg rings ``ring`` at least
    (reported), or is given ``ring + SETUP_ALLOWANCE`` from the dial (not reported), and
    the engine ends it before the switch's backstop would."""
    engine, _, _, agent, _ = connected(ring_timeout=ring)
    (dial,) = of_type(engine.handle(ConsultRequested(10.0, agent, "number", "+12015550199")),
                      OriginateConsult)
    ringing_at = 10.0 + setup if reported else None
    ended = _ended_at(engine, dial.leg_id, 10.0 + 3 * ring + 60.0, step, ringing_at)
    assert ended is not None
    if ringing_at is not None and ringing_at <= ended:
        assert ended - ringing_at >= ring
    else:
        assert ended - 10.0 >= ring + SETUP_ALLOWANCE
    assert ended - 10.0 < dial.ring_timeout  # before the switch's backstop
