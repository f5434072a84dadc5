"""Engine commands as FreeSWITCH API command lines (sans-I/O: strings out, nothing sent).

A value in an originate's ``{name=value,...}`` block is parsed three times by FreeSWITCH
(master, src/switch_utils.c and src/switch_event.c):
1. ``mod_commands`` splits the whole line on blanks (``switch_separate_string`` with ' ');
2. ``switch_event_create_brackets`` splits the block on commas;
3. each piece is split once on '=' into name and value.
Every split honours ``\\`` escapes and single quotes, then ``cleanup_separated_string``
removes quotes and unescapes ``\\\\``, ``\\'``, ``\\<delimiter>`` and ``\\s`` (space).
``channel_value`` escapes for the three passes in reverse order so that FreeSWITCH ends with
the value unchanged; the tests model the three passes from that source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from dialer.commands import (
    Bridge,
    BridgeLegs,
    CloseAgentLeg,
    Command,
    Eavesdrop,
    Hangup,
    HoldCall,
    Originate,
    OriginateAgentLeg,
    OriginateConsult,
    ParkCall,
    PauseRecording,
    PlayMessage,
    PlayPrompt,
    ResumeRecording,
    StartRecording,
    StopPlayback,
    StopRecording,
    TransferOut,
)
from dialer.errors import DialerError
from dialer.freeswitch.dial_strings import UNSAFE_TOKEN as _UNSAFE_TOKEN


class AdapterError(DialerError):
    """A command cannot be expressed safely as a FreeSWITCH API call."""


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One FreeSWITCH API command line, and whether to send it with ``bgapi``.

    Originates go through ``bgapi`` (an ``api originate`` blocks the ESL connection until the
    call is answered or fails); the others answer at once and may use ``api``.
    """

    command: str
    background: bool = False
    call_id: str | None = None
    """The channel the command creates or acts on (for Job-UUID correlation and logs)."""
    agent_id: str | None = None
    agent_leg_id: str | None = None
    """A bridge's agent and leg (a refused bridge leaves that leg parked)."""


_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00-\x1f\x7f{}\[\]]|\$\{")


def _escape(value: str, delimiter: str) -> str:
    """Escape for one split-and-cleanup pass whose delimiter is ``delimiter``."""
    out = []
    for char in value:
        if char == " " and delimiter == " ":
            out.append("\\s")  # cleanup turns \s into a space; a plain blank would split
        elif char in ("\\", "'") or char == delimiter:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def channel_value(name: str, value: str) -> str:
    """Write ``value`` for a ``{name=value}`` originate block so FreeSWITCH reads it back as is.

    Leading and trailing blanks are dropped (FreeSWITCH trims them anyway).
    """
    if _FORBIDDEN_IN_VALUE.search(value):
        raise AdapterError(
            f"channel variable {name}: value {value!r} contains a brace, bracket, control "
            "character or '${'; FreeSWITCH would misread it: remove those characters"
        )
    value = value.strip(" ")
    return _escape(_escape(_escape(value, "="), ","), " ")


def variable_block(variables: Mapping[str, str]) -> str:
    parts = []
    for name, value in variables.items():
        if not _VARIABLE_NAME.match(name):
            raise AdapterError(
                f"channel variable name {name!r} is not valid: use letters, digits and '_'"
            )
        parts.append(f"{name}={channel_value(name, str(value))}")
    return "{" + ",".join(parts) + "}"


def _token(what: str, value: str) -> str:
    """An argument that must reach FreeSWITCH as one blank-free token (uuid, path, ...)."""
    if not value or _UNSAFE_TOKEN.search(value):
        raise AdapterError(
            f"{what} {value!r} is empty or contains blanks, quotes, commas, braces or "
            "backslashes; FreeSWITCH splits API arguments on them: rename it"
        )
    return value


class MachineDetector(StrEnum):
    """Which answering-machine detector a switch offers (``detect_detector`` at start)."""

    AMD = "amd"
    """mod_amd's ``amd`` (not in FreeSWITCH's tree: installed by the operator): classifies
    HUMAN/MACHINE/NOTSURE after analysing the greeting; reported on its EXECUTE_COMPLETE."""
    AVMD = "avmd"
    """mod_avmd (in the tree) detects a voicemail beep only; with it, ``wait_for_silence``
    (mod_dptools) measures the greeting: no silence within ``greeting_limit_ms`` means a
    greeting longer than a person's "Hello?", classed as a machine."""
    NONE = "none"


@dataclass(frozen=True, slots=True)
class DialPlan:
    """How to reach customers and agents on one switch.

    ``customer_dial_string``: ``{number}`` is the E.164 number, ``{digits}`` the same without
    ``+`` (most SIP carriers want one or the other). ``detector``: what runs on answer when
    the engine asks for machine detection (``MachineDetector``). ``owner``: the dialer
    process's id, carried by its agent legs so that a restart finds the ones it left behind.
    """

    customer_dial_string: str = "sofia/gateway/default/{number}"
    agent_originate_timeout: int = 30
    detector: MachineDetector = MachineDetector.AMD
    greeting_limit_ms: int = 3000
    """avmd: a greeting still going after this long is a machine's (wait_for_silence)."""
    owner: str = ""

    def customer(self, number_e164: str) -> str:
        return self.customer_dial_string.format(
            number=_token("number", number_e164), digits=number_e164.lstrip("+")
        )


_RECORD_ACTIONS: dict[type, str] = {PauseRecording: "mask", ResumeRecording: "unmask",
                                     StopRecording: "stop"}


def render(command: Command, plan: DialPlan) -> ApiCall | None:
    """The API call for a switch-bound command; None for storage-bound commands."""
    kind = type(command)
    if kind is Originate:
        return _originate(command, plan)  # type: ignore[arg-type]
    if kind is Bridge:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        leg = _token("agent leg id", command.agent_leg_id)  # type: ignore[union-attr]
        # bgapi: its result (``-ERR Invalid uuid`` when a leg is gone) must be read.
        return ApiCall(f"uuid_bridge {call_id} {leg}", True, call_id,
                       command.agent_id, leg)  # type: ignore[union-attr]
    if kind is PlayMessage:
        return _broadcast(command)  # type: ignore[arg-type]
    if kind is PlayPrompt:
        return _prompts(command)  # type: ignore[arg-type]
    if kind is StopPlayback:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        # ``all``: a broadcast queues behind the one playing; every queued one goes too.
        return ApiCall(f"uuid_break {call_id} all", call_id=call_id)
    if kind is Hangup:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        return ApiCall(f"uuid_kill {call_id} {command.cause.name}", call_id=call_id)  # type: ignore[union-attr]
    if kind is StartRecording:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        path = _token("recording path", command.path)  # type: ignore[union-attr]
        return ApiCall(f"uuid_record {call_id} start {path}", call_id=call_id)
    if kind in _RECORD_ACTIONS:
        # mask/unmask keep the file going with silence (a card number is never on disk).
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        path = _token("recording path", command.path)  # type: ignore[union-attr]
        return ApiCall(f"uuid_record {call_id} {_RECORD_ACTIONS[kind]} {path}",
                       call_id=call_id)
    if kind is OriginateAgentLeg:
        return _agent_leg(command, plan)  # type: ignore[arg-type]
    if kind is CloseAgentLeg:
        leg = _token("agent leg id", command.agent_leg_id)  # type: ignore[union-attr]
        return ApiCall(f"uuid_kill {leg} NORMAL_CLEARING", call_id=leg)
    return _desk(command, plan)


def _desk(command: Command, plan: DialPlan) -> ApiCall | None:
    """The agent desktop's commands (hold, transfers, consultations, eavesdrop).

    From the real capture 11-show-and-uuid-commands: ``uuid_hold`` / ``uuid_hold off`` answer
    ``+OK Success`` and leave the bridge up (CHANNEL_HOLD / CHANNEL_UNHOLD); ``uuid_transfer``
    answers ``+OK`` and takes the channel out of its bridge into the new dialplan while the
    agent's leg goes back to park (its ``park_after_bridge``), with no TRANSFER event.
    """
    kind = type(command)
    if kind is HoldCall:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        off = "" if command.held else "off "  # type: ignore[union-attr]
        return ApiCall(f"uuid_hold {off}{call_id}", call_id=call_id)
    if kind is ParkCall:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        return ApiCall(f"uuid_park {call_id}", call_id=call_id)
    if kind is TransferOut:
        call_id = _token("call id", command.call_id)  # type: ignore[union-attr]
        # An inline dialplan of one application: the customer leg bridges to the outside
        # number and, with its hangup_after_bridge, ends when that party hangs up.
        target = plan.customer(command.number_e164)  # type: ignore[union-attr]
        return ApiCall(f"uuid_transfer {call_id} bridge:{target} inline", call_id=call_id)
    if kind is BridgeLegs:
        leg_a = _token("leg id", command.leg_a)  # type: ignore[union-attr]
        leg_b = _token("leg id", command.leg_b)  # type: ignore[union-attr]
        return ApiCall(f"uuid_bridge {leg_a} {leg_b}", call_id=leg_a)
    if kind is OriginateConsult:
        return _consult(command, plan)  # type: ignore[arg-type]
    if kind is Eavesdrop:
        return _eavesdrop(command, plan)  # type: ignore[arg-type]
    return None


def _consult(command: OriginateConsult, plan: DialPlan) -> ApiCall:
    leg = _token("consult leg id", command.leg_id)
    variables = {
        "origination_uuid": leg,
        "ignore_early_media": "true",
        "originate_timeout": str(max(1, round(command.ring_timeout))),
        "origination_caller_id_number": command.caller_id_number,
        "dialer_leg": "consult",
        # Not dialer_agent_id: that variable marks an agent's own nailed-up leg.
        "dialer_consulting_agent": command.agent_id,
        # Once bridged to the customer (completed transfer), end with them.
        "hangup_after_bridge": "true",
    }
    if command.caller_id_name:
        variables["origination_caller_id_name"] = command.caller_id_name
    line = f"originate {variable_block(variables)}{plan.customer(command.number_e164)} &park()"
    return ApiCall(line, background=True, call_id=leg)


EAVESDROP_VARIABLES = {
    "listen": {},
    # mod_dptools' eavesdrop: "2 to speak with the uuid" is its whisper_bleg flag (the
    # eavesdropped channel's write side: the agent hears); both flags are the three-way.
    "whisper": {"eavesdrop_whisper_bleg": "true"},
    "barge": {"eavesdrop_whisper_aleg": "true", "eavesdrop_whisper_bleg": "true"},
}


def _eavesdrop(command: Eavesdrop, plan: DialPlan) -> ApiCall:
    if command.mode not in EAVESDROP_VARIABLES:
        raise AdapterError(f"eavesdrop mode {command.mode!r}: choose listen, whisper or barge")
    leg = _token("supervisor leg id", command.leg_id)
    target = _token("agent leg id", command.target_leg_id)
    variables = {
        "origination_uuid": leg,
        "dialer_leg": "supervisor",
        "dialer_supervisor": command.supervisor,
        "originate_timeout": str(plan.agent_originate_timeout),
        # The supervisor's phone may switch modes with the keys 0-3 as well.
        "eavesdrop_enable_dtmf": "true",
        **EAVESDROP_VARIABLES[command.mode],
    }
    endpoint = _token("supervisor endpoint", command.endpoint)
    return ApiCall(f"originate {variable_block(variables)}{endpoint} &eavesdrop({target})",
                   background=True, call_id=leg)


def _originate(command: Originate, plan: DialPlan) -> ApiCall:
    call_id = _token("call id", command.call_id)
    variables: dict[str, str] = {
        "origination_uuid": call_id,
        # Wait for a real answer: a 183 with early media must not start the connect window.
        "ignore_early_media": "true",
        "originate_timeout": str(max(1, round(command.ring_timeout))),
        "origination_caller_id_number": command.caller_id_number,
    }
    if command.caller_id_name:
        variables["origination_caller_id_name"] = command.caller_id_name
    variables["hangup_after_bridge"] = "true"
    if command.detect_machine:
        variables.update(detector_variables(plan))
    for name, value in command.variables.items():
        variables.setdefault(name, value)
    # The engine's gateway router chose the endpoint (least cost, capacity, failover);
    # without one, the switch's plan names the single gateway.
    endpoint = (_token("dial string", command.dial_string) if command.dial_string
                else plan.customer(command.number_e164))
    line = f"originate {variable_block(variables)}{endpoint} &park()"
    return ApiCall(line, background=True, call_id=call_id)


def detector_variables(plan: DialPlan) -> dict[str, str]:
    """The originate variables that start the switch's machine detector on answer.

    ``execute_on_answer`` runs in the answer path; FreeSWITCH runs every variable whose name
    starts with it (``execute_on_answer_2``...), in order. A blocking application there
    (``amd``, ``wait_for_silence``) delays the originate's park, so the customer's leg parks
    (and can be bridged) once the detector has decided: the connect window then runs from
    the end of the greeting, as 47 CFR 64.1200(a)(7)(i) measures it.
    """
    if plan.detector is MachineDetector.AMD:
        return {"execute_on_answer": "amd"}
    if plan.detector is MachineDetector.AVMD:
        # wait_for_silence <threshold> <silence frames> <speech frames> <timeout ms>: 25
        # silent 20 ms frames (0.5 s) after 5 of speech end a greeting.
        return {"execute_on_answer": "avmd_start",
                "execute_on_answer_2": f"wait_for_silence 200 25 5 {plan.greeting_limit_ms}"}
    raise AdapterError("machine detection asked for, but this switch has no detector "
                       "(neither mod_amd nor mod_avmd): turn AMD off for the campaign")


def _agent_leg(command: OriginateAgentLeg, plan: DialPlan) -> ApiCall:
    leg = _token("agent leg id", command.agent_leg_id)
    variables = {
        "origination_uuid": leg,
        "dialer_agent_id": command.agent_id,
        "dialer_leg": "agent",
        "originate_timeout": str(plan.agent_originate_timeout),
        # The nailed-up leg outlives each customer: park it again when a customer hangs up.
        "hangup_after_bridge": "false",
        "park_after_bridge": "true",
    }
    if plan.owner:
        variables["dialer_owner"] = plan.owner
    endpoint = _token("agent endpoint", command.endpoint)
    return ApiCall(
        f"originate {variable_block(variables)}{endpoint} &park()", background=True, call_id=leg
    )


def _prompts(command: PlayPrompt) -> ApiCall:
    """Prompts then music (an inbound caller's menu, announcement or farewell) as one
    broadcast: ``file_string://`` (mod_dptools' file format) plays its ``!``-separated files
    in turn, and a ``local_stream://`` at its end loops until ``uuid_break``."""
    call_id = _token("call id", command.call_id)
    files = [_token("prompt file", f) for f in command.files]
    if command.music:
        files.append(_token("music", command.music))
    for name in files:
        if "!" in name:
            raise AdapterError(f"prompt file {name!r} contains '!', which separates the files "
                               "of a file_string: rename it")
    if not files:
        raise AdapterError(f"call {call_id}: a prompt with no file and no music")
    path = files[0] if len(files) == 1 else "file_string://" + "!".join(files)
    app = "playback!normal_clearing" if command.hangup_after else "playback"
    return ApiCall(f"uuid_broadcast {call_id} {app}::{path} aleg", call_id=call_id)


def _broadcast(command: PlayMessage) -> ApiCall:
    call_id = _token("call id", command.call_id)
    path = _token("message file", command.message)
    # ``app!CAUSE::args`` makes FreeSWITCH hang up with CAUSE when the app ends
    # (switch_ivr_broadcast, switch_ivr_async.c).
    what = f"playback!normal_clearing::{path}" if command.hangup_after else path
    return ApiCall(f"uuid_broadcast {call_id} {what} aleg", call_id=call_id)
