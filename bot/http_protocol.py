"""The HTTP protocol `bpu-bot serve` gives uvicorn: the head deadline (`bot.http_timeouts`), and
each response's head sent together with its first body bytes.

uvicorn writes a response's status line and headers as soon as the app starts the response, and
the body in a second write: two system calls and two TCP segments for every webhook's
`{"ok": true}`. Under `bench.compare`'s load the two `send()`s were about a fifth of the event
loop's samples (py-spy), and one write instead of two took about 7% off the CPU per update.
`ServeProtocol` gives each request's cycle a transport that holds the head back until the body's
first write and sends both in one.
Nothing else waits: the head of a HEAD request (which has no body), a `100 Continue`, and a head
followed by a close go out at once.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.http_timeouts import HeadDeadlineProtocol

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
"""uvicorn's one write before a response starts (a client that sent `Expect: 100-continue`)."""


class HeadWithBody:
    """A request cycle's transport that sends the response head with the first body write.

    It keeps no reference to the cycle (which keeps it): the pair is freed as soon as the
    request is done, not at the collector's next pass."""

    def __init__(self, transport: asyncio.Transport, method: str) -> None:
        self._transport = transport
        self._holds_head = method != "HEAD"  # a HEAD response has no body to wait for
        self._head: bytes | None = None
        self._head_written = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._head_written and data != CONTINUE:
            self._head_written = True  # uvicorn's first write once the response started: the head
            if self._holds_head:
                self._head = bytes(data)
                return
        if self._head is not None:
            data, self._head = self._head + bytes(data), None
        self._transport.write(data)

    def close(self) -> None:
        if self._head is not None:  # the app failed after starting the response: as uvicorn would
            head, self._head = self._head, None
            self._transport.write(head)
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class ServeProtocol(HeadDeadlineProtocol):
    """uvicorn's httptools protocol with the head deadline and one write per short response."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and not isinstance(cycle.transport, HeadWithBody):
            cycle.transport = cast(asyncio.Transport, HeadWithBody(self.transport, cycle.scope["method"]))
