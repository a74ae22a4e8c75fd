"""`bot.http_protocol.ServeProtocol`: uvicorn's own protocol and request cycle, fed raw requests,
write each short response (head and body) in one call to the transport, and hold nothing back
that has no body to go with: a HEAD request's head, a `100 Continue`, a response cut short."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from bot.http_protocol import ServeProtocol


class RecordingTransport(asyncio.Transport):
    """What the protocol wrote, call by call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 40000)}.get(name, default)

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    message = await receive()  # the body (a POST with Expect: 100-continue asks for it here)
    if scope["path"] == "/broken":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        raise RuntimeError("failed after starting the response")
    body = b'{"ok":true}' if scope["path"] != "/stream" else b""
    headers = [(b"content-type", b"application/json")]
    if scope["path"] != "/stream":
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if scope["path"] == "/stream":
        await send({"type": "http.response.body", "body": b"part one", "more_body": True})
        await send({"type": "http.response.body", "body": b"part two", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": body})
    assert message["type"] == "http.request"


async def _served(request: bytes) -> RecordingTransport:
    config = uvicorn.Config(_app, http=ServeProtocol, lifespan="off", access_log=False, log_level="critical")
    config.load()
    protocol = ServeProtocol(config=config, server_state=ServerState(), app_state={})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    await asyncio.gather(*protocol.tasks)
    protocol.connection_lost(None)
    return transport


async def test_a_short_response_leaves_in_one_write() -> None:
    transport = await _served(b"POST /webhook/telegram HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b'\r\n\r\n{"ok":true}')


async def test_a_head_request_gets_its_head_without_waiting_for_a_body() -> None:
    transport = await _served(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert transport.writes[0].endswith(b"\r\n\r\n")


async def test_a_streamed_response_sends_its_head_with_the_first_part() -> None:
    transport = await _served(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
    assert len(transport.writes) == 2
    assert transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and b"part one" in transport.writes[0]
    assert b"part two" in transport.writes[1]


async def test_continue_goes_out_at_once_and_the_response_after_it() -> None:
    transport = await _served(
        b"POST /webhook/telegram HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert transport.writes[0] == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert len(transport.writes) == 2 and transport.writes[1].startswith(b"HTTP/1.1 200 OK\r\n")


async def test_a_response_cut_short_still_sends_its_head_before_the_close() -> None:
    transport = await _served(b"GET /broken HTTP/1.1\r\nHost: x\r\n\r\n")
    assert transport.closed
    assert len(transport.writes) == 1 and transport.writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
