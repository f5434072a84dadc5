"""What the simulated switch does with media: playback, beep detection, mod_amd, DTMF, recording.

Owned by ``Switch`` (``switch.media``). Behaviour from the real captures:

* ``uuid_broadcast`` (flow 06) answers ``+OK Message sent`` at once, whether the file exists or
  not; ~120 ms later the playback runs inside park (no UNPARK/PARK): CHANNEL_EXECUTE playback,
  PLAYBACK_START, PLAYBACK_STOP, CHANNEL_EXECUTE_COMPLETE ``FILE PLAYED``. A missing file gives
  CHANNEL_EXECUTE then CHANNEL_EXECUTE_COMPLETE ``FILE NOT FOUND`` and nothing else (the
  leg's later park EXECUTE_COMPLETE repeats it); ``playback!CAUSE::file`` hangs up either way.
* ``execute_on_answer`` runs on the a-leg in the answer path, and on a loopback b-leg too (it
  inherits the variable). An application no loaded module provides ("Invalid Application")
  hangs the call up with DESTINATION_OUT_OF_ORDER: ``amd`` on a public-tree build.
* mod_avmd (flows 08a/b): each CUSTOM ``avmd::*`` event is delivered twice under one
  Event-Sequence, a bare copy (no channel headers) then a full one; the full copy of
  ``avmd::start`` comes a few ms later; ``avmd::beep`` at the end of a machine's greeting; no
  ``avmd::stop`` at hang-up. The b-leg runs avmd_start without events (outbound only).
"""

from __future__ import annotations

import math
import re
import wave
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulations.switch.channel import Channel
    from simulations.switch.switch import Switch


_TONE = re.compile(r"%\((\d+),(\d+)")
_LOOPS = re.compile(r"loops=(-?\d+)")


def tone_seconds(path: str) -> float | None:
    """How long a ``tone_stream://`` plays (its on/off segments times ``loops``)."""
    if not path.startswith("tone_stream://"):
        return None
    segments = sum(int(on) + int(off) for on, off in _TONE.findall(path)) / 1000
    loops = _LOOPS.search(path)
    count = int(loops.group(1)) if loops else 1
    return segments * count if count > 0 and segments > 0 else None


class Media:
    def __init__(self, switch: Switch) -> None:
        self.switch = switch
        self._avmd: dict[str, int] = {}
        """Channel → when avmd started (µs), while it listens."""
        self._deferred: dict[str, list[Callable[[], None]]] = {}
        """Channel → events held until its originate has returned and parked it."""
        self._playing: dict[str, tuple[int, str, str | None]] = {}
        """Channel → (token, path, hang-up cause) of the playback running on it."""
        self._waiting: dict[str, list[tuple[str, str | None, list | None]]] = {}
        """Channel → playbacks queued behind the running one."""
        self._breaks: dict[str, int] = {}
        """Channel → how many ``uuid_break all`` it had (flushes broadcasts not started)."""
        self._tokens = 0
        self._wav_seconds: dict[str, float] = {}
        self.masks: list[tuple[str, str, float]] = []
        """(channel, ``mask``/``unmask``, when): what a recording's silence covers."""

    def forget(self, channel: Channel) -> None:
        self._avmd.pop(channel.uuid, None)
        self._deferred.pop(channel.uuid, None)
        self._playing.pop(channel.uuid, None)
        self._waiting.pop(channel.uuid, None)
        self._breaks.pop(channel.uuid, None)

    def playing(self, channel: Channel) -> str | None:
        """The file ``channel`` is playing now (None: none)."""
        current = self._playing.get(channel.uuid)
        return None if current is None else current[1]

    def hung_up(self, channel: Channel, path: str | None) -> None:
        """A playback the hang-up cut off (``path``) still ends with PLAYBACK_STOP
        (``Playback-Status: done``, but ``Answer-State: hangup`` and the ``Hangup-Cause``)
        and its EXECUTE_COMPLETE, after CHANNEL_HANGUP (capture 05, frames 97-102: a loopback
        leg's ``PLAYBACK ERROR``; over SIP ``FILE PLAYED``, Surprise 15)."""
        if path is None:
            return
        self.switch.fire("PLAYBACK_STOP", channel, [("Playback-File-Path", path),
                                                    ("Playback-Status", "done")])
        loopback = channel.name.startswith("loopback/")
        self.switch.execute_complete(channel, "playback", path,
                                     "PLAYBACK ERROR" if loopback else "FILE PLAYED")

    def originate_returned(self, channel: Channel) -> None:
        """The originate of ``channel`` returned and its application started."""
        for action in self._deferred.pop(channel.uuid, ()):
            action()

    # --- execute_on_answer -----------------------------------------------------------------

    def on_answer(self, channel: Channel) -> None:
        """``execute_on_answer`` and every ``execute_on_answer_*`` variable, in name order
        (switch_channel_execute_on): the applications run in the answer path."""
        variables = channel.variables
        for name in sorted(v for v in variables if v.startswith("execute_on_answer")):
            wanted = variables[name].strip()
            if wanted and not self._run_on_answer(channel, wanted):
                return

    def _run_on_answer(self, channel: Channel, wanted: str) -> bool:
        application, _, data = wanted.partition(" ")
        switch = self.switch
        b_leg = channel.variables.get("loopback_leg") == "B"
        if not switch.has_application(application):
            if b_leg:
                return False
            switch.log(3, "switch_core_session.c", "switch_core_session_execute_application", 2757,
                       f"Invalid Application {application}", channel.uuid)
            # The answer path cannot run it: the call is torn down at once.
            switch.later(channel, 0.001, lambda: switch.hangup(
                channel, "DESTINATION_OUT_OF_ORDER", "send_bye"))
            return False
        if application == "avmd_start":
            switch.execute(channel, application, data)
            if not b_leg:
                self.avmd_start(channel)
            switch.execute_complete(channel, application, data)
        elif b_leg:
            return True  # the callee's side does not listen for its own greeting
        elif application in ("amd", "mod_amd"):
            behaviour = channel.behaviour
            if behaviour is not None:
                behaviour.run_amd(channel, application)  # type: ignore[attr-defined]
        elif application == "wait_for_silence":
            self.wait_for_silence(channel, data)
        return True

    def wait_for_silence(self, channel: Channel, data: str) -> None:
        """mod_dptools' ``wait_for_silence <threshold> <silence hits> <listen hits>
        <timeout ms>``: blocks until, after ``listen hits`` 20 ms frames of sound, ``silence
        hits`` silent frames follow (``wait_for_silence_timeout=false``), or the timeout
        (``true``). A person says "Hello?" and waits; a machine's greeting runs on."""
        words = data.split()
        try:
            silence = int(words[1]) * 0.02
            timeout = int(words[3]) / 1000
        except (IndexError, ValueError):
            silence, timeout = 0.5, 3.0
        greeting = getattr(channel.behaviour, "greeting_seconds", lambda c: None)(channel)
        if greeting is None or greeting + silence > timeout:
            ends, timed_out = timeout, True
        else:
            ends, timed_out = greeting + silence, False
        self.run_blocking(channel, "wait_for_silence", data, ends,
                          {"wait_for_silence_timeout": str(timed_out).lower()})

    def run_blocking(self, channel: Channel, application: str, data: str, seconds: float,
                     results: dict[str, str]) -> None:
        """An application that holds the channel's thread: the originate's own application
        (park) runs only after it ends (origination.py)."""
        switch = self.switch
        switch.execute(channel, application, data)
        switch.truth.listening(channel.uuid)

        def done() -> None:
            channel.variables.update(results)
            switch.truth.greeting_done(channel.uuid, switch.clock())
            switch.execute_complete(channel, application, data)
            if channel.application == application:
                channel.application = ""
            origination = channel.origination
            if origination is not None:
                origination.blocking_done()  # type: ignore[attr-defined]

        switch.later(channel, seconds, done)

    # --- playback ----------------------------------------------------------------------------

    def broadcast(self, channel: Channel, application: str, data: str,
                  after_cause: str | None) -> None:
        """``uuid_broadcast``: the application runs ``broadcast_delay`` later, inside park.
        FreeSWITCH queues it on the channel at once: a ``uuid_break all`` sent after it
        flushes it even if it has not started yet. The broadcast is a COMMAND (its own
        Event-Sequence, now) that the channel reports as a PRIVATE_COMMAND once it has run
        (flow 06)."""
        from simulations.switch.switch import CALLING

        switch = self.switch
        generation = self._breaks.get(channel.uuid, 0)
        command = [*switch.bus.core_headers("COMMAND", CALLING["COMMAND"]),
                   ("call-command", "execute"), ("execute-app-name", application),
                   ("execute-app-arg", data), ("event-lock", "true"), ("lead-frames", "5")]

        def run() -> None:
            if self._breaks.get(channel.uuid, 0) == generation:
                self._run_broadcast(channel, application, data, after_cause, command)

        switch.later(channel, switch.delay("broadcast_delay"), run)

    def _private_command(self, channel: Channel, command: list) -> None:
        """One frame: the COMMAND's block, then PRIVATE_COMMAND's with the channel's."""
        from simulations.switch.switch import CALLING

        if channel.alive:
            self.switch.bus.fire("PRIVATE_COMMAND", CALLING["PRIVATE_COMMAND"],
                                 lambda: channel.block("PRIVATE_COMMAND"), before=command)

    def _run_broadcast(self, channel: Channel, application: str, data: str,
                       after_cause: str | None, command: list | None = None) -> None:
        switch = self.switch
        if not channel.alive:
            return
        if application == "playback":
            self.playback(channel, data, after_cause, command)
        elif application in ("amd", "mod_amd"):
            if switch.has_application(application) and channel.behaviour is not None:
                channel.behaviour.run_amd(channel, application)  # type: ignore[attr-defined]
        elif application == "hangup":
            switch.hangup(channel, (data or "NORMAL_CLEARING").upper(), "send_bye")
        else:
            self._fire_execute(channel, application, data)
            response = "_none_" if switch.has_application(application) else "INVALID APP"
            switch.execute_complete(channel, application, data, response)
            if after_cause:
                switch.hangup(channel, after_cause, "send_bye")

    def _fire_execute(self, channel: Channel, application: str, data: str) -> None:
        # A broadcast runs inside park: the leg's own application (park) is unchanged.
        self.switch.fire("CHANNEL_EXECUTE", channel, [
            ("Application", application), ("Application-Data", data),
            ("Application-UUID", self.switch._new_uuid())])

    def file_seconds(self, path: str) -> float:
        """How long one file plays: a tone's segments, ``local_stream://`` for ever, a WAV
        its own length (with ``SwitchSettings.wav_lengths``), else ``playback_seconds``."""
        tone = tone_seconds(path)
        if tone is not None:
            return tone
        if path.startswith("local_stream://"):
            return math.inf
        settings = self.switch.settings
        if settings.wav_lengths and path.endswith(".wav"):
            seconds = self._wav_seconds.get(path)
            if seconds is None:
                try:
                    with wave.open(path) as audio:
                        rate = audio.getframerate()
                        seconds = audio.getnframes() / rate if rate else 0.0
                except (OSError, EOFError, wave.Error):
                    seconds = settings.playback_seconds
                self._wav_seconds[path] = seconds
            return seconds
        return settings.playback_seconds

    def parts(self, path: str) -> list[tuple[str, float]]:
        """The files a path plays in turn (``file_string://a!b``) with their lengths."""
        files = path[len("file_string://"):].split("!") if path.startswith(
            "file_string://") else [path]
        return [(name, self.file_seconds(name)) for name in files if name]

    def playback(self, channel: Channel, path: str, after_cause: str | None,
                 command: list | None = None) -> None:
        """``playback`` of ``path``; with ``after_cause`` the channel is hung up at its end.
        A playback asked for while another plays waits for it (broadcasts queue up).
        ``command``: it was broadcast (its PRIVATE_COMMAND follows the EXECUTE_COMPLETE)."""
        if channel.uuid in self._playing:
            self._waiting.setdefault(channel.uuid, []).append((path, after_cause, command))
            return
        switch = self.switch
        self._fire_execute(channel, "playback", path)
        parts = self.parts(path)
        if not parts or not all(switch.file_exists(name) for name, _ in parts):
            switch.log(3, "switch_ivr_play_say.c", "switch_ivr_play_file", 1398,
                       f"Can't open {path}", channel.uuid)
            channel.variables["last_app_response"] = "FILE NOT FOUND"
            switch.truth.message(channel.uuid, switch.clock(), played=False)
            switch.execute_complete(channel, "playback", path, "FILE NOT FOUND")
            if command is not None:
                self._private_command(channel, command)
            if after_cause:
                switch.hangup(channel, after_cause, "send_bye")
            else:
                self._next(channel)
            return
        switch.fire("PLAYBACK_START", channel, [("Playback-File-Path", path)])
        switch.truth.message(channel.uuid, switch.clock(), played=True)
        duration = sum(seconds for _, seconds in parts)
        token = self._tokens = self._tokens + 1
        self._playing[channel.uuid] = (token, path, after_cause)
        behaviour = channel.behaviour
        heard = getattr(behaviour, "heard", None)
        if heard is not None:
            heard(channel, parts)
        elif behaviour is not None:
            behaviour.playback_started(channel, duration)  # type: ignore[attr-defined]

        def finished() -> None:
            current = self._playing.get(channel.uuid)
            if not channel.alive or current is None or current[0] != token:
                return
            del self._playing[channel.uuid]
            channel.variables["playback_ms"] = str(int(duration * 1000))
            switch.fire("PLAYBACK_STOP", channel, [("Playback-File-Path", path),
                                                   ("Playback-Status", "done")])
            switch.execute_complete(channel, "playback", path, "FILE PLAYED")
            if command is not None:
                self._private_command(channel, command)
            if after_cause:
                switch.hangup(channel, after_cause, "send_bye")
                return
            if channel.behaviour is not None:
                channel.behaviour.playback_finished(channel)  # type: ignore[attr-defined]
            self._next(channel)

        if math.isfinite(duration):
            switch.later(channel, duration, finished)

    def _next(self, channel: Channel) -> None:
        waiting = self._waiting.get(channel.uuid)
        if waiting and channel.alive:
            path, after_cause, command = waiting.pop(0)
            self.playback(channel, path, after_cause, command)

    def break_playback(self, channel: Channel, everything: bool) -> bool:
        """``uuid_break``: the playback stops (PLAYBACK_STOP ``break``); with ``all`` the
        broadcasts queued behind it go too. False: nothing was playing or queued."""
        switch = self.switch
        uuid = channel.uuid
        queued = bool(self._waiting.get(uuid))
        if everything:
            self._breaks[uuid] = self._breaks.get(uuid, 0) + 1
            self._waiting.pop(uuid, None)
        current = self._playing.pop(uuid, None)
        if current is None:
            if not everything:
                self._next(channel)
            return queued
        _, path, _ = current
        loopback = channel.name.startswith("loopback/")
        switch.fire("PLAYBACK_STOP", channel, [("Playback-File-Path", path),
                                               ("Playback-Status", "break")])
        # Surprise 15: an interrupted loopback playback ends PLAYBACK ERROR, SIP FILE PLAYED.
        switch.execute_complete(channel, "playback", path,
                                "PLAYBACK ERROR" if loopback else "FILE PLAYED")
        if not everything:
            self._next(channel)
        return True

    # --- avmd ------------------------------------------------------------------------------

    def _avmd_event(self, channel: Channel, kind: str, extra: list,
                    after_originate: bool = False) -> None:
        """The bare copy now, the full copy (same Event-Sequence) at once or, with
        ``after_originate``, once the channel's originate has returned (flows 08a/b: the
        full copy of avmd::start comes after the BACKGROUND_JOB)."""
        from simulations.switch.switch import CALLING

        switch = self.switch
        bus = switch.bus
        bus.sequence += 1
        sequence = bus.sequence
        head = [("Unique-ID", channel.uuid), ("Call-command", "avmd"), *extra]
        bus.fire("CUSTOM", CALLING["CUSTOM"], head, subclass=f"avmd::{kind}", sequence=sequence)

        def full() -> None:
            if channel.alive:
                bus.fire("CUSTOM", CALLING["CUSTOM"],
                         lambda: [*channel.block("CUSTOM"), ("Call-command", "avmd"), *extra],
                         subclass=f"avmd::{kind}", sequence=sequence)

        origination = channel.origination
        if after_originate and origination is not None and origination.phase in (  # type: ignore[attr-defined]
                "dialing", "answered", "returned"):
            self._deferred.setdefault(channel.uuid, []).append(full)
        else:
            full()

    def avmd_start(self, channel: Channel) -> None:
        switch = self.switch
        started = switch.bus.now_us()
        self._avmd[channel.uuid] = started
        channel.variables["avmd_start_us"] = str(started)
        self._avmd_event(channel, "start", [("Start-time", str(started))], after_originate=True)
        greeting = getattr(channel.behaviour, "greeting_left", lambda c: None)(channel)
        if greeting is None:
            return

        def beep() -> None:
            if not channel.alive or channel.uuid not in self._avmd:
                return
            detection = switch.bus.now_us() - self._avmd.pop(channel.uuid)
            channel.variables["avmd_detect"] = "TRUE"
            self._avmd_event(channel, "beep", [
                ("Beep-Status", "DETECTED"), ("Frequency", "1000.046867"),
                ("Frequency-variance", "0.000003"), ("Amplitude", "11976.009917"),
                ("Amplitude-variance", "871.936721"), ("Detection-time", str(detection)),
                ("Detector-resolution", "1"), ("Detector-offset", "0"),
                ("Detector-index", "36")])

        switch.later(channel, greeting, beep)

    def avmd_stop(self, channel: Channel) -> None:
        started = self._avmd.pop(channel.uuid, None)
        if started is not None and channel.alive:
            total = self.switch.bus.now_us() - started
            self._avmd_event(channel, "stop", [("Beep-Status", "NOTDETECTED"),
                                               ("Total-time", str(total))])

    # --- DTMF and recording ----------------------------------------------------------------

    def dtmf(self, channel: Channel, digit: str, duration_ms: int = 260) -> None:
        if channel.alive:
            loopback = channel.name.startswith("loopback/")
            self.switch.fire("DTMF", channel, [
                ("DTMF-Digit", digit), ("DTMF-Duration", "2000" if loopback else "2080"),
                ("DTMF-Source", "UNKNOWN" if loopback else "RTP")])

    def start_recording(self, channel: Channel, path: str) -> None:
        """RECORD_START, then the recording's media bug (capture 09-uuid-record)."""
        channel.recording = path
        self.switch.fire("RECORD_START", channel, [("Record-File-Path", path)])
        self.switch.fire("MEDIA_BUG_START", channel, before=_media_bug(path))

    def stop_recording(self, channel: Channel) -> None:
        """RECORD_STOP, then MEDIA_BUG_STOP. The capture's ``uuid_record stop`` (no time
        limit given) reads ``Record-Completion-Cause: success-maxtime``, copied as is."""
        path = channel.recording or ""
        channel.recording = None
        self.switch.fire("RECORD_STOP", channel, [
            ("Record-File-Path", path), ("Record-Completion-Cause", "success-maxtime")])
        self.switch.fire("MEDIA_BUG_STOP", channel, before=_media_bug(path))


def _media_bug(path: str) -> list[tuple[str, str]]:
    """A recording's media bug headers, which FreeSWITCH puts before the channel's."""
    return [("Media-Bug-Function", "session_record"), ("Media-Bug-Target", path)]


__all__ = ["Media"]
