"""A raw event-socket test client: send exact bytes, read parsed messages."""

from __future__ import annotations

import asyncio

from dialer.esl.protocol import ClientProtocol, EventReceived, FrameReader, Message


class RawClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.protocol = ClientProtocol()
        self.raw = bytearray()
        # Events read while waiting for a reply (libesl's race queue).
        self.stash: list[Message] = []

    @classmethod
    async def connect(cls, host: str, port: int) -> RawClient:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def next(self, timeout: float = 5.0) -> Message:
        if self.stash:
            return self.stash.pop(0)
        async with asyncio.timeout(timeout):
            while (message := self.protocol.next_message()) is None:
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError("closed")
                self.raw += data
                self.protocol.receive_data(data)
            return message

    async def send(self, text: str) -> Message:
        """Send a command; return its reply (events read meanwhile are kept for ``next``)."""
        self.writer.write(text.encode())
        held = []
        try:
            while True:
                message = await self._read()
                if isinstance(message, EventReceived):
                    held.append(message)
                else:
                    return message
        finally:
            self.stash.extend(held)

    async def _read(self, timeout: float = 5.0) -> Message:
        async with asyncio.timeout(timeout):
            while (message := self.protocol.next_message()) is None:
                data = await self.reader.read(65536)
                if not data:
                    raise ConnectionError("closed")
                self.raw += data
                self.protocol.receive_data(data)
            return message

    async def login(self, password: str = "ClueCon") -> None:
        await self.next()
        reply = await self.send(f"auth {password}\n\n")
        assert reply.reply_text == "+OK accepted"

    async def until_event(self, name: str, timeout: float = 10.0, uuid: str | None = None):
        """Messages up to and including the first event ``name`` (of channel ``uuid``)."""
        seen = []
        while True:
            message = await self.next(timeout)
            seen.append(message)
            if isinstance(message, EventReceived) and message.event.name == name and (
                    uuid is None or message.event.get("Unique-ID") == uuid):
                return message.event, seen

    async def closed(self, timeout: float = 5.0) -> bool:
        async with asyncio.timeout(timeout):
            return await self.reader.read(1) == b""

    def close(self) -> None:
        self.writer.close()


def raw_frames(data: bytes) -> list:
    reader = FrameReader(decode_values=False)
    reader.feed(bytes(data))
    frames = []
    while (frame := reader.next_frame()) is not None:
        frames.append(frame)
    return frames
