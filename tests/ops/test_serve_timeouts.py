"""`bpu-bot serve` itself: a client trickling its request head a byte at a time, or sending
nothing, is cut off within the head deadline (10 s), and an idle connection after a response
within the keep-alive time (5 s), while a normal request on a fresh connection is served."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from bot.http_timeouts import HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT
from tests.ops.test_web import server  # noqa: F401  (the fixture)


def _closed_within(sock: socket.socket, seconds: float, trickle: bytes = b"") -> float:
    """Sends `trickle` a byte each half second until the server closes; how long that took."""
    start = time.monotonic()
    sock.settimeout(0.5)
    for byte in [trickle[i : i + 1] for i in range(len(trickle))] or [b""] * 100:
        if time.monotonic() - start > seconds:
            break
        try:
            if byte:
                sock.send(byte)
            if sock.recv(1024) == b"":
                return time.monotonic() - start
        except TimeoutError:
            continue
        except OSError:
            return time.monotonic() - start
    raise AssertionError(f"still open after {seconds} s")


@pytest.mark.slow
def test_trickling_and_idle_connections_are_closed(server: str) -> None:  # noqa: F811
    port = int(server.rsplit(":", 1)[1])
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    trickling = socket.create_connection(("127.0.0.1", port))
    silent = socket.create_connection(("127.0.0.1", port))
    assert _closed_within(trickling, HEADER_TIMEOUT + 5, head) <= HEADER_TIMEOUT + 2
    assert _closed_within(silent, HEADER_TIMEOUT + 5) <= HEADER_TIMEOUT + 2
    kept = socket.create_connection(("127.0.0.1", port))
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"200 OK" in kept.recv(4096)
    assert _closed_within(kept, KEEP_ALIVE_TIMEOUT + 5) <= KEEP_ALIVE_TIMEOUT + 2
    assert httpx.get(f"{server}/healthz").status_code == 200
