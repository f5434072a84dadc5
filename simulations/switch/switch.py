"""The simulated switch: channels, their life cycle and the event sequences FreeSWITCH fires.

Sequences follow reference §2.3 (``bgapi originate … &park()``): CHANNEL_OUTGOING, CREATE,
ORIGINATE, (PROGRESS), ANSWER, EXECUTE/PARK and the BACKGROUND_JOB ``+OK <uuid>``; or, unanswered,
HANGUP, HANGUP_COMPLETE, DESTROY and ``-ERR <CAUSE>``. Hang-ups always run HANGUP → (RECORD_STOP)
→ (UNBRIDGE) → HANGUP_COMPLETE (``Hangup-Cause`` twice, CDR variables) → DESTROY.

What the far end does is decided by ``simulations.switch.behaviour``; this module only knows
how a switch reports it. Time is the event loop's, optionally sped up (``speed``).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import dataclass

from dialer.hangup import HangupCause
from simulations.switch.bus import EventBus, SwitchIdentity
from simulations.switch.channel import Channel, Role

# Event-Calling-File/Function/Line of each event (FreeSWITCH source, reference §2.2).
CALLING = {
    "CHANNEL_OUTGOING": ("switch_core_session.c", "switch_core_session_outgoing_channel", 768),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
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
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2023),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1482),
    "RECORD_STOP": ("switch_ivr_async.c", "record_callback", 1241),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1580),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 82),
    "CUSTOM": ("mod_avmd.c", "avmd_fire_event", 691),
}

# Final SIP status per cause (mod_sofia hangup_cause_to_sip; default 480), for sip_term_status.
_SIP_STATUS = {"USER_BUSY": "486", "NO_ANSWER": "480", "NO_USER_RESPONSE": "408",
               "CALL_REJECTED": "603", "UNALLOCATED_NUMBER": "404",
               "NORMAL_TEMPORARY_FAILURE": "503", "RECOVERY_ON_TIMER_EXPIRE": "504",
               "ORIGINATOR_CANCEL": "487", "NORMAL_CLEARING": "200"}

_DIALSTATUS = {"ORIGINATOR_CANCEL": "CANCEL", "USER_BUSY": "BUSY", "NO_ANSWER": "NOANSWER",
               "CALL_REJECTED": "DONTCALL", "NORMAL_CLEARING": "ANSWER"}


@dataclass(frozen=True, slots=True)
class SwitchSettings:
    """Knobs of the simulated switch and of the simulated people behind its channels."""

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
    max_sessions: int = 10_000


class Switch:
    """All channels of one simulated FreeSWITCH and the events they produce."""

    def __init__(self, settings: SwitchSettings, fate_source: Callable[[random.Random], object],
                 rng: random.Random, identity: SwitchIdentity | None = None) -> None:
        self.settings = settings
        self.fate_source = fate_source
        self.rng = rng
        self.loop = asyncio.get_running_loop()
        self._epoch0 = time.time()
        self._loop0 = self.loop.time()
        self.identity = identity or SwitchIdentity(str(uuid_module.UUID(int=rng.getrandbits(128))))
        self.bus = EventBus(self.identity, self.clock)
        # Log sinks: callables (level, file, func, line, text, channel uuid) of listeners that
        # sent ``log <level>``.
        self.log_sinks: list[Callable[[int, str, str, int, str, str], None]] = []
        self.channels: dict[str, Channel] = {}
        self.sessions_since_startup = 0
        self.peak_sessions = 0
        self._timers: dict[str, list[asyncio.TimerHandle]] = {}
        self._job_waiters: dict[str, asyncio.Future[str]] = {}
        self._avmd_stoppers: dict[str, Callable[[], None]] = {}

    # --- time ------------------------------------------------------------------------------

    def clock(self) -> float:
        """Simulated epoch seconds."""
        return self._epoch0 + (self.loop.time() - self._loop0) * self.settings.speed

    def uptime(self) -> float:
        return (self.loop.time() - self._loop0) * self.settings.speed

    def later(self, channel: Channel | None, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` simulated seconds (cancelled if the channel dies)."""
        handle = self.loop.call_later(max(0.0, delay) / self.settings.speed, action)
        if channel is not None:
            self._timers.setdefault(channel.uuid, []).append(handle)

    def cancel_timers(self, channel: Channel) -> None:
        self._avmd_stoppers.pop(channel.uuid, None)
        for handle in self._timers.pop(channel.uuid, ()):
            handle.cancel()

    def log(self, level: int, file: str, func: str, line: int, text: str, uuid: str = "") -> None:
        """A console log line (``log/data`` to listeners that asked for ``log``)."""
        for sink in self.log_sinks:
            sink(level, file, func, line, text, uuid)

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

    # --- life cycle ------------------------------------------------------------------------

    def create(self, name: str, role: Role, destination: str, variables: dict[str, str],
               channel_uuid: str | None = None) -> Channel:
        now = self.bus.now_us()
        channel_uuid = channel_uuid or str(uuid_module.UUID(int=self.rng.getrandbits(128),
                                                            version=4))
        variables = {"direction": "outbound", "is_outbound": "true", "uuid": channel_uuid,
                     "call_uuid": channel_uuid, "channel_name": name, **variables}
        channel = Channel(
            uuid=channel_uuid, name=name, role=role, direction="outbound",
            caller_id_name=variables.get("origination_caller_id_name", "FreeSWITCH"),
            caller_id_number=variables.get("origination_caller_id_number", "0000000000"),
            destination=destination, created_us=now, variables=variables)
        self.channels[channel_uuid] = channel
        self.sessions_since_startup += 1
        self.peak_sessions = max(self.peak_sessions, len(self.channels))
        self.log(5, "switch_channel.c", "switch_channel_set_name", 1118,
                 f"New Channel {name} [{channel_uuid}]", channel_uuid)
        self.fire("CHANNEL_OUTGOING", channel)
        self.fire("CHANNEL_CREATE", channel)
        self.fire("CHANNEL_ORIGINATE", channel)
        self.set_state(channel, "CS_INIT")
        self.set_state(channel, "CS_CONSUME_MEDIA")
        return channel

    def ring(self, channel: Channel) -> None:
        if not channel.alive or channel.answered:
            return
        channel.progress_us = self.bus.now_us()
        self.fire("CHANNEL_PROGRESS", channel)
        self.set_call_state(channel, "RINGING")

    def early_media(self, channel: Channel) -> None:
        """183 Session Progress with SDP (fires even with ``ignore_early_media=true``)."""
        if not channel.alive or channel.answered:
            return
        channel.answer_state = "early"
        channel.media_up = True
        channel.variables["endpoint_disposition"] = "EARLY MEDIA"
        self.fire("CHANNEL_PROGRESS_MEDIA", channel)
        self.set_call_state(channel, "EARLY")

    def answer(self, channel: Channel) -> None:
        if not channel.alive or channel.answered:
            return
        now = self.bus.now_us()
        channel.answered_us = now
        channel.answer_state = "answered"
        channel.media_up = True
        channel.variables["endpoint_disposition"] = "ANSWER"
        self.fire("CHANNEL_ANSWER", channel)
        self.set_call_state(channel, "ACTIVE")
        self.set_state(channel, "CS_EXECUTE")
        self.finish_job(channel, f"+OK {channel.uuid}\n")
        if channel.application == "playback":
            self.playback(channel, channel.application_data, "NORMAL_CLEARING")
        else:
            self.execute(channel, channel.application or "park", channel.application_data)

    def finish_job(self, channel: Channel, output: str) -> None:
        waiter = self._job_waiters.pop(channel.uuid, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(output)

    def wait_for_originate(self, channel: Channel) -> asyncio.Future[str]:
        waiter: asyncio.Future[str] = self.loop.create_future()
        self._job_waiters[channel.uuid] = waiter
        return waiter

    def execute(self, channel: Channel, application: str, data: str = "") -> None:
        """Start an application on a channel (``park`` parks it)."""
        channel.application, channel.application_data = application, data
        channel.variables["current_application"] = application
        extra = [("Application", application), ("Application-Data", data),
                 ("Application-UUID", str(uuid_module.uuid4()))]
        self.fire("CHANNEL_EXECUTE", channel, extra)
        if application == "park":
            self.fire("CHANNEL_PARK", channel)

    def execute_complete(self, channel: Channel, application: str, data: str,
                         response: str = "_none_") -> None:
        self.fire("CHANNEL_EXECUTE_COMPLETE", channel, [
            ("Application", application), ("Application-Data", data),
            ("Application-Response", response), ("Application-UUID", str(uuid_module.uuid4()))])

    def bridge(self, a_leg: Channel, b_leg: Channel) -> None:
        now = self.bus.now_us()
        for leg in (a_leg, b_leg):
            if leg.application == "park":
                self.fire("CHANNEL_UNPARK", leg)
                self.execute_complete(leg, "park", "")
            leg.application = "uuid_bridge"
            leg.bridged_us = now
        a_leg.other, a_leg.other_type = b_leg, "originatee"
        b_leg.other, b_leg.other_type = a_leg, "originator"
        a_leg.variables.update(bridge_uuid=b_leg.uuid, last_bridge_role="originator",
                               signal_bond=b_leg.uuid)
        b_leg.variables.update(bridge_uuid=a_leg.uuid, last_bridge_role="originatee",
                               signal_bond=a_leg.uuid, call_uuid=a_leg.uuid)
        ids = [("Bridge-A-Unique-ID", a_leg.uuid), ("Bridge-B-Unique-ID", b_leg.uuid)]
        # CHANNEL_BRIDGE is fired once, on the originator, with the Bridge-* headers first.
        self.bus.fire("CHANNEL_BRIDGE", CALLING["CHANNEL_BRIDGE"],
                      lambda: ids + a_leg.block("CHANNEL_BRIDGE"))
        for leg in (a_leg, b_leg):
            if leg.behaviour is not None:
                leg.behaviour.bridged(leg)  # type: ignore[attr-defined]

    def unbridge(self, channel: Channel) -> Channel | None:
        """Break a bridge; returns the partner that is left behind."""
        other = channel.other
        if other is None:
            return None
        a_leg, b_leg = (channel, other) if channel.other_type == "originatee" else (other, channel)
        ids = [("Bridge-A-Unique-ID", a_leg.uuid), ("Bridge-B-Unique-ID", b_leg.uuid)]
        self.bus.fire("CHANNEL_UNBRIDGE", CALLING["CHANNEL_UNBRIDGE"],
                      lambda: ids + a_leg.block("CHANNEL_UNBRIDGE"))
        channel.other = other.other = None
        channel.other_type = other.other_type = None
        b_leg.variables["call_uuid"] = b_leg.uuid
        return other

    def park(self, channel: Channel) -> None:
        if channel.alive:
            self.execute(channel, "park")

    def hangup(self, channel: Channel, cause: str, disposition: str = "recv_bye") -> None:
        """End a channel with ``cause``; ``disposition`` is sip_hangup_disposition."""
        if not channel.alive:
            return
        self.cancel_timers(channel)
        now = self.bus.now_us()
        channel.hangup_cause = cause
        channel.answer_state = "hangup"
        channel.hangup_us = now
        q850 = HangupCause.from_name(cause).q850
        sip_status = _SIP_STATUS.get(cause, "480")
        channel.variables.update(
            hangup_cause=cause, hangup_cause_q850=str(q850), sip_hangup_disposition=disposition,
            sip_term_status=sip_status, proto_specific_hangup_cause=f"sip:{sip_status}",
            sip_term_cause=str(q850), DIALSTATUS=_DIALSTATUS.get(cause, cause),
            originate_disposition=cause if not channel.answered else "SUCCESS")
        self.log(5, "switch_channel.c", "switch_channel_perform_hangup", 3447,
                 f"Hangup {channel.name} [{channel.state}] [{cause}]", channel.uuid)
        self.fire("CHANNEL_HANGUP", channel, target_state="CS_HANGUP")
        self.set_call_state(channel, "HANGUP")
        self.set_state(channel, "CS_HANGUP")
        if channel.recording is not None:
            self.stop_recording(channel)
        partner = self.unbridge(channel)
        self.finish_job(channel, f"-ERR {cause}\n")
        self._report(channel, now)
        if partner is not None and partner.behaviour is not None:
            partner.behaviour.partner_left(partner)  # type: ignore[attr-defined]

    def _report(self, channel: Channel, now: int) -> None:
        start = channel.created_us
        answer = channel.answered_us
        variables = channel.variables
        variables.update(
            start_epoch=str(start // 1_000_000), start_uepoch=str(start),
            answer_epoch=str(answer // 1_000_000), answer_uepoch=str(answer),
            end_epoch=str(now // 1_000_000), end_uepoch=str(now),
            duration=str((now - start) // 1_000_000), mduration=str((now - start) // 1000),
            billsec=str((now - answer) // 1_000_000 if answer else 0),
            billmsec=str((now - answer) // 1000 if answer else 0),
            answersec=str((answer - start) // 1_000_000 if answer else 0),
            progresssec=str((channel.progress_us - start) // 1_000_000
                            if channel.progress_us else 0))
        channel.state = "CS_REPORTING"
        self.fire("CHANNEL_HANGUP_COMPLETE", channel,
                  before=[("Hangup-Cause", channel.hangup_cause)])
        self.set_state(channel, "CS_DESTROY")
        self.fire("CHANNEL_DESTROY", channel)
        del self.channels[channel.uuid]

    # --- avmd (beep detection) ---------------------------------------------------------------

    def avmd_event(self, channel: Channel, kind: str, extra: list) -> None:
        """CUSTOM ``avmd::<kind>``: no channel block, ``Event-Subclass`` first (mod_avmd.c)."""
        self.bus.fire("CUSTOM", CALLING["CUSTOM"],
                      [("Unique-ID", channel.uuid), ("Call-command", "avmd"), *extra],
                      subclass=f"avmd::{kind}")

    def avmd_start(self, channel: Channel) -> None:
        started = self.bus.now_us()
        channel.variables["avmd_start_us"] = str(started)
        self.avmd_event(channel, "start", [("Start-time", str(started))])
        greeting = getattr(channel.behaviour, "greeting_left", lambda c: None)(channel)

        def stop(status: str) -> None:
            if channel.alive and "avmd_start_us" in channel.variables:
                total = self.bus.now_us() - int(channel.variables.pop("avmd_start_us"))
                self.avmd_event(channel, "stop", [("Beep-Status", status),
                                                  ("Total-time", str(total))])

        if greeting is not None:
            def beep() -> None:
                if not channel.alive or "avmd_start_us" not in channel.variables:
                    return
                detection = self.bus.now_us() - int(channel.variables["avmd_start_us"])
                channel.variables["avmd_detect"] = "TRUE"
                self.avmd_event(channel, "beep", [
                    ("Beep-Status", "DETECTED"), ("Frequency", "999.589033"),
                    ("Frequency-variance", "0.000003"), ("Amplitude", "11976.009917"),
                    ("Amplitude-variance", "871.936721"), ("Detection-time", str(detection)),
                    ("Detector-resolution", "1"), ("Detector-offset", "0"),
                    ("Detector-index", "36")])
                stop("DETECTED")

            self.later(channel, greeting, beep)
        self._avmd_stoppers[channel.uuid] = lambda: stop("NOTDETECTED")

    def avmd_stop(self, channel: Channel) -> None:
        stopper = self._avmd_stoppers.pop(channel.uuid, None)
        if stopper is not None:
            stopper()

    # --- media -----------------------------------------------------------------------------

    def dtmf(self, channel: Channel, digit: str, duration_ms: int = 100) -> None:
        if channel.alive:
            self.fire("DTMF", channel, [("DTMF-Digit", digit),
                                        ("DTMF-Duration", str(duration_ms * 8)),
                                        ("DTMF-Source", "RTP")])

    def start_recording(self, channel: Channel, path: str) -> None:
        channel.recording = path
        self.fire("RECORD_START", channel, [("Record-File-Path", path)])

    def stop_recording(self, channel: Channel) -> None:
        path = channel.recording or ""
        channel.recording = None
        self.fire("RECORD_STOP", channel, [("Record-File-Path", path),
                                           ("Record-Completion-Cause", "success")])

    def playback(self, channel: Channel, path: str, after_cause: str | None) -> None:
        """``playback`` of ``path``; with ``after_cause`` the channel is hung up at its end
        (``uuid_broadcast <uuid> playback!CAUSE::path``)."""
        self.execute(channel, "playback", path)
        self.fire("PLAYBACK_START", channel, [("Playback-File-Path", path)])
        duration = self.settings.playback_seconds
        if channel.behaviour is not None:
            channel.behaviour.playback_started(channel, duration)  # type: ignore[attr-defined]

        def finished() -> None:
            if not channel.alive:
                return
            channel.variables["playback_ms"] = str(int(duration * 1000))
            self.fire("PLAYBACK_STOP", channel, [("Playback-File-Path", path),
                                                 ("Playback-Status", "done")])
            self.execute_complete(channel, "playback", path, "FILE PLAYED")
            if after_cause:
                self.hangup(channel, after_cause, "send_bye")
            elif channel.behaviour is not None:
                channel.behaviour.playback_finished(channel)  # type: ignore[attr-defined]

        self.later(channel, duration, finished)
