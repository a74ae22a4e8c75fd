"""An httpx transport that carries the requests over aiohttp.

pywa builds its Graph API requests with httpx. httpx's own transport (httpcore on anyio) cost
the sender more CPU per WhatsApp message than everything else it does for one: in a profile of
a broadcast at 200 messages/s it was over half of the sending process's time, where aiogram's
aiohttp requests to Telegram were a tenth. The requests are the same; aiohttp (already used by
aiogram) writes and reads them for a fraction of the CPU.

Timeouts come from httpx's request extensions; aiohttp's errors become httpx's, so callers
catch `httpx.HTTPError` as before.
"""

from __future__ import annotations

from collections.abc import Iterable

import aiohttp
import httpx

# Set by aiohttp from the body it is given, or meaningless once the body is read whole.
_DROPPED_HEADERS = {"content-length", "transfer-encoding"}


def _kept(raw: Iterable[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    pairs = ((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw)
    return [(k, v) for k, v in pairs if k.lower() not in _DROPPED_HEADERS]


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one aiohttp session of at most `connections` connections."""

    def __init__(self, connections: int) -> None:
        self.connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Made on first use: an aiohttp session belongs to the running event loop.
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.connections, limit_per_host=self.connections)
            self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("pool"),
            sock_connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        headers = _kept(request.headers.raw)
        body = await request.aread()
        try:
            async with self._client().request(
                request.method,
                str(request.url),
                headers=headers,
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                content = await response.read()
                return httpx.Response(
                    status_code=response.status,
                    headers=_kept(response.raw_headers),
                    content=content,
                    request=request,
                )
        except TimeoutError as exc:
            raise httpx.TimeoutException(f"timed out: {exc}", request=request) from exc
        except aiohttp.ClientConnectorError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc
        except aiohttp.ClientError as exc:
            raise httpx.NetworkError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
