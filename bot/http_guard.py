"""What every request to the web app passes through, however its route is declared: a bound on
the body's size per route, and the security headers of every answer. A pure ASGI middleware:
a declared Content-Length is checked without reading anything; a body sent without one (chunked)
is read up to the bound before the route sees it. Also the 422 answer of a malformed API call,
which names the fields at fault without echoing what was sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024
MIB = 1024 * KIB
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/webhook/telegram", MIB),  # an update is a few kilobytes; a 4,096-character text is ~20 KB
    ("/webhook/whatsapp", MIB),  # Meta's batches of messages and statuses
    ("/staff/login", 16 * KIB),
    ("/api/v1/imports", 10 * MIB),  # a branch's registrations file (CSV or XLSX)
    ("/staff/imports", 10 * MIB),
)
"""The largest body each route (by path prefix, the longest wins) accepts, in bytes."""
DEFAULT_BODY_LIMIT = MIB
"""For every other route: forms, API calls, the WhatsApp Flows endpoint."""
ECHO_LIMIT = 100
"""A 422 repeats a field's input only when its JSON is at most this long."""
HSTS = "max-age=63072000; includeSubDomains"


class Guard:
    """Bounds request bodies and adds the security headers (see the module's docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        limits: Sequence[tuple[str, int]] = BODY_LIMITS,
        default_limit: int = DEFAULT_BODY_LIMIT,
        https: bool = False,
    ) -> None:
        self.app = app
        self.limits = sorted(limits, key=lambda item: len(item[0]), reverse=True)
        self.default_limit = default_limit
        common = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]
        if https:
            common.append((b"strict-transport-security", HSTS.encode()))
        self._common = common
        self._api = [*common, (b"cache-control", b"no-store")]

    def limit_for(self, path: str) -> int:
        return next((size for prefix, size in self.limits if path.startswith(prefix)), self.default_limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.limit_for(path)
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
                break
        if length is not None:
            if not length.isdigit() or int(length) > limit:
                await _too_large(send)
                return
        elif scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            buffered = await _read_within(receive, limit)
            if buffered is None:
                await _too_large(send)
                return
            receive = _replay(buffered, receive)
        extra = self._api if path.startswith("/api/") or path == "/metrics" else self._common

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                missing = [(name, value) for name, value in extra if name not in present]
                if missing:
                    message = {**message, "headers": [*message.get("headers", []), *missing]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _read_within(receive: Receive, limit: int) -> Message | None:
    """The whole body as one message, or None once it grows past `limit` (or the client left)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return {"type": "http.request", "body": b"".join(parts), "more_body": False}


def _replay(first: Message, receive: Receive) -> Receive:
    pending = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


async def _too_large(send: Send) -> None:
    body = json.dumps({"detail": "request body too large"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _short(error: dict[str, Any]) -> dict[str, Any]:
    """A validation error without a long echo of the input, and without internals (`ctx`, `url`)."""
    kept = {key: value for key, value in error.items() if key in ("loc", "msg", "type")}
    if "input" in error:
        try:
            echo = json.dumps(error["input"], default=str)
        except (TypeError, ValueError):
            echo = ""
        if 0 < len(echo) <= ECHO_LIMIT:
            kept["input"] = error["input"]
    return kept


def install_validation_answer(app: FastAPI) -> None:
    """A malformed request answers 422 naming each field and why, echoing only short inputs."""

    async def answer(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [_short(dict(error)) for error in exc.errors()[:20]]
        return JSONResponse(jsonable_encoder({"detail": errors}), status_code=422)

    app.add_exception_handler(RequestValidationError, answer)
