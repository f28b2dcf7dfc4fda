"""The parent's end of an agent's channel: bounded, fair to other trials, never blocking.

A jail may flood its channel. Whatever it sends, the parent buffers at most two lines'
worth of its input (``MAX_LINE_BYTES`` each; a longer line ends the trial), serves at
most ``MAX_IN_FLIGHT`` requests of the trial at a time (the rest wait in the pipe, so
the agent's writes are what slow down), reads at most ``REQUESTS_PER_SEC`` requests a
second after a burst, yields to other trials after every request, and stops reading
while the agent leaves more than ``MAX_UNREAD_BYTES`` of answers unread. Writes never
block the event loop.
"""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

from sandbox.agents import AgentError

MAX_LINE_BYTES = 8 * 1024 * 1024
"""The longest request line (a model call carries the whole conversation)."""
MAX_IN_FLIGHT = 8
"""Requests of one trial served at once."""
MAX_UNREAD_BYTES = 16 * 1024 * 1024
"""Answers the agent has not read yet, beyond which the parent stops reading its requests."""
REQUESTS_PER_SEC = 200.0
BURST = 200.0


class _Writable(asyncio.Protocol):
    """Flow control of the write pipe: is there room for more answers?"""

    def __init__(self) -> None:
        self.room = asyncio.Event()
        self.room.set()
        self.closed = False

    def pause_writing(self) -> None:
        self.room.clear()

    def resume_writing(self) -> None:
        self.room.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.room.set()


class ParentChannel:
    """Reads the agent's requests and writes answers, within the bounds above."""

    def __init__(self, reader: asyncio.StreamReader, read_transport: asyncio.BaseTransport,
                 write_transport: asyncio.WriteTransport, writable: _Writable):
        self._reader, self._read_transport = reader, read_transport
        self._write, self._writable = write_transport, writable
        self._tokens, self._refilled = BURST, asyncio.get_running_loop().time()

    @classmethod
    async def connect(cls, read_fd: int, write_fd: int) -> ParentChannel:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
        read_transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader),
                                                         os.fdopen(read_fd, "rb", buffering=0))
        write_transport, writable = await loop.connect_write_pipe(_Writable, os.fdopen(write_fd, "wb", buffering=0))
        write_transport.set_write_buffer_limits(high=MAX_UNREAD_BYTES)
        return cls(reader, read_transport, write_transport, writable)

    def send(self, message: dict[str, Any]) -> None:
        """Queue one message for the agent; never blocks (a closed pipe drops it)."""
        if not self._writable.closed and not self._write.is_closing():
            self._write.write(json.dumps(message).encode() + b"\n")

    async def receive(self) -> dict[str, Any] | None:
        """The next request (a dict, or a ``bad_request`` marker), or None at end of file.

        Raises:
            AgentError: A line over MAX_LINE_BYTES, or one that is not JSON.
        """
        await self._writable.room.wait()
        await self._pace()
        try:
            line = await self._reader.readline()
        except ValueError as exc:  # asyncio's "chunk exceeds the limit"
            raise AgentError(f"agent.py sent a request of more than {MAX_LINE_BYTES} bytes on its channel; "
                             "the parent reads no further", "channel_abuse") from exc
        if not line:
            return None
        if not line.endswith(b"\n"):
            return None  # the agent's last, unfinished words: it is gone
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise AgentError(f"agent.py wrote a line that is not JSON on its channel "
                             f"({type(exc).__name__}: {exc})", "channel_abuse") from exc
        if not isinstance(message, dict):
            return {"op": None, "bad_request": f"expected a JSON object, got {type(message).__name__}"}
        return message

    async def _pace(self) -> None:
        """Yield to other trials, and hold a flooding agent to REQUESTS_PER_SEC."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        self._tokens = min(BURST, self._tokens + (now - self._refilled) * REQUESTS_PER_SEC)
        self._refilled = now
        if self._tokens < 1.0:
            await asyncio.sleep((1.0 - self._tokens) / REQUESTS_PER_SEC)
            self._tokens, self._refilled = 1.0, loop.time()
        else:
            await asyncio.sleep(0)
        self._tokens -= 1.0

    def close(self) -> None:
        self._read_transport.close()
        self._write.close()
