"""The real FreeSWITCH captures in tests/fixtures/esl/real-fs: bytes, frames, and the sidecars'
commands and leg names (see that folder's README.md and SOURCE.md)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dialer.esl.event import Event
from dialer.esl.protocol import ClientProtocol, EventReceived, Message

REAL_FS = Path(__file__).resolve().parents[2] / "fixtures" / "esl" / "real-fs"

FRAMES: dict[str, int] = {
    "01a-auth-wrong-password": 3, "01b-api-basics": 20, "02-originate-human-sip": 72,
    "03-originate-human-loopback": 70, "04a-failures-sip": 209, "04b-failures-loopback": 50,
    "05-agent-bridge": 222, "06-safe-harbour-broadcast": 84, "07-dtmf-from-callee": 52,
    "08a-avmd-answering-machine-loopback": 92, "08b-avmd-answering-machine-sip": 17,
    "09-uuid-record": 82, "10-inbound-queue": 129, "11-show-and-uuid-commands": 244,
    "12-callcenter-config": 14, "13a-originate-human-sip-json": 70, "13b-event-xml": 13,
    "14-heartbeat": 6, "15-myevents": 15, "16-filter-unique-id": 44,
    "17-early-media-then-answer": 32,
}
"""Frames per capture, as the sidecars count them (1,540 in all)."""

_SENT_ROW = re.compile(r"^\| (\d+\.\d+) \| (\d+) \| `(.*)` \|$")
_LEG_ROW = re.compile(r"^\| ([A-Za-z0-9~_-]+) \| `([0-9a-f-]{36})` \|")
_ORIGINATION_UUID = re.compile(r"origination_uuid=([0-9a-f-]{36})")


@dataclass(frozen=True, slots=True)
class Sent:
    """A command the recorder sent: when, after how many received bytes, and its text."""

    at: float
    received: int
    text: str

    @property
    def origination_uuid(self) -> str | None:
        found = _ORIGINATION_UUID.search(self.text)
        return found.group(1) if found else None


def names() -> list[str]:
    return sorted(FRAMES)


@cache
def raw(name: str) -> bytes:
    return (REAL_FS / f"{name}.esl").read_bytes()


def sha256(name: str) -> str:
    return hashlib.sha256(raw(name)).hexdigest()


@cache
def _sidecar(name: str) -> str:
    return (REAL_FS / f"{name}.md").read_text(encoding="utf-8")


@cache
def sent(name: str) -> tuple[Sent, ...]:
    """The commands of the sidecar's "Sent" table (``\\n`` in the text is a real newline)."""
    rows = []
    section = _sidecar(name).split("## Sent", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        match = _SENT_ROW.match(line)
        if match:
            rows.append(Sent(float(match.group(1)), int(match.group(2)),
                             match.group(3).replace("\\n", "\n")))
    return tuple(rows)


@cache
def legs(name: str) -> dict[str, str]:
    """Alias (``CUST-a``, ``AGENT-b``, ``job-originate``...) → UUID, from the sidecar."""
    section = _sidecar(name).split("## Legs and jobs", 1)[1].split("\n## ", 1)[0]
    found = {}
    for line in section.splitlines():
        match = _LEG_ROW.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def messages(name: str, chunks: list[int] | None = None) -> list[Message]:
    """Every message of a capture, the bytes fed in ``chunks`` sizes (then 4096 at a time)."""
    data = raw(name)
    protocol = ClientProtocol()
    out: list[Message] = []
    position = 0
    sizes = iter(chunks or ())
    while position < len(data):
        size = next(sizes, 4096)
        protocol.receive_data(data[position : position + size])
        position += size
        while (message := protocol.next_message()) is not None:
            out.append(message)
    return out


def events(name: str) -> list[Event]:
    return [m.event for m in messages(name) if isinstance(m, EventReceived)]
