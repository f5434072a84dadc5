"""Event times. What FreeSWITCH events mean for the engine is ``stories.py`` (stateful: one
call's story is told by several events and a job result, in no fixed order)."""

from __future__ import annotations

from dialer.freeswitch.stories import Headers


def event_time(headers: Headers) -> float:
    """``Event-Date-Timestamp`` (microseconds since the epoch) in seconds."""
    stamp = headers.get("Event-Date-Timestamp")
    if stamp is None or not stamp.isdigit():
        raise ValueError("event has no Event-Date-Timestamp: pass at= explicitly")
    return int(stamp) / 1_000_000
