"""What a stopping runner waits for on the inbound side: callers leaving a voicemail.

At a stop the queues close (``QueuesClosing``): waiting callers keep their place as a
callback or hear the queue's closed path, often voicemail. A caller leaving a message when
``stop_grace`` runs out is not hung up with the other calls: the message is theirs to
finish, and a cut recording is a message the call centre half-heard. Each voicemail is
bounded already: the engine hangs up at its queue's ``voicemail.max_seconds`` after the
greeting (``InboundState.voicemail_until``), so the stop waits at most until the latest of
those, and a few seconds for the switch to confirm; then it hangs up what is left, as
before. A second stop (Ctrl-C or SIGTERM again) hangs them up at once. Either way the
recording made so far is kept: its ``VoicemailRecorded`` is written with the call's end,
and becomes a voicemail (and a callback) like any other.
"""

from __future__ import annotations

from collections.abc import Mapping

CONFIRM_MARGIN = 5.0
"""Seconds past a voicemail's last instant for the switch to report its hang-up (the
margin the stop allows any hang-up it asks for)."""


def voicemail_deadline(finishing: Mapping[str, float], now: float) -> float:
    """When the stop stops waiting for the voicemails ``finishing`` (call → the latest
    instant it ends): the last of them, plus the switch's confirmation margin."""
    return max(now, *finishing.values()) + CONFIRM_MARGIN


def voicemails_note(finishing: Mapping[str, float], now: float) -> str:
    """The stop's wait in words (the log, ``dialer status``): how many voicemails are
    being left and how long at most."""
    count = len(finishing)
    left = max(0.0, max(finishing.values(), default=now) - now)
    what = "1 caller leaving a voicemail" if count == 1 else \
        f"{count} callers leaving a voicemail"
    return (f"waiting for {what} (at most {left:.0f} s more, the queue's voicemail "
            "max_seconds; stop again to hang up now)")
