"""Originates go out through the gateway the engine's router chose; recording pause, resume
and stop reach the switch as ``uuid_record mask|unmask|stop`` (the card number is never on
disk: the file goes on with silence)."""

from __future__ import annotations

import pytest

from dialer.commands import Originate, PauseRecording, ResumeRecording, StopRecording
from dialer.freeswitch import AdapterError, DialPlan, render

PLAN = DialPlan(customer_dial_string="sofia/gateway/default/{number}")


def _originate(dial_string: str | None) -> Originate:
    return Originate(0.0, "c-1", "+12015550123", "+12015550100", "", 25.0,
                     {"dialer_gateway": "carrier2"}, gateway="carrier2" if dial_string else None,
                     dial_string=dial_string)


def test_the_routers_dial_string_wins_over_the_plan() -> None:
    routed = render(_originate("sofia/gateway/carrier2/+12015550123"), PLAN)
    assert routed is not None
    assert routed.command.endswith("}sofia/gateway/carrier2/+12015550123 &park()")
    assert "dialer_gateway=carrier2" in routed.command
    default = render(_originate(None), PLAN)
    assert default is not None
    assert default.command.endswith("}sofia/gateway/default/+12015550123 &park()")


def test_a_dial_string_that_would_split_the_line_is_refused() -> None:
    with pytest.raises(AdapterError):
        render(_originate("sofia/gateway/carrier2/+1201 &hangup()"), PLAN)


@pytest.mark.parametrize(("command", "action"), [
    (PauseRecording, "mask"), (ResumeRecording, "unmask"), (StopRecording, "stop")])
def test_recording_controls(command, action) -> None:
    call = render(command(0.0, "c-1", "/rec/spring/c-1.wav"), PLAN)
    assert call is not None and call.command == f"uuid_record c-1 {action} /rec/spring/c-1.wav"
