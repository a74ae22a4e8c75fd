"""How pywa's requests reach the Graph API: at `WHATSAPP_API_URL`, over a bounded pool.

pywa hard-codes the Graph host (it sets `session.base_url` to graph.facebook.com), so its
httpx client gets a transport (`GraphRouter`) that sends every request to
`{WHATSAPP_API_URL}/{WHATSAPP_API_VERSION}/...` instead: a local proxy, or the test fake. The
requests travel over aiohttp (`AiohttpTransport`), on at most `http_connections` connections.
"""

from __future__ import annotations

import asyncio
import math

import httpx

from bot.channels.whatsapp.aiohttp_transport import AiohttpTransport


def http_connections(per_second: float) -> int:
    """Requests to the Graph API at once, each on a connection kept open: a tenth of a second's
    worth of the configured rate (the Graph API answers in 100-200 ms), at least 16.

    Unbounded, the sender had hundreds in flight during a broadcast, and httpcore's pool looks at
    every connection and every queued request for each request it places; httpx's default also
    kept only 20 connections open, opening and closing one for every request beyond them. On
    the 2-core bench machine, 16 carried 200 messages/s where 32 or more slowed it down (with
    httpcore; the requests now travel over aiohttp, see `AiohttpTransport`)."""
    return max(16, math.ceil(per_second / 10))


class GraphRouter(httpx.AsyncBaseTransport):
    """Sends pywa's Graph API requests to `{api_url}/{version}/...` instead of graph.facebook.com."""

    def __init__(
        self, api_url: str, version: str, inner: httpx.AsyncBaseTransport | None = None, connections: int = 16
    ) -> None:
        self.root = httpx.URL(api_url.rstrip("/") + "/")
        self.version = version
        self.inner = inner or AiohttpTransport(connections)
        self._slots = asyncio.Semaphore(connections)

    def rewrite(self, url: httpx.URL) -> httpx.URL:
        segments = url.path.lstrip("/").split("/", 1)
        rest = segments[1] if len(segments) == 2 and segments[0].startswith("v") else url.path.lstrip("/")
        base = self.root.path.rstrip("/")
        return self.root.copy_with(path=f"{base}/{self.version}/{rest}", query=url.query or None)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = self.rewrite(request.url)
        headers = [(k, v) for k, v in request.headers.raw if k.lower() != b"host"]
        routed = httpx.Request(
            request.method,
            url,
            headers=[(b"Host", url.netloc), *headers],
            stream=request.stream,
            extensions=request.extensions,
        )
        async with self._slots:
            return await self.inner.handle_async_request(routed)

    async def aclose(self) -> None:
        await self.inner.aclose()
