"""A fake Telegram Bot API server for the tests, on 127.0.0.1 with a free port.

It serves `/bot{token}/{method}` like api.telegram.org (JSON, urlencoded or multipart bodies,
as aiogram sends them), implements the methods the bot calls, queues updates for
`getUpdates` (long polling with a timeout), delivers them to a registered webhook with its
secret, records every call with its monotonic and wall-clock time, and answers 429 (with
`parameters.retry_after`) or 500 on demand: for the next N calls, every Nth call, or a
fraction of calls; and answers late on demand (`delay`: the call takes effect at once, as on a
real server, but its answer comes after the client may have given up). It runs its own event
loop in a thread, so both plain and async tests
can drive it, and its timestamps are not delayed by the test's own work.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiohttp import web

TOKEN = "123456789:TEST-fake-token_for-the-suite"
BOT_ID = 123456789

_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "entities",
}
_INT_FIELDS = {"offset", "limit", "timeout", "message_id", "max_connections", "cache_time"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float
    """time.monotonic() when the request arrived."""
    wall: float
    """time.time() when the request arrived."""
    status: int
    result: Any = None
    """What a successful call returned (sendMessage: the message, with its message_id)."""


@dataclass
class Fault:
    status: int
    methods: frozenset[str]
    retry_after: int = 1
    times: int | None = None
    """Fail this many matching calls, then stop (None: no count limit)."""
    every: int | None = None
    """Fail every `every`-th matching call."""
    fraction: float | None = None
    """Fail this share of matching calls, chosen by a seeded random generator."""
    rng: random.Random = field(default_factory=lambda: random.Random(4))
    seen: int = 0
    seconds: float = 0.0
    """For a delay: how late the answer comes."""

    def hits(self, method: str) -> bool:
        if method not in self.methods or self.times == 0:
            return False
        self.seen += 1
        if self.every is not None and self.seen % self.every != 0:
            return False
        if self.fraction is not None and self.rng.random() >= self.fraction:
            return False
        if self.times is not None:
            self.times -= 1
        return True


@dataclass
class _Queued:
    update: dict[str, Any]
    handed_out: bool = False


class FakeTelegram:
    def __init__(self, token: str = TOKEN, username: str = "bpu_test_bot") -> None:
        self.token = token
        self.username = username
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._faults: list[Fault] = []
        self._delays: list[Fault] = []
        self._blocked: set[int] = set()
        self._queue: list[_Queued] = []
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(500_000)
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.commands: list[dict[str, Any]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._news: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = False

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> FakeTelegram:
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), name="fake-telegram", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Telegram API did not start")
        return self

    def _serve(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            self._news = asyncio.Event()
            app = web.Application(client_max_size=50 * 1024 * 1024)
            app.router.add_post("/bot{token}/{method}", self._handle)
            app.router.add_get("/bot{token}/{method}", self._handle)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

        loop.run_until_complete(boot())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup() if self._runner else asyncio.sleep(0))
        loop.close()

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._closing = True
            self._loop.call_soon_threadsafe(self._wake)  # pending long polls answer now
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The value for TELEGRAM_API_URL."""
        return f"http://127.0.0.1:{self.port}"

    # --- what a test controls --------------------------------------------------------------

    def next_update_id(self) -> int:
        with self._lock:
            return next(self._update_ids)

    def push(self, update: dict[str, Any]) -> None:
        """Queues an update for getUpdates."""
        assert self._loop is not None
        with self._lock:
            self._queue.append(_Queued(update))
        self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        assert self._news is not None
        self._news.set()

    def deliver_webhook(self, update: dict[str, Any], secret: str | None = None) -> httpx.Response:
        """POSTs an update to the registered webhook, as Telegram does, with the registered secret."""
        assert self.webhook_url, "no webhook is registered"
        token = self.webhook_secret if secret is None else secret
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        return httpx.post(self.webhook_url, json=update, headers=headers, timeout=30)

    def fail(
        self,
        status: int,
        *,
        times: int | None = None,
        every: int | None = None,
        fraction: float | None = None,
        retry_after: int = 1,
        methods: Iterable[str] = ("sendMessage",),
        seed: int = 4,
    ) -> Fault:
        """Answers `status` (429 or 500) to matching calls; see Fault."""
        fault = Fault(status, frozenset(methods), retry_after, times, every, fraction, random.Random(seed))
        with self._lock:
            self._faults.append(fault)
        return fault

    def delay(
        self, seconds: float, *, times: int | None = None, methods: Iterable[str] = ("sendMessage",)
    ) -> Fault:
        """Answers matching calls `seconds` late (the next `times` of them; None: all), after
        they took effect."""
        fault = Fault(200, frozenset(methods), retry_after=0, times=times, seconds=seconds)
        with self._lock:
            self._delays.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delays.clear()

    def block(self, chat_id: int) -> None:
        """The person blocked the bot: sendMessage to them answers 403."""
        with self._lock:
            self._blocked.add(int(chat_id))

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def sent(self, chat_id: int | None = None) -> list[Call]:
        """sendMessage calls that succeeded (to one chat, or all), in arrival order."""
        return [
            c
            for c in self.calls("sendMessage")
            if c.status == 200 and (chat_id is None or int(c.params["chat_id"]) == int(chat_id))
        ]

    def queued(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by a getUpdates offset past them."""
        with self._lock:
            return [q.update for q in self._queue]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        with self._lock:
            return self._messages.get((int(chat_id), int(message_id)))

    def wait_for(self, condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        """Polls `condition` until it returns something truthy; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                methods = [f"{c.method}:{c.status}" for c in self.calls()][-20:]
                raise AssertionError(f"timed out waiting for {what or condition}; last calls: {methods}")
            time.sleep(0.02)

    # --- the Bot API -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        arrived, wall = time.monotonic(), time.time()
        method = request.match_info["method"]
        params = await self._params(request)
        if request.match_info["token"] != self.token:
            return self._record(method, params, arrived, wall, 401, _error(401, "Unauthorized"))
        fault = self._fault(method)
        if fault is not None:
            if fault.status == 429:
                body = _error(
                    429,
                    f"Too Many Requests: retry after {fault.retry_after}",
                    parameters={"retry_after": fault.retry_after},
                )
            else:
                body = _error(fault.status, "Internal Server Error")
            return self._record(method, params, arrived, wall, fault.status, body)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return self._record(method, params, arrived, wall, 404, _error(404, "Not Found"))
        if method.lower() == "getupdates" and not self.webhook_url:
            # Recorded when it arrives (a test may wait for the bot to poll), answered when news comes.
            self._record(method, params, arrived, wall, 200, None)
            return web.json_response(await self._long_poll(params))
        status, body = handler(params)
        answer = self._record(method, params, arrived, wall, status, body)
        with self._lock:
            late = next((d for d in self._delays if d.hits(method)), None)
        if late is not None:
            await asyncio.sleep(late.seconds)
        return answer

    def _record(
        self, method: str, params: dict[str, Any], at: float, wall: float, status: int, body: Any
    ) -> web.Response:
        result = body.get("result") if isinstance(body, dict) and body.get("ok") else None
        with self._lock:
            self._calls.append(Call(method, params, at, wall, status, result))
        return web.json_response(body, status=status)

    def _fault(self, method: str) -> Fault | None:
        with self._lock:
            return next((f for f in self._faults if f.hits(method)), None)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            data = await request.json()
            return dict(data) if isinstance(data, dict) else {}
        form = await request.post()
        params: dict[str, Any] = dict(request.query)
        for key, raw in form.items():
            if isinstance(raw, web.FileField):
                params[key] = {"file": raw.filename}
                continue
            value = raw if isinstance(raw, str) else bytes(raw).decode()
            if key in _JSON_FIELDS:
                params[key] = json.loads(value)
            elif key in _INT_FIELDS or (key == "chat_id" and value.lstrip("-").isdigit()):
                params[key] = int(value)
            elif value in ("true", "false"):
                params[key] = value == "true"
            else:
                params[key] = value
        return params

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "BPU Test", "username": self.username}

    def _m_getme(self, _params: dict[str, Any]) -> tuple[int, Any]:
        return 200, _ok(self._bot_user())

    def _m_getupdates(self, _params: dict[str, Any]) -> tuple[int, Any]:
        """Only reached while a webhook is set: Telegram refuses polling then."""
        return 409, _error(409, "Conflict: can't use getUpdates method while webhook is active")

    async def _long_poll(self, params: dict[str, Any]) -> Any:
        assert self._news is not None
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        while True:
            self._news.clear()
            with self._lock:
                if offset is not None:
                    self._queue = [
                        q for q in self._queue if not (q.handed_out and q.update["update_id"] < offset)
                    ]
                ready = self._queue[:limit]
                for item in ready:
                    item.handed_out = True
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                return _ok([item.update for item in ready])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._news.wait(), timeout=remaining)

    def _m_sendmessage(self, params: dict[str, Any]) -> tuple[int, Any]:
        chat_id, text = params.get("chat_id"), params.get("text")
        if chat_id is None:
            return 400, _error(400, "Bad Request: chat_id is empty")
        if not text:
            return 400, _error(400, "Bad Request: message text is empty")
        if len(str(text).encode("utf-16-le")) // 2 > 4096:
            return 400, _error(400, "Bad Request: message is too long")
        if int(chat_id) in self._blocked:
            return 403, _error(403, "Forbidden: bot was blocked by the user")
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": int(chat_id), "type": "private", "first_name": "Test"},
            "from": self._bot_user(),
            "text": text,
        }
        markup = params.get("reply_markup")
        stored = {**message, "reply_markup": markup} if markup else message
        with self._lock:
            self._messages[(int(chat_id), message["message_id"])] = stored
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return 200, _ok(message)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> tuple[int, Any]:
        key = (int(params.get("chat_id", 0)), int(params.get("message_id", 0)))
        markup = params.get("reply_markup")
        with self._lock:
            message = self._messages.get(key)
            if message is None:
                return 400, _error(400, "Bad Request: message to edit not found")
            current = message.get("reply_markup")
            if current and "inline_keyboard" not in current:
                # The Bot API edits only messages without reply_markup or with an inline one; a
                # message sent with a reply keyboard or its removal "can't be edited".
                return 400, _error(400, "Bad Request: message can't be edited")
            current_inline = current if current and "inline_keyboard" in current else None
            if current_inline == markup:
                return 400, _error(400, "Bad Request: message is not modified")
            message["reply_markup"] = markup
            answer = {k: v for k, v in message.items() if k != "reply_markup"}
        if markup:
            answer["reply_markup"] = markup
        return 200, _ok(answer)

    def _m_answercallbackquery(self, params: dict[str, Any]) -> tuple[int, Any]:
        if not params.get("callback_query_id"):
            return 400, _error(400, "Bad Request: query is too old and response timeout expired")
        return 200, _ok(True)

    def _m_setwebhook(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook_url = params.get("url") or None
        self.webhook_secret = params.get("secret_token") or None
        return 200, _ok(True)

    def _m_deletewebhook(self, _params: dict[str, Any]) -> tuple[int, Any]:
        self.webhook_url = self.webhook_secret = None
        return 200, _ok(True)

    def _m_getwebhookinfo(self, _params: dict[str, Any]) -> tuple[int, Any]:
        return 200, _ok(
            {"url": self.webhook_url or "", "has_custom_certificate": False, "pending_update_count": 0}
        )

    def _m_setmycommands(self, params: dict[str, Any]) -> tuple[int, Any]:
        self.commands = list(params.get("commands") or [])
        return 200, _ok(True)


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(code: int, description: str, **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description, **extra}
