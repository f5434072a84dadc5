"""Commands rendered as FreeSWITCH API lines, checked against a model of FreeSWITCH's parser.

The model reimplements, from FreeSWITCH master (src/switch_utils.c ``switch_separate_string``,
``separate_string_blank_delim``, ``separate_string_char_delim``, ``cleanup_separated_string``;
src/switch_event.c ``switch_event_create_brackets``), how ``originate`` reads its
``{name=value,...}`` block, so that escaping is proven, not assumed.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer.commands import (
    AttemptFinished,
    Bridge,
    CallOutcome,
    CloseAgentLeg,
    Direction,
    Hangup,
    Originate,
    OriginateAgentLeg,
    PlayMessage,
    StartRecording,
)
from dialer.freeswitch import AdapterError, DialPlan, FreeSwitchAdapter, channel_value, render
from dialer.hangup import HangupCause

ESC = "\\"
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t", "s": " "}


def _cleanup(text: str, delim: str) -> str:
    """cleanup_separated_string: drop quotes, unescape, trim blanks."""
    i = 0
    while i < len(text) and text[i] == " ":
        i += 1
    out: list[str] = []
    end = 0
    inside = False
    while i < len(text):
        char = text[i]
        if char == ESC and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in ("'", '"', ESC) or (delim and nxt == delim) or nxt in _UNESCAPE:
                out.append(_UNESCAPE.get(nxt, nxt) if nxt not in ("'", '"', ESC, delim) else nxt)
                end = len(out)
                i += 2
                continue
        if char == "'" and (inside or "'" in text[i + 1 :]):
            inside = not inside
            if inside:
                end = len(out)
        else:
            out.append(char)
            if char != " " or inside:
                end = len(out)
        i += 1
    return "".join(out[:end])


def _split_blank(text: str) -> list[str]:
    """separate_string_blank_delim (quotes toggle unconditionally), then cleanup(…, 0)."""
    pieces: list[str] = []
    current: list[str] = []
    inside = False
    i = 0
    while i < len(text):
        char = text[i]
        if char == ESC and i + 1 < len(text):
            current += [char, text[i + 1]]
            i += 2
            continue
        if char == "'":
            inside = not inside
        if char == " " and not inside:
            if current:
                pieces.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        pieces.append("".join(current))
    return [_cleanup(piece, "") for piece in pieces]


def _split_char(text: str, delim: str, limit: int = 1024) -> list[str]:
    """separate_string_char_delim, then cleanup(…, delim)."""
    pieces: list[str] = []
    start = 0
    inside = False
    i = 0
    while i < len(text) and len(pieces) < limit - 1:
        char = text[i]
        if char == ESC:
            i += 2
            continue
        if char == "'" and (inside or "'" in text[i + 1 :]):
            inside = not inside
        elif char == delim and not inside:
            pieces.append(text[start:i])
            start = i + 1
        i += 1
    pieces.append(text[start:])
    return [_cleanup(piece, delim) for piece in pieces]


def freeswitch_reads(originate_line: str) -> tuple[dict[str, str], str, str]:
    """The channel variables, dial string and application FreeSWITCH gets from the line."""
    command, _, rest = originate_line.partition(" ")
    assert command == "originate"
    args = _split_blank(rest)
    url, application = args[0], args[1]
    assert url.startswith("{")
    depth, end = 0, -1
    for index, char in enumerate(url):  # switch_find_end_paren
        depth += char == "{"
        depth -= char == "}"
        if depth == 0:
            end = index
            break
    variables = {}
    for piece in _split_char(url[1:end], ","):
        name_value = _split_char(piece, "=", limit=2)
        if len(name_value) == 2:
            variables[name_value[0]] = name_value[1]
    return variables, url[end + 1 :], application


def _originate(**variables: str) -> Originate:
    return Originate(
        0.0, "6b4f0a2e-0d7e-4a8a-9d55-3f1f5b1a2c3d", "+12015550123", "+12015550000",
        "Acme Co, Inc.", 25.0, variables or {"dialer_campaign": "spring"}, False,
    )


def test_originate_line_and_what_freeswitch_reads_from_it() -> None:
    call = render(_originate(), DialPlan("sofia/gateway/gw1/{digits}"))
    assert call.background and call.call_id == "6b4f0a2e-0d7e-4a8a-9d55-3f1f5b1a2c3d"
    assert call.command == (
        "originate {origination_uuid=6b4f0a2e-0d7e-4a8a-9d55-3f1f5b1a2c3d,"
        "ignore_early_media=true,originate_timeout=25,"
        "origination_caller_id_number=+12015550000,"
        "origination_caller_id_name=Acme\\sCo\\\\,\\sInc.,hangup_after_bridge=true,"
        "dialer_campaign=spring}sofia/gateway/gw1/12015550123 &park()"
    )
    variables, dial_string, application = freeswitch_reads(call.command)
    assert variables["origination_caller_id_name"] == "Acme Co, Inc."
    assert variables["origination_uuid"] == call.call_id
    assert variables["ignore_early_media"] == "true"
    assert variables["dialer_campaign"] == "spring"
    assert dial_string == "sofia/gateway/gw1/12015550123"
    assert application == "&park()"


def test_machine_detection_starts_amd_on_answer() -> None:
    originate = _originate()
    call = render(
        Originate(**{**{f: getattr(originate, f) for f in originate.__slots__},
                     "detect_machine": True}),
        DialPlan(),
    )
    variables, _, _ = freeswitch_reads(call.command)
    assert variables["execute_on_answer"] == "amd"


_VALUE = st.text(
    alphabet=st.characters(
        min_codepoint=32, max_codepoint=0x24F, blacklist_characters="{}[]\x7f"
    ),
    max_size=40,
).filter(lambda v: "${" not in v)


@given(_VALUE, _VALUE)
def test_any_value_reaches_freeswitch_unchanged(name_value: str, other: str) -> None:
    call = render(_originate(dialer_note=name_value, dialer_other=other), DialPlan())
    variables, dial_string, application = freeswitch_reads(call.command)
    assert variables["dialer_note"] == name_value.strip(" ")
    assert variables["dialer_other"] == other.strip(" ")
    assert dial_string == "sofia/gateway/default/+12015550123" and application == "&park()"


@pytest.mark.parametrize("value", ["a{b", "x]", "line\nbreak", "${expand_me}"])
def test_values_freeswitch_would_misread_are_refused(value: str) -> None:
    with pytest.raises(AdapterError, match="channel variable dialer_x"):
        channel_value("dialer_x", value)


def test_call_control_lines() -> None:
    plan = DialPlan()
    assert render(Bridge(1.0, "c1", "ann", "leg-ann"), plan).command == "uuid_bridge c1 leg-ann"
    assert render(Hangup(1.0, "c1", HangupCause.NORMAL_CLEARING), plan).command == (
        "uuid_kill c1 NORMAL_CLEARING"
    )
    assert render(StartRecording(1.0, "c1", "/rec/c1.wav"), plan).command == (
        "uuid_record c1 start /rec/c1.wav"
    )
    assert render(PlayMessage(1.0, "c1", "/snd/safe.wav", True, "9"), plan).command == (
        "uuid_broadcast c1 playback!normal_clearing::/snd/safe.wav aleg"
    )
    assert render(PlayMessage(1.0, "c1", "/snd/vm.wav", False), plan).command == (
        "uuid_broadcast c1 /snd/vm.wav aleg"
    )
    assert render(CloseAgentLeg(1.0, "ann", "leg-ann"), plan).command == (
        "uuid_kill leg-ann NORMAL_CLEARING"
    )
    finished = AttemptFinished(1.0, "c1", "camp", Direction.OUTBOUND, CallOutcome.BUSY,
                               HangupCause.USER_BUSY)
    assert render(finished, plan) is None


def test_agent_leg_is_nailed_up_and_parked() -> None:
    adapter = FreeSwitchAdapter()
    (call,) = adapter.api_calls([OriginateAgentLeg(0.0, "ann", "leg-ann", "user/1001")])
    variables, dial_string, application = freeswitch_reads(call.command)
    assert (dial_string, application) == ("user/1001", "&park()")
    assert variables["dialer_agent_id"] == "ann"
    assert variables["park_after_bridge"] == "true"
    assert variables["hangup_after_bridge"] == "false"
    assert adapter.agent_legs == {"leg-ann": "ann"}


@pytest.mark.parametrize("path", ["/rec/my file.wav", "a'b.wav", ""])
def test_paths_that_would_split_are_refused(path: str) -> None:
    with pytest.raises(AdapterError, match="recording path"):
        render(StartRecording(1.0, "c1", path), DialPlan())


@given(_VALUE)
def test_the_switch_simulator_reads_the_same_values(value: str) -> None:
    """A second, independent model of the same parser (the ESL switch simulator's)."""
    from simulations.switch.dialstring import separate_string, split_variables

    call = render(_originate(dialer_note=value), DialPlan())
    args = separate_string(call.command.partition(" ")[2], " ")
    url = args[0]
    block, _, dial_string = url[1:].partition("}")
    assert split_variables(block)["dialer_note"] == value.strip(" ")
    assert dial_string == "sofia/gateway/default/+12015550123"
