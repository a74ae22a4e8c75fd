"""The httpx-over-aiohttp transport pywa's requests travel on: what httpx callers rely on holds."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from bot.channels.whatsapp.aiohttp_transport import AiohttpTransport


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    answer = {
        "method": request.method,
        "path": request.path_qs,
        "body": body.decode(),
        "auth": request.headers.get("Authorization"),
    }
    return web.json_response(answer, status=201)


async def _gzipped(request: web.Request) -> web.Response:
    return web.Response(
        body=gzip.compress(b'{"ok": true}'),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(1.0)
    return web.Response(text="late")


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/echo", _echo)
    app.router.add_get("/gzip", _gzipped)
    app.router.add_get("/slow", _slow)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}"
    await runner.cleanup()


async def test_a_request_goes_out_whole_and_its_answer_comes_back(server: str) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(4)) as client:
        response = await client.post(
            f"{server}/echo?x=1", json={"to": "628123"}, headers={"Authorization": "Bearer t"}
        )
    assert response.status_code == 201
    assert response.json() == {
        "method": "POST",
        "path": "/echo?x=1",
        "body": '{"to":"628123"}',
        "auth": "Bearer t",
    }


async def test_a_compressed_answer_is_read_decompressed(server: str) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(4)) as client:
        response = await client.get(f"{server}/gzip")
    assert json.loads(response.content) == {"ok": True}


async def test_a_slow_answer_is_an_httpx_timeout(server: str) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(4), timeout=httpx.Timeout(0.3)) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get(f"{server}/slow")


async def test_nobody_listening_is_an_httpx_connect_error() -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(4)) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:9/nothing")
