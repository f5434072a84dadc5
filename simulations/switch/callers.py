"""Inbound callers of the simulated switch: people who dial in, hear prompts and press keys.

A caller arrives as one inbound SIP leg (``sofia/external/NUMBER@...``, Call-Direction
inbound: a carrier's call, no test-harness leg) and runs the operator's dialplan the way the
real capture 10-inbound-queue shows it on its inbound leg: CHANNEL_CREATE, CHANNEL_EXECUTE
``set`` (one per variable: ``dialer_queue``, then any ``dialer_priority``,
``dialer_customer_key`` or caller data), CHANNEL_EXECUTE ``answer`` → CHANNEL_ANSWER (or
``pre_answer`` → CHANNEL_PROGRESS_MEDIA, Answer-State ``early``), CHANNEL_EXECUTE ``park`` →
CHANNEL_PARK with every variable. The dialer sees it only through those events.

The person (``InboundScript``) then reacts to what is played to them (the dialer's prompt
files, by name):

==========================  ===============================================================
a ``*_menu`` prompt         presses the next of ``keys`` ``key_delay`` s into it (barge-in)
``callback_offer`` + key_N  presses N ``key_delay`` s in when ``callback`` (accepts the offer)
``voicemail_greeting``      speaks ``message`` s after the greeting, then hangs up
bridged to an agent         talks ``talk`` s, then hangs up (ending the agent's call)
nobody yet                  hangs up after ``patience`` s (unless waiting for a callback's
                            confirmation or leaving a message)
==========================  ===============================================================

``heard`` keeps every prompt name played to the caller, in order (the tests' ground truth).
Placed by the simulator-only API command ``sim_inbound`` (no FreeSWITCH equivalent: on a
real switch a carrier's call does this) or ``place_inbound`` in process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from simulations.switch.channel import Channel, Role

if TYPE_CHECKING:
    from simulations.switch.switch import Switch


@dataclass(slots=True)
class InboundScript:
    """What one simulated caller does (and, filled in as it happens, what they heard)."""

    queue: str
    number: str = "+13125550150"
    name: str = "Caller"
    did: str = "+18005550199"
    keys: str = ""
    key_delay: float = 1.0
    patience: float = math.inf
    callback: bool = False
    talk: float = 5.0
    message: float = 3.0
    pre_answer: bool = False
    variables: dict[str, str] = field(default_factory=dict)
    """More ``dialer_*`` variables the dialplan sets (``dialer_priority``, caller data)."""
    heard: list[str] = field(default_factory=list)
    uuid: str = ""
    bridged: bool = False
    parked_at: float | None = None
    """When the dialplan parked the call (the switch's clock): handed to the dialer."""
    bridged_at: float | None = None
    """When the caller was first bridged to an agent (the switch's clock)."""
    callback_pressed: bool = False
    ended_by: str = ""
    """``caller`` (patience, talk done, message left) or ``switch`` (the dialer hung up)."""


class InboundCaller:
    """The behaviour of an inbound caller's leg (see the module docstring)."""

    def __init__(self, switch: Switch, channel: Channel, script: InboundScript) -> None:
        self.switch = switch
        self.script = script
        self._keys = list(script.keys)
        self.in_voicemail = False
        channel.behaviour = self
        if math.isfinite(script.patience):
            switch.later(channel, script.patience, lambda: self._give_up(channel))

    def _give_up(self, channel: Channel) -> None:
        script = self.script
        if channel.alive and not script.bridged and not script.callback_pressed and \
                not self.in_voicemail:
            self._hang_up(channel)

    def _hang_up(self, channel: Channel) -> None:
        if channel.alive:
            self.script.ended_by = "caller"
            self.switch.hangup(channel, "NORMAL_CLEARING", "recv_bye")

    def _press(self, channel: Channel, digit: str, delay: float) -> None:
        self.switch.later(channel, delay, lambda: self.switch.media.dtmf(channel, digit))

    # --- what the switch tells the behaviour ------------------------------------------------

    def heard(self, channel: Channel, parts: list[tuple[str, float]]) -> None:
        script = self.script
        names = [PurePosixPath(path).stem if "://" not in path else path for path, _ in parts]
        script.heard.extend(names)
        delay = script.key_delay
        if any(name.endswith("menu") for name in names) and self._keys:
            self._press(channel, self._keys.pop(0), delay)
        if "callback_offer" in names and script.callback and not script.callback_pressed:
            after = names[names.index("callback_offer") + 1:]
            digit = next((n[4:] for n in after if n.startswith("key_")), "1")
            digit = {"star": "*", "pound": "#"}.get(digit, digit)
            script.callback_pressed = True
            self._press(channel, digit, delay)
        if "voicemail_greeting" in names:
            self.in_voicemail = True
            spoken = sum(seconds for _, seconds in parts if math.isfinite(seconds))
            self.switch.later(channel, spoken + script.message, lambda: self._hang_up(channel))

    def bridged(self, channel: Channel) -> None:
        if self.script.bridged_at is None:
            self.script.bridged_at = self.switch.clock()
        self.script.bridged = True
        self.switch.later(channel, self.script.talk, lambda: self._hang_up(channel))

    def partner_left(self, channel: Channel) -> None:
        # The agent left: with the dialplan's hangup_after_bridge the caller's leg ends too.
        if channel.alive and channel.variables.get("hangup_after_bridge", "true") == "true":
            self.script.ended_by = self.script.ended_by or "switch"
            self.switch.hangup(channel, "NORMAL_CLEARING", "send_bye")

    def playback_started(self, channel: Channel, duration: float) -> None:
        pass

    def playback_finished(self, channel: Channel) -> None:
        pass


def place_inbound(switch: Switch, script: InboundScript) -> Channel:
    """An inbound call: the leg, the dialplan's ``set``/``answer``/``park`` (capture 10)."""
    uuid = switch._new_uuid()
    channel = switch._channel(f"sofia/external/{script.number}@192.0.2.10", Role.CALLEE,
                              script.did, {"hangup_after_bridge": "true"}, uuid, "inbound")
    channel.caller_id_number = script.number
    channel.caller_id_name = script.name
    script.uuid = uuid
    switch._register(channel)
    switch.set_state(channel, "CS_INIT")
    switch.fire("CHANNEL_CREATE", channel)
    switch.set_call_state(channel, "RINGING")
    switch.set_state(channel, "CS_ROUTING")
    switch.set_state(channel, "CS_EXECUTE")
    for name, value in {"dialer_queue": script.queue, **script.variables}.items():
        data = f"{name}={value}"
        switch.execute(channel, "set", data)
        channel.variables[name] = value
        switch.execute_complete(channel, "set", data)
    InboundCaller(switch, channel, script)
    now = switch.bus.now_us()
    if script.pre_answer:
        switch.execute(channel, "pre_answer")
        channel.answer_state = "early"
        channel.media_up = True
        switch.fire("CHANNEL_PROGRESS_MEDIA", channel)
        switch.set_call_state(channel, "EARLY")
        switch.execute_complete(channel, "pre_answer", "")
    else:
        switch.execute(channel, "answer")
        channel.answered_us = now
        channel.answer_state = "answered"
        channel.media_up = True
        switch.fire("CHANNEL_ANSWER", channel)
        switch.set_call_state(channel, "ACTIVE")
        switch.execute_complete(channel, "answer", "")
    script.parked_at = switch.clock()
    switch.execute(channel, "park")
    return channel


def parse_script(argument: str) -> InboundScript:
    """``sim_inbound QUEUE [number=+1...] [keys=12] [key_delay=1] [patience=60]
    [callback=yes] [talk=20] [message=5] [pre_answer=yes] [did=...] [dialer_X=value]``."""
    words = argument.split()
    if not words:
        raise ValueError("usage: sim_inbound QUEUE [name=value ...]")
    script = InboundScript(words[0])
    for word in words[1:]:
        name, _, value = word.partition("=")
        if name.startswith("dialer_"):
            script.variables[name] = value
        elif name in ("number", "name", "did", "keys"):
            setattr(script, name, value)
        elif name in ("key_delay", "patience", "talk", "message"):
            setattr(script, name, float(value))
        elif name in ("callback", "pre_answer"):
            setattr(script, name, value.lower() in ("1", "yes", "true"))
        else:
            raise ValueError(f"sim_inbound: unknown setting {name!r}")
    return script


__all__ = ["InboundCaller", "InboundScript", "parse_script", "place_inbound"]
