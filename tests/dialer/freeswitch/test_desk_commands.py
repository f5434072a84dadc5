"""The agent desktop's switch commands as FreeSWITCH API lines (syntax per the real capture
11-show-and-uuid-commands: uuid_hold [off], uuid_transfer, uuid_bridge; mod_dptools
eavesdrop)."""

from __future__ import annotations

import pytest

from dialer.commands import (
    BridgeLegs,
    Eavesdrop,
    HoldCall,
    OriginateConsult,
    ParkCall,
    TransferOut,
)
from dialer.freeswitch import AdapterError, DialPlan, render

PLAN = DialPlan(customer_dial_string="sofia/gateway/carrier/{number}")


@pytest.mark.parametrize(("command", "line"), [
    (HoldCall(0, "c1", True), "uuid_hold c1"),
    (HoldCall(0, "c1", False), "uuid_hold off c1"),
    (ParkCall(0, "c1"), "uuid_park c1"),
    (TransferOut(0, "c1", "+12015550199"),
     "uuid_transfer c1 bridge:sofia/gateway/carrier/+12015550199 inline"),
    (BridgeLegs(0, "leg-a", "leg-b"), "uuid_bridge leg-a leg-b"),
])
def test_desk_lines(command, line) -> None:
    assert render(command, PLAN).command == line


def test_the_consult_leg_is_a_background_originate_that_is_not_an_agent_leg() -> None:
    call = render(OriginateConsult(0, "x1", "ann", "+12015550199", "+12015550100", "", 20.0),
                  PLAN)
    assert call.background and call.call_id == "x1"
    assert call.command.endswith("sofia/gateway/carrier/+12015550199 &park()")
    assert "origination_uuid=x1" in call.command and "hangup_after_bridge=true" in call.command
    assert "dialer_agent_id" not in call.command  # that variable marks nailed-up agent legs


@pytest.mark.parametrize(("mode", "flags"), [
    ("listen", ()),
    ("whisper", ("eavesdrop_whisper_bleg=true",)),
    ("barge", ("eavesdrop_whisper_aleg=true", "eavesdrop_whisper_bleg=true")),
])
def test_eavesdrop_modes(mode, flags) -> None:
    line = render(Eavesdrop(0, "s1", "sam", "user/2001", "agent-leg", mode), PLAN).command
    assert line.endswith("user/2001 &eavesdrop(agent-leg)")
    assert all(flag in line for flag in flags)
    assert ("whisper" in line) == bool(flags)


def test_an_unknown_eavesdrop_mode_is_refused() -> None:
    with pytest.raises(AdapterError, match="listen, whisper or barge"):
        render(Eavesdrop(0, "s1", "sam", "user/2001", "agent-leg", "shout"), PLAN)


def test_a_transfer_number_with_a_blank_cannot_split_the_line() -> None:
    with pytest.raises(AdapterError):
        render(TransferOut(0, "c1", "+1 201"), PLAN)
