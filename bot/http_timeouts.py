"""uvicorn's HTTP protocol with a deadline for a request's head.

uvicorn closes a connection idle after a response (`timeout_keep_alive`), but waits forever for
the head of a request: a client that opens a connection and trickles its header lines a byte at
a time holds it as long as it likes, and a few thousand such clients hold the process's sockets.
Here the head of every request (the first one on a connection, and each one after a response)
must be complete within `HEADER_TIMEOUT` seconds of when the server began waiting for it, however
the bytes come; otherwise the connection is closed.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0
"""Seconds a client has to send a request's line and headers."""
KEEP_ALIVE_TIMEOUT = 5
"""Seconds an idle connection stays open after a response (uvicorn's `timeout_keep_alive`)."""


class HeadDeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol that closes a connection whose request head is not in on time."""

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _expired(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.close()
