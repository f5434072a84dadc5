"""Which events one event-socket listener receives: subscriptions and filters.

The rules of mod_event_socket (reference §1.6): ``event <format> <names…>`` is cumulative, the
format is switched before the names are checked, every token after ``CUSTOM`` is a subclass,
unknown names are ignored; ``nixevent`` on an ``ALL`` subscription turns it into every other
name; filters follow ``event_handler``'s loop (positive and ``-`` negative values,
``/regex/``, case-insensitive equality, headers only, a missing header skips the filter).
"""

from __future__ import annotations

import re

from dialer.esl.event import Event

SERIALIZER_NAMES = ("plain", "json", "xml")

# Event names FreeSWITCH knows (subset of switch_event_names used by a dialer and the sim).
EVENT_NAMES = frozenset({
    "CUSTOM", "CLONE", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE",
    "CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HOLD", "CHANNEL_UNHOLD",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_APPLICATION",
    "CHANNEL_ORIGINATE", "CHANNEL_UUID", "API", "LOG", "INBOUND_CHAN", "OUTBOUND_CHAN",
    "STARTUP", "SHUTDOWN", "PUBLISH", "UNPUBLISH", "TALK", "NOTALK", "SESSION_CRASH",
    "MODULE_LOAD", "MODULE_UNLOAD", "DTMF", "MESSAGE", "PRESENCE_IN", "NOTIFY_IN",
    "PRESENCE_OUT", "PRESENCE_PROBE", "MESSAGE_WAITING", "MESSAGE_QUERY", "ROSTER", "CODEC",
    "BACKGROUND_JOB", "DETECTED_SPEECH", "DETECTED_TONE", "PRIVATE_COMMAND", "HEARTBEAT",
    "TRAP", "ADD_SCHEDULE", "DEL_SCHEDULE", "EXE_SCHEDULE", "RE_SCHEDULE", "RELOADXML",
    "NOTIFY", "PHONE_FEATURE", "PHONE_FEATURE_SUBSCRIBE", "SEND_MESSAGE", "RECV_MESSAGE",
    "REQUEST_PARAMS", "CHANNEL_DATA", "GENERAL", "COMMAND", "SESSION_HEARTBEAT",
    "CLIENT_DISCONNECTED", "SERVER_DISCONNECTED", "SEND_INFO", "RECV_INFO", "RECV_RTCP_MESSAGE",
    "SEND_RTCP_MESSAGE", "CALL_SECURE", "NAT", "RECORD_START", "RECORD_STOP", "PLAYBACK_START",
    "PLAYBACK_STOP", "CALL_UPDATE", "FAILURE", "SOCKET_DATA", "MEDIA_BUG_START",
    "MEDIA_BUG_STOP", "CONFERENCE_DATA_QUERY", "CONFERENCE_DATA", "CALL_SETUP_REQ",
    "CALL_SETUP_RESULT", "CALL_DETAIL", "DEVICE_STATE", "TEXT", "SHUTDOWN_REQUESTED", "ALL",
})
MYEVENTS = frozenset({
    "CHANNEL_ANSWER", "CHANNEL_APPLICATION", "CHANNEL_BRIDGE", "CHANNEL_CREATE", "CHANNEL_DATA",
    "CHANNEL_DESTROY", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_ORIGINATE", "CHANNEL_UUID", "CHANNEL_OUTGOING",
    "CHANNEL_PARK", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_STATE",
    "CHANNEL_UNBRIDGE", "CHANNEL_UNPARK", "DETECTED_SPEECH", "DTMF", "NOTALK", "TALK",
})


def _event_name(token: str) -> str | None:
    name = token.upper()
    if name.startswith("SWITCH_EVENT_"):
        name = name[len("SWITCH_EVENT_"):]
    return name if name in EVENT_NAMES else None


class Subscription:
    """The subscription state of one listener (mixed into ``server.Listener``)."""

    def __init__(self) -> None:
        self.events_on = False
        self.names: set[str] = set()
        self.all_events = False
        self.customs: set[str] = set()
        self.format = "plain"
        self.filters: list[tuple[str, str]] = []
        self.session_uuid: str | None = None
        self.myevents = False

    def noevents(self) -> str:
        if not self.events_on:
            return "-ERR not listening for events"
        self.events_on, self.all_events = False, False
        self.names.clear()
        self.customs.clear()
        return "+OK no longer listening for events"

    def wants(self, name: str, subclass: str | None) -> bool:
        if not self.events_on:
            return False
        if name == "CUSTOM":
            return self.all_events or subclass in self.customs
        return self.all_events or name in self.names

    def passes_filters(self, event: Event) -> bool:
        """mod_event_socket's event_handler filter loop."""
        if not self.filters:
            return True
        send = False
        for header, wanted in self.filters:
            value = event.get(header)
            if value is None:
                continue
            comparand, positive = wanted, True
            while comparand and comparand[0] in "+- ":
                positive = {"+": True, "-": False}.get(comparand[0], positive)
                comparand = comparand[1:]
            if send and positive:
                continue
            if wanted.startswith("/"):
                pattern = comparand.strip("/")
                matched = re.search(pattern, value) is not None
            else:
                matched = value.lower() == comparand.lower()
            if matched:
                if not positive:
                    return False
                send = True
        return send

    def event_command(self, line: str) -> str:
        tokens = line.split(" ")[1:]
        keys, custom = 0, False
        for index, token in enumerate(tokens):
            if not token:
                continue
            if index == 0 and token.lower() in SERIALIZER_NAMES:
                self.format = token.lower()
                continue
            if custom:
                self.customs.add(token)
                continue
            name = _event_name(token)
            if name is None:
                continue
            keys += 1
            if name == "ALL":
                self.all_events = True
            elif name == "CUSTOM":
                custom = True
            else:
                self.names.add(name)
        if not keys:
            return "-ERR no keywords supplied"
        self.events_on = True
        return f"+OK event listener enabled {self.format}"

    def nixevent_command(self, line: str) -> str:
        keys, custom = 0, False
        for token in line.split(" ")[1:]:
            if custom:
                self.customs.discard(token)
                continue
            name = _event_name(token) if token else None
            if name is None:
                continue
            keys += 1
            if name == "CUSTOM":
                custom = True
            elif name == "ALL":
                self.all_events = False
                self.names.clear()
            else:
                if self.all_events:
                    self.all_events = False
                    self.names = set(EVENT_NAMES) - {"ALL", "CUSTOM"}
                self.names.discard(name)
        if not keys:
            return "-ERR no keywords supplied"
        self.events_on = True
        return "+OK events nixed"

    def filter_command(self, text: str) -> str:
        header, _, value = text.lstrip(" ").partition(" ")
        if header.lower() == "delete" and value:
            header, _, value = value.partition(" ")
            if header.lower() == "all":
                self.filters.clear()
            else:
                self.filters = [(h, v) for h, v in self.filters
                                if not (h.lower() == header.lower() and (not value or v == value))]
            return f"+OK filter deleted. [{header}][{value}]"
        if not value:
            return "-ERR invalid syntax"
        if header.lower() == "add":
            header, _, value = value.partition(" ")
        self.filters.append((header, value))
        return f"+OK filter added. [{header}]=[{value}]"
