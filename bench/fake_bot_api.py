"""A small fake Telegram Bot API for the benchmarks, run as its own process on 127.0.0.1.

    .venv/bin/python -m bench.fake_bot_api PORT

It answers the calls the bots make (`sendMessage`, `setWebhook`, `setMyCommands`, ...) at
`/bot{token}/{method}` with JSON or form bodies, as aiogram sends them, and records the
arrival time of every `sendMessage`. `GET /stats` returns those times (monotonic seconds) so
the benchmark can check the sender's rate; `POST /reset` forgets them. It runs in a process of
its own so that its work is not counted against the server being measured, nor slows the
load generator. The test suite has a fuller fake with fault injection; the benchmark keeps
its own so that `bench/` does not depend on `tests/`.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from typing import Any

from aiohttp import web

BOT_USER = {"id": 42, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


class FakeBotApi:
    def __init__(self) -> None:
        self.sent: list[float] = []
        self.message_ids = itertools.count(1)

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"].lower()
        params = await _params(request)
        if method == "sendmessage":
            self.sent.append(time.monotonic())
            chat_id = int(params.get("chat_id") or 0)
            result: Any = {
                "message_id": next(self.message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private", "first_name": "Bench"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        elif method == "getme":
            result = BOT_USER
        elif method == "editmessagereplymarkup":
            result = True
        else:  # setWebhook, deleteWebhook, setMyCommands, answerCallbackQuery, ...
            result = True
        return web.json_response({"ok": True, "result": result})

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"sent": self.sent, "now": time.monotonic()})

    async def reset(self, _request: web.Request) -> web.Response:
        self.sent = []
        return web.json_response({"ok": True})


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data) if isinstance(data, dict) else {}
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def make_app() -> web.Application:
    fake = FakeBotApi()
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", fake.handle)
    app.router.add_get("/stats", fake.stats)
    app.router.add_post("/reset", fake.reset)
    return app


def main() -> None:
    port = int(sys.argv[1])
    print(json.dumps({"listening": port}), flush=True)
    web.run_app(make_app(), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
