"""The FreeSWITCH adapter on real capture 11 (seventeenth fidelity pass, docs/esl.md), which
the per-capture replay left out: a SIP customer bridged to an agent, held and released
(CHANNEL_HOLD/UNHOLD, CUSTOM sofia::reinvite: nothing for the engine), blind-transferred away
(the agent parks again before the customer's CHANNEL_UNBRIDGE: the agent is free; the new
bridge to a leg the dialer did not place maps to nothing), then killed by the dialer."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from test_real_fs_replay import replay

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "esl"))


def test_bridge_hold_transfer_and_kill_tell_the_engine_this_story() -> None:
    rng = random.Random("11")
    chunks = [rng.choice([1, 5, 64, 700, 4096, 1 << 20]) for _ in range(1 << 16)]
    assert replay("11-show-and-uuid-commands", chunks) == [
        "AgentLegUp ann AGENT-a",
        "CallRinging CUST-a", "CallAnswered CUST-a", "CallParked CUST-a",
        "CallBridged CUST-a ann",
        "AgentLegUp ann AGENT-a",  # the transfer: park_after_bridge parks the agent
        "CallHungUp CUST-a NORMAL_CLEARING dialer",  # uuid_kill: send_bye
        "AgentLegDown ann AGENT-a NORMAL_CLEARING"]
