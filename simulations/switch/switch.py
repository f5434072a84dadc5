"""The simulated switch: channels, their life cycle and the event sequences FreeSWITCH fires.

Sequences follow the real FreeSWITCH 1.11 captures (tests/fixtures/esl/real-fs, README
"Surprises") and reference §2.3. The life cycle primitives are here; what one ``originate``
does (job result, the races of ``uuid_bridge`` against it) is ``origination.py``; playback,
beep detection, DTMF and recording are ``media.py``; what the far end does is
``behaviour.py``.

* A ``sofia/...`` endpoint is one leg (a production dialer does not see the carrier's side).
* A ``loopback/DEST/CONTEXT`` endpoint is two legs, as mod_loopback makes them: the a-leg is
  created under a throw-away UUID and renamed by CHANNEL_UUID (``Old-Unique-ID``) to the
  ``origination_uuid``; the b-leg (Call-Direction inbound) inherits every originate variable
  and runs CONTEXT (``agents``: answer and park; ``inbound``: ``dialer_queue``, answer, park;
  anything else: the callee). Both legs emit full event sets.
* Hang-ups: the side that ends the call reports first; a bridged leg's partner returns to park
  (``park_after_bridge``, CHANNEL_PARK in CS_PARK, no EXECUTE) before its CHANNEL_UNBRIDGE.

Time is a ``Timers`` (timers.py): the asyncio loop, optionally sped up, or virtual time.
``hostile`` settings draw every internal delay at random within the bounds the captures show
and deliver events of different channels out of order (``bus.HostileDelivery``).
"""

from __future__ import annotations

import asyncio
import random
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass, field

from dialer.hangup import HangupCause
from simulations.switch.bus import EventBus, HostileDelivery, SwitchIdentity
from simulations.switch.channel import Channel, Role
from simulations.switch.gateways import CARRIER_SIP_STATUS, CarrierGateway, GatewayBook
from simulations.switch.timers import LoopTimers, Timers

# Event-Calling-File/Function/Line of each event (FreeSWITCH source, reference §2.2).
CALLING = {
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_UUID": ("switch_core_session.c", "switch_core_session_set_uuid", 2196),
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2478),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 329),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value",
                         3507),
    "CHANNEL_PROGRESS_MEDIA": ("switch_channel.c", "switch_channel_perform_mark_pre_answered",
                               3562),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3848),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2949),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2972),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "CHANNEL_UNPARK": ("switch_ivr.c", "switch_ivr_park", 1195),
    "CHANNEL_BRIDGE": ("switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1377),
    "CHANNEL_UNBRIDGE": ("switch_ivr_bridge.c", "audio_bridge_on_exchange_media", 1481),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3447),
    "CHANNEL_HANGUP_COMPLETE": ("switch_core_state_machine.c",
                                "switch_core_session_reporting_state", 943),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1588),
    "DTMF": ("switch_channel.c", "switch_channel_queue_dtmf", 678),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1649),
    "CODEC": ("switch_core_codec.c", "switch_core_session_set_read_codec", 252),
    "CALL_UPDATE": ("switch_channel.c", "switch_channel_perform_mark_answered", 3860),
    "COMMAND": ("switch_ivr_async.c", "switch_ivr_broadcast", 5732),
    "PRIVATE_COMMAND": ("switch_ivr.c", "switch_ivr_parse_next_event", 804),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2023),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1482),
    # uuid_record (real capture 09-uuid-record): the stop event has its own function, and
    # each recording is a media bug with START/STOP events of its own.
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1241),
    "MEDIA_BUG_START": ("switch_core_media_bug.c", "switch_core_media_bug_add", 1014),
    "MEDIA_BUG_STOP": ("switch_core_media_bug.c", "switch_core_media_bug_destroy", 84),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1580),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 82),
    "CUSTOM": ("mod_avmd.c", "avmd_fire_event", 691),
    # uuid_hold / uuid_hold off (real capture 11-show-and-uuid-commands).
    "CHANNEL_HOLD": ("switch_ivr.c", "switch_ivr_hold", 1558),
    "CHANNEL_UNHOLD": ("switch_ivr.c", "switch_ivr_unhold", 1638),
}

# Final SIP status per cause (mod_sofia hangup_cause_to_sip; default 480), for sip_term_status.
_SIP_STATUS = {"USER_BUSY": "486", "NO_ANSWER": "480", "NO_USER_RESPONSE": "408",
               "CALL_REJECTED": "603", "UNALLOCATED_NUMBER": "404",
               "NORMAL_TEMPORARY_FAILURE": "503", "RECOVERY_ON_TIMER_EXPIRE": "504",
               "ORIGINATOR_CANCEL": "487", "NORMAL_CLEARING": "200",
               "NORMAL_CIRCUIT_CONGESTION": "503"}

_EARLY_DISPOSITIONS = frozenset({"recv_refuse", "recv_cancel"})
"""``sip_hangup_disposition`` values a real switch already shows on CHANNEL_HANGUP (capture
04a); the others appear on CHANNEL_HANGUP_COMPLETE only (02, 06)."""

_DIALSTATUS = {"ORIGINATOR_CANCEL": "CANCEL", "USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER",
               "CALL_REJECTED": "DONTCALL", "NORMAL_CLEARING": "ANSWER"}

# Applications each module provides (a subset: what a dialer runs).
MODULE_APPLICATIONS: dict[str, frozenset[str]] = {
    "mod_dptools": frozenset({"park", "playback", "answer", "hangup", "set", "export", "sleep",
                              "ring_ready", "sched_hangup", "bridge", "transfer", "echo",
                              "record_session", "stop_record_session", "send_dtmf",
                              "wait_for_silence", "pre_answer", "uuid_bridge"}),
    "mod_avmd": frozenset({"avmd_start", "avmd_stop"}),
    "mod_amd": frozenset({"amd"}),
}
PUBLIC_TREE_MODULES = frozenset({
    "mod_console", "mod_logfile", "mod_event_socket", "mod_loopback", "mod_sofia",
    "mod_commands", "mod_dptools", "mod_hash", "mod_expr", "mod_db", "mod_dialplan_xml",
    "mod_sndfile", "mod_native_file", "mod_tone_stream", "mod_avmd", "mod_spandsp",
    "mod_fifo", "mod_callcenter"})
"""The module set of the captures' switch (built from the public tree: no mod_amd)."""

_STREAM_FILES = ("tone_stream://", "silence_stream://", "local_stream://", "say:", "${")


@dataclass(frozen=True, slots=True)
class SwitchSettings:
    """Knobs of the simulated switch and of the simulated people behind its channels.

    Delays are FreeSWITCH's, measured on the real captures; with ``hostile`` each is drawn
    at random between ``hostile_bounds`` for every use, and events of different channels
    reach listeners up to ``hostile_max_delay`` apart from the order they happened in.
    """

    heartbeat_interval: float = 20.0    # FreeSWITCH's default event heartbeat
    speed: float = 1.0                  # simulated seconds per real second
    progress_delay: float = 0.4         # 180 Ringing after the INVITE
    early_media_probability: float = 0.3  # the carrier also sends 183 with SDP (ringback)
    agent_answer_delay: float = 0.2     # agent phones auto-answer nailed-up legs
    playback_seconds: float = 8.0       # length of any played file (safe-harbour message)
    opt_out_probability: float = 0.05   # a person presses a key during a played message
    opt_out_digit: str = "9"
    machine_record_limit: float = 30.0  # a machine hangs up this long after its greeting
    amd_detect_time: float = 2.5        # mod_amd's decision time
    amd_false_positive: float = 0.05    # a person classed MACHINE
    amd_false_negative: float = 0.10    # a machine classed HUMAN
    long_hello_probability: float = 0.05
    """A person who answers with a long greeting (3-5 s): the greeting-length check of
    ``wait_for_silence`` takes them for a machine (a false positive)."""
    max_sessions: int = 10_000
    originate_return_delay: float = 0.022
    """CHANNEL_ANSWER to the originate returning (BACKGROUND_JOB): flows 02, 03, 05."""
    app_start_delay: float = 0.0005
    """The job result to the originate's ``&park()`` starting (CHANNEL_PARK): same tick."""
    bridge_delay: float = 0.021
    """``uuid_bridge``'s reply to CHANNEL_BRIDGE (flow 05: 2.058 → 2.101 s)."""
    broadcast_delay: float = 0.12
    """``uuid_broadcast``'s reply to the playback starting (flow 06: ~120 ms)."""
    modules: frozenset[str] = PUBLIC_TREE_MODULES
    """Loaded modules: ``execute_on_answer=amd`` without ``mod_amd`` kills the call with
    DESTINATION_OUT_OF_ORDER ("Invalid Application amd"), as on a real public-tree build."""
    sound_files: frozenset[str] = frozenset()
    """Files that exist on the switch (absolute, or relative to ``sounds_dir``); playing any
    other answers ``+OK`` and fails at once with ``FILE NOT FOUND``."""
    sounds_dir: str = "/usr/share/freeswitch/sounds"
    wav_lengths: bool = False
    """A ``.wav`` this host can read plays for its own length (the dialer's prompts, whose
    lengths the engine times menus and announcements by); else ``playback_seconds``."""
    gateways: tuple[CarrierGateway, ...] = ()
    """The sofia gateways and their carriers' limits and failures (gateways.py); none: any
    gateway name is accepted without limits."""
    hostile: bool = False
    hostile_max_delay: float = 0.025
    hostile_bounds: dict[str, tuple[float, float]] = field(default_factory=lambda: {
        "originate_return_delay": (0.004, 0.06), "app_start_delay": (0.0, 0.02),
        "bridge_delay": (0.004, 0.06), "broadcast_delay": (0.08, 0.20),
        "agent_answer_delay": (0.01, 0.3), "progress_delay": (0.02, 1.0)})


class Switch:
    """All channels of one simulated FreeSWITCH and the events they produce."""

    def __init__(self, settings: SwitchSettings, fate_source: Callable[[random.Random], object],
                 rng: random.Random, identity: SwitchIdentity | None = None,
                 timers: Timers | None = None) -> None:
        self.settings = settings
        self.fate_source = fate_source
        self.rng = rng
        if timers is None:
            timers = LoopTimers(asyncio.get_running_loop(), settings.speed)
        self.timers = timers
        self.loop: asyncio.AbstractEventLoop | None = getattr(timers, "loop", None)
        self.identity = identity or SwitchIdentity(str(uuid_module.UUID(int=rng.getrandbits(128))))
        self.bus = EventBus(self.identity, self.clock)
        if settings.hostile:
            self.bus.delivery = HostileDelivery(timers, random.Random(rng.getrandbits(64)),
                                                settings.hostile_max_delay)
        # Log sinks: callables (level, file, func, line, text, channel uuid) of listeners that
        # sent ``log <level>``.
        self.log_sinks: list[Callable[[int, str, str, int, str, str], None]] = []
        self.channels: dict[str, Channel] = {}
        self.sessions_since_startup = 0
        self.peak_sessions = 0
        self._timers: dict[str, list] = {}
        self.applications = frozenset().union(*(
            MODULE_APPLICATIONS.get(module, frozenset()) for module in settings.modules))
        from simulations.switch.media import Media
        from simulations.switch.truth import GroundTruth

        self.media = Media(self)
        self.truth = GroundTruth()
        """What the simulated people experienced (the referee of campaigns on the switch)."""
        self.gateways = GatewayBook(settings.gateways)
        """Carriers behind ``sofia/gateway/NAME``: their load and what they refused."""
        self.hash_db: dict[tuple[str, str], str] = {}
        """mod_hash's table (realm, key) → value (``hash`` API)."""
        self.callers: dict = {}
        """Inbound caller uuid → its ``callers.InboundScript`` (what they did and heard)."""

    # --- time ------------------------------------------------------------------------------

    def clock(self) -> float:
        """Simulated epoch seconds."""
        return self.timers.now()

    def uptime(self) -> float:
        return self.timers.uptime()  # type: ignore[attr-defined]

    def delay(self, name: str) -> float:
        """A FreeSWITCH-internal delay (``SwitchSettings`` field ``name``); drawn at random
        within its hostile bounds when the switch is hostile."""
        settings = self.settings
        if settings.hostile and name in settings.hostile_bounds:
            low, high = settings.hostile_bounds[name]
            return self.rng.uniform(low, high)
        return getattr(settings, name)

    def later(self, channel: Channel | None, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` simulated seconds (cancelled if the channel dies)."""
        handle = self.timers.call_later(delay, action)
        if channel is not None:
            self._timers.setdefault(channel.uuid, []).append(handle)

    def cancel_timers(self, channel: Channel) -> None:
        self.media.forget(channel)
        for handle in self._timers.pop(channel.uuid, ()):
            handle.cancel()

    def log(self, level: int, file: str, func: str, line: int, text: str, uuid: str = "") -> None:
        """A console log line (``log/data`` to listeners that asked for ``log``)."""
        for sink in self.log_sinks:
            sink(level, file, func, line, text, uuid)

    # --- files and applications ----------------------------------------------------------

    def file_exists(self, path: str) -> bool:
        """Whether playback would find ``path`` (streams always; files if configured)."""
        if path.startswith(_STREAM_FILES):
            return True
        files = self.settings.sound_files
        if path in files:
            return True
        return not path.startswith("/") and f"{self.settings.sounds_dir}/{path}" in files

    def has_application(self, name: str) -> bool:
        return name in self.applications

    # --- events ----------------------------------------------------------------------------

    def fire(self, name: str, channel: Channel, extra: list | None = None,
             target_state: str | None = None, before: list | None = None,
             body: str | None = None) -> None:
        self.bus.fire(name, CALLING[name], lambda: (before or []) + channel.block(
            name, target_state) + (extra or []), body)

    def set_state(self, channel: Channel, state: str) -> None:
        channel.state = state
        self.fire("CHANNEL_STATE", channel)

    def set_call_state(self, channel: Channel, call_state: str) -> None:
        original = channel.call_state
        channel.call_state = call_state
        self.fire("CHANNEL_CALLSTATE", channel, [("Original-Channel-Call-State", original)])

    # --- creation --------------------------------------------------------------------------

    def _new_uuid(self) -> str:
        return str(uuid_module.UUID(int=self.rng.getrandbits(128), version=4))

    def _register(self, channel: Channel) -> None:
        self.channels[channel.uuid] = channel
        self.sessions_since_startup += 1
        self.peak_sessions = max(self.peak_sessions, len(self.channels))
        self.log(5, "switch_channel.c", "switch_channel_set_name", 1118,
                 f"New Channel {channel.name} [{channel.uuid}]", channel.uuid)

    def _channel(self, name: str, role: Role, destination: str, variables: dict[str, str],
                 channel_uuid: str, direction: str = "outbound") -> Channel:
        now = self.bus.now_us()
        variables = {"direction": direction, "is_outbound": str(direction == "outbound").lower(),
                     "uuid": channel_uuid, "call_uuid": channel_uuid, "channel_name": name,
                     **variables}
        return Channel(
            uuid=channel_uuid, name=name, role=role, direction=direction,
            caller_id_name=variables.get("origination_caller_id_name", "FreeSWITCH"),
            caller_id_number=variables.get("origination_caller_id_number", "0000000000"),
            destination=destination, created_us=now, variables=variables)

    def create(self, name: str, role: Role, destination: str, variables: dict[str, str],
               channel_uuid: str | None = None) -> Channel:
        """One outbound leg (SIP or any single-leg endpoint)."""
        channel = self._channel(name, role, destination, variables,
                                channel_uuid or self._new_uuid())
        self._register(channel)
        self.fire("CHANNEL_OUTGOING", channel)
        self.set_state(channel, "CS_INIT")
        self.fire("CHANNEL_CREATE", channel)
        self.fire("CHANNEL_ORIGINATE", channel)
        self.set_state(channel, "CS_ROUTING")
        self.set_state(channel, "CS_CONSUME_MEDIA")
        return channel

    def create_loopback(self, destination: str, context: str, role: Role,
                        variables: dict[str, str], channel_uuid: str | None = None
                        ) -> tuple[Channel, Channel]:
        """A mod_loopback pair (flows 03, 05): the a-leg renamed by CHANNEL_UUID, the b-leg
        inheriting the originate variables (even ``execute_on_answer``)."""
        wanted = channel_uuid or self._new_uuid()
        temporary = self._new_uuid()
        b_uuid = self._new_uuid()
        shared = {**variables, "other_loopback_leg_uuid": b_uuid}
        a_leg = self._channel(f"loopback/{destination}/{context}-a", role, destination,
                              {**shared, "loopback_leg": "A"}, temporary)
        b_leg = self._channel(f"loopback/{destination}-b", role, destination,
                              {**variables, "loopback_leg": "B",
                               "other_loopback_leg_uuid": wanted}, b_uuid, "inbound")
        b_leg.context = context
        a_leg.callee_context = b_leg.callee_context = context
        a_leg.loopback, b_leg.loopback = b_leg, a_leg
        a_leg.state = b_leg.state = "CS_NONE"
        self.codecs(a_leg)  # still under its throw-away UUID (flows 03, 05, 10)
        a_leg.uuid = a_leg.variables["uuid"] = a_leg.variables["call_uuid"] = wanted
        a_leg.name = a_leg.variables["channel_name"] = f"loopback/{destination}-a"
        self._register(a_leg)
        self._register(b_leg)
        self.fire("CHANNEL_UUID", a_leg, before=[("Old-Unique-ID", temporary)])
        self.codecs(b_leg)
        self.fire("CHANNEL_OUTGOING", a_leg)
        self.set_state(a_leg, "CS_INIT")
        if context == "inbound" and self.settings.hostile and self.rng.random() < 0.5:
            # Flow 10: the caller's a-leg reported CHANNEL_ANSWER before its CHANNEL_CREATE
            # (the b-leg's dialplan answers at once); a parser must not need the CREATE.
            a_leg.create_late = True
        else:
            self.fire("CHANNEL_CREATE", a_leg)
        self.fire("CHANNEL_ORIGINATE", a_leg)
        self.set_state(a_leg, "CS_ROUTING")
        self.set_state(b_leg, "CS_INIT")
        self.set_state(a_leg, "CS_CONSUME_MEDIA")
        self.fire("CHANNEL_CREATE", b_leg)
        self.set_call_state(b_leg, "RINGING")
        self.set_state(b_leg, "CS_ROUTING")
        self.set_state(b_leg, "CS_EXECUTE")
        return a_leg, b_leg

    def codecs(self, channel: Channel) -> None:
        """The two CODEC events a leg reports when its media is set up (read, then write;
        the write codec's headers twice, as captured: README "Surprises" 2)."""
        name = "L16" if channel.loopback is not None else "PCMU"
        bits = "128000" if name == "L16" else "64000"
        read = [("Channel-Read-Codec-Name", name), ("Channel-Read-Codec-Rate", "8000"),
                ("Channel-Read-Codec-Bit-Rate", bits), ("channel-read-codec-name", name),
                ("channel-read-codec-rate", "8000"), ("channel-read-codec-bit-rate", bits)]
        write = [("Channel-Write-Codec-Name", name), ("Channel-Write-Codec-Rate", "8000"),
                 ("Channel-Write-Codec-Bit-Rate", bits), ("Channel-Write-Codec-Name", name),
                 ("Channel-Write-Codec-Rate", "8000")]
        self.bus.fire("CODEC", CALLING["CODEC"], lambda: channel.block("CODEC") + read)
        self.bus.fire("CODEC", ("switch_core_codec.c", "switch_core_session_set_write_codec",
                                506), lambda: channel.block("CODEC") + write)

    def _call_update(self, channel: Channel) -> None:
        """An outbound leg answered: FreeSWITCH updates its caller ID to the far end it
        reached (the dialled number over SIP, the context over loopback) and names the
        originate's caller ID as the callee (CALL_UPDATE, Direction RECV; flows 02-06, 10).
        Every later event of the leg shows the flip; ``Caller-Orig-Caller-ID-*`` keeps the
        originate's."""
        channel.shown_caller = channel.callee()
        channel.shown_callee = ("", channel.caller_id_number)
        self.fire("CALL_UPDATE", channel, [("Direction", "RECV")])

    # --- progress and answer -----------------------------------------------------------------

    def ring(self, channel: Channel) -> None:
        if not channel.alive or channel.answered or channel.progress_us:
            return
        channel.progress_us = self.bus.now_us()
        self.fire("CHANNEL_PROGRESS", channel)
        self.set_call_state(channel, "RINGING")
        partner = channel.loopback
        if partner is not None and partner.alive and not partner.progress_us:
            partner.progress_us = channel.progress_us
            self.fire("CHANNEL_PROGRESS", partner)

    def early_media(self, channel: Channel) -> None:
        """183 Session Progress with SDP (fires even with ``ignore_early_media=true``)."""
        if not channel.alive or channel.answered or channel.answer_state == "early":
            return
        for leg in (channel, channel.loopback):
            if leg is None or not leg.alive:
                continue
            leg.answer_state = "early"
            leg.media_up = True
            leg.variables["endpoint_disposition"] = "EARLY MEDIA"
            self.fire("CHANNEL_PROGRESS_MEDIA", leg)
            self.set_call_state(leg, "EARLY")
        origination = channel.origination
        if origination is not None:
            origination.early_media()  # type: ignore[attr-defined]

    def answer(self, channel: Channel) -> None:
        """The far end answers: the a-leg's CHANNEL_ANSWER, then the b-leg's (loopback)."""
        if not channel.alive or channel.answered:
            return
        legs = [channel] if channel.loopback is None else [channel, channel.loopback]
        for leg in legs:
            if not leg.alive or leg.answered:
                continue
            if not leg.media_up and leg.loopback is None:
                self.codecs(leg)  # a SIP leg's media comes up with the 200 OK (flow 02)
            leg.answered_us = self.bus.now_us()
            leg.answer_state = "answered"
            leg.media_up = True
            leg.variables["endpoint_disposition"] = "ANSWER"
            self.fire("CHANNEL_ANSWER", leg)
            self.set_call_state(leg, "ACTIVE")
            self.media.on_answer(leg)
        b_leg = channel.loopback
        if b_leg is not None and getattr(b_leg, "context", "") in ("agents", "inbound"):
            self.execute(b_leg, "park")  # the agent phone's own dialplan parks it at once
        if getattr(channel, "create_late", False):
            channel.create_late = False
            self.fire("CHANNEL_CREATE", channel)
        origination = channel.origination
        if origination is not None:
            if channel.alive and channel.direction == "outbound":
                self._call_update(channel)
            origination.answered()  # type: ignore[attr-defined]

    # --- applications ------------------------------------------------------------------------

    def execute(self, channel: Channel, application: str, data: str = "") -> None:
        """Start an application on a channel (``park`` parks it)."""
        channel.application, channel.application_data = application, data
        channel.variables["current_application"] = application
        self.fire("CHANNEL_EXECUTE", channel, [("Application", application),
                                               ("Application-Data", data),
                                               ("Application-UUID", self._new_uuid())])
        if application == "park":
            channel.parked = True
            self.fire("CHANNEL_PARK", channel)

    def execute_complete(self, channel: Channel, application: str, data: str,
                         response: str = "_none_") -> None:
        self.fire("CHANNEL_EXECUTE_COMPLETE", channel, [
            ("Application", application), ("Application-Data", data),
            ("Application-Response", response), ("Application-UUID", self._new_uuid())])

    def park(self, channel: Channel) -> None:
        if channel.alive:
            self.execute(channel, "park")

    def return_to_park(self, channel: Channel) -> None:
        """``park_after_bridge``: the leg goes to CS_PARK (CHANNEL_PARK, no EXECUTE)."""
        if not channel.alive:
            return
        channel.application, channel.parked = "park", True
        self.set_state(channel, "CS_PARK")
        self.fire("CHANNEL_PARK", channel)

    def unpark(self, channel: Channel) -> None:
        """Leave park for a bridge or a hang-up (EXECUTE_COMPLETE only if park was executed)."""
        if not channel.parked:
            return
        channel.parked = False
        self.fire("CHANNEL_UNPARK", channel)
        if channel.state != "CS_PARK":
            self.execute_complete(channel, "park", "", channel.variables.get(
                "last_app_response", "_none_"))

    # --- bridges ---------------------------------------------------------------------------

    def uuid_bridge(self, a_leg: Channel, b_leg: Channel) -> None:
        """``uuid_bridge A B`` as the API runs it (flow 05): both legs leave park half way
        (CHANNEL_UNPARK ~21 ms after the reply), CHANNEL_BRIDGE follows (~43 ms). A leg that
        hung up meanwhile leaves its partner alone: it goes back to park."""
        delay = self.delay("bridge_delay")

        def leave_park() -> None:
            for leg in (b_leg, a_leg):
                if leg.alive and leg.other is None:
                    self.unpark(leg)

        def take_effect() -> None:
            if a_leg.alive and b_leg.alive:
                self.bridge(a_leg, b_leg)
                return
            for leg in (a_leg, b_leg):
                if leg.alive and leg.other is None and not leg.parked:
                    if leg.variables.get("park_after_bridge") == "true":
                        self.return_to_park(leg)
                    else:
                        self.park(leg)

        self.later(None, delay / 2, leave_park)
        self.later(None, delay, take_effect)

    def bridge(self, a_leg: Channel, b_leg: Channel) -> None:
        """A bridge taking effect: UNPARK both (if still parked), one CHANNEL_BRIDGE on A."""
        if not (a_leg.alive and b_leg.alive):
            return
        now = self.bus.now_us()
        left_behind = []
        for leg in (b_leg, a_leg):
            if leg.other is not None:
                # The leg is taken out of its bridge: its old partner is left alone and,
                # with hangup_after_bridge, hung up (a conversation cut off).
                partner = self.unbridge(leg)
                if partner is not None and partner is not a_leg and partner is not b_leg:
                    left_behind.append(partner)
                    self.truth.cut_off(partner.uuid)
            self.unpark(leg)
            leg.application = "uuid_bridge"
            leg.bridged_us = now
        a_leg.other, a_leg.other_type = b_leg, "originatee"
        b_leg.other, b_leg.other_type = a_leg, "originator"
        a_leg.variables.update(bridge_uuid=b_leg.uuid, last_bridge_role="originator",
                               signal_bond=b_leg.uuid)
        b_leg.variables.update(bridge_uuid=a_leg.uuid, last_bridge_role="originatee",
                               signal_bond=a_leg.uuid, call_uuid=a_leg.uuid)
        ids = [("Bridge-A-Unique-ID", a_leg.uuid), ("Bridge-B-Unique-ID", b_leg.uuid)]
        # The caller-ID flip of a bridge (flows 05, 10): A's callee becomes B's originate
        # caller ID, B shows A's caller ID as its own from now on.
        a_leg.shown_callee = ("", b_leg.caller_id_number)
        b_leg.shown_caller = a_leg.shown_caller or (a_leg.caller_id_name,
                                                    a_leg.caller_id_number)
        self.truth.bridged(a_leg.uuid, self.clock())
        self.truth.bridged(b_leg.uuid, self.clock())
        # CHANNEL_BRIDGE is fired once, on the originator, with the Bridge-* headers first.
        self.bus.fire("CHANNEL_BRIDGE", CALLING["CHANNEL_BRIDGE"],
                      lambda: ids + a_leg.block("CHANNEL_BRIDGE"))
        for leg in (a_leg, b_leg):
            if leg.behaviour is not None:
                leg.behaviour.bridged(leg)  # type: ignore[attr-defined]
        for partner in left_behind:
            if partner.behaviour is not None:
                partner.behaviour.partner_left(partner)  # type: ignore[attr-defined]

    def unbridge(self, channel: Channel, *, park_partner: bool = False) -> Channel | None:
        """Break a bridge; returns the partner that is left behind. ``park_partner``: a
        partner with ``park_after_bridge`` parks before the UNBRIDGE is reported (flow 05)."""
        other = channel.other
        if other is None:
            return None
        a_leg = channel if channel.other_type == "originatee" else other
        b_leg = other if a_leg is channel else channel
        ids = [("Bridge-A-Unique-ID", a_leg.uuid), ("Bridge-B-Unique-ID", b_leg.uuid)]
        if park_partner and other.variables.get("park_after_bridge") == "true":
            self.return_to_park(other)
        self.bus.fire("CHANNEL_UNBRIDGE", CALLING["CHANNEL_UNBRIDGE"],
                      lambda: ids + a_leg.block("CHANNEL_UNBRIDGE"))
        for leg, partner in ((channel, other), (other, channel)):
            # A leg keeps naming its departed partner (Other-Leg-*) until the next bridge.
            leg.last_other, leg.last_other_type = partner, leg.other_type
            leg.other = leg.other_type = None
        b_leg.variables["call_uuid"] = b_leg.uuid
        return other

    # --- hang-ups ----------------------------------------------------------------------------

    def hangup(self, channel: Channel, cause: str, disposition: str = "recv_bye") -> None:
        """End the call ``channel`` belongs to with ``cause``, ``channel``'s side first.

        A loopback pair ends together: the side that hangs up reports CHANNEL_HANGUP first;
        then, far end first (flow 03/04b): the a-leg's CHANNEL_HANGUP_COMPLETE comes first if
        it was answered and parked, after the b-leg's otherwise; dialer first (``uuid_kill``,
        flow 05): the a-leg's first.
        """
        if not channel.alive:
            return
        partner = channel.loopback
        if partner is None or not partner.alive:
            self._hangup_leg(channel, cause, disposition)
            self._complete(channel)
            return
        a_leg, b_leg = (channel, partner) if channel.variables.get("loopback_leg") == "A" \
            else (partner, channel)
        far_end_first = channel is b_leg
        a_parked = a_leg.answered and a_leg.parked
        first, second = (b_leg, a_leg) if far_end_first else (a_leg, b_leg)
        self._hangup_leg(first, cause, disposition)
        self._hangup_leg(second, cause, disposition)
        if far_end_first and not a_parked:
            self._complete(b_leg)
            self._complete(a_leg)
        else:
            self._complete(a_leg)
            self._complete(b_leg)

    def remote_hangup(self, channel: Channel, cause: str, disposition: str = "recv_bye") -> None:
        """The far end (the callee, the agent's phone) ends the call ``channel`` is on."""
        self.hangup(channel.loopback if channel.loopback is not None else channel, cause,
                    disposition)

    def _hangup_leg(self, channel: Channel, cause: str, disposition: str) -> None:
        playing = self.media.playing(channel)
        self.cancel_timers(channel)
        now = self.bus.now_us()
        channel.hangup_cause = cause
        channel.answer_state = "hangup"
        channel.hangup_us = now
        q850 = HangupCause.from_name(cause).q850
        variables = channel.variables
        variables.update(
            hangup_cause=cause, hangup_cause_q850=str(q850),
            DIALSTATUS=_DIALSTATUS.get(cause, cause),
            originate_disposition=cause if not channel.answered else "SUCCESS")
        # Who hung up is a SIP dialog's fact (mod_sofia): a loopback leg has no
        # ``sip_*`` variables at all (flows 03, 04b, 05). A refusal or a CANCEL received
        # is already on CHANNEL_HANGUP; a BYE (either way) and what this switch sends only
        # on CHANNEL_HANGUP_COMPLETE (flows 02, 04a, 06).
        sip = not channel.name.startswith("loopback/")
        said_early = disposition in _EARLY_DISPOSITIONS
        if sip:
            sip_status = (CARRIER_SIP_STATUS.get(cause) if disposition == "recv_refuse"
                          else None) or _SIP_STATUS.get(cause, "480")
            variables.update(sip_term_status=sip_status,
                             proto_specific_hangup_cause=f"sip:{sip_status}",
                             sip_term_cause=str(q850))
            if said_early:
                variables["sip_hangup_disposition"] = disposition
        self.log(5, "switch_channel.c", "switch_channel_perform_hangup", 3447,
                 f"Hangup {channel.name} [{channel.state}] [{cause}]", channel.uuid)
        self.fire("CHANNEL_HANGUP", channel, target_state="CS_HANGUP")
        if sip and not said_early:
            variables["sip_hangup_disposition"] = disposition
        self.media.hung_up(channel, playing)
        self.unpark(channel)
        origination = channel.origination
        if origination is not None:
            origination.hung_up(channel)  # type: ignore[attr-defined]

    def _complete(self, channel: Channel) -> None:
        """From CS_HANGUP to CHANNEL_DESTROY; a bridged partner parks (or hangs up)."""
        self.set_state(channel, "CS_HANGUP")
        self.set_call_state(channel, "HANGUP")
        if channel.recording is not None:
            self.media.stop_recording(channel)
        partner = self.unbridge(channel, park_partner=True)
        now = channel.hangup_us
        start = channel.created_us
        answer = channel.answered_us
        channel.variables.update(
            start_epoch=str(start // 1_000_000), start_uepoch=str(start),
            answer_epoch=str(answer // 1_000_000), answer_uepoch=str(answer),
            end_epoch=str(now // 1_000_000), end_uepoch=str(now),
            duration=str((now - start) // 1_000_000), mduration=str((now - start) // 1000),
            billsec=str((now - answer) // 1_000_000 if answer else 0),
            billmsec=str((now - answer) // 1000 if answer else 0),
            answersec=str((answer - start) // 1_000_000 if answer else 0),
            progresssec=str((channel.progress_us - start) // 1_000_000
                            if channel.progress_us else 0))
        self.set_state(channel, "CS_REPORTING")
        self.truth.ended(channel.uuid, self.clock(), channel.hangup_cause or "")
        self.fire("CHANNEL_HANGUP_COMPLETE", channel,
                  before=[("Hangup-Cause", channel.hangup_cause)])
        origination = channel.origination
        if origination is not None:
            origination.completed(channel)  # type: ignore[attr-defined]
        self.fire("CHANNEL_DESTROY", channel)
        self.set_state(channel, "CS_DESTROY")
        self.channels.pop(channel.uuid, None)
        self.gateways.released(channel.uuid)
        if partner is not None and partner.behaviour is not None:
            partner.behaviour.partner_left(partner)  # type: ignore[attr-defined]
