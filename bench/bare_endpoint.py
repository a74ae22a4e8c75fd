"""The floor for `bench.compare`: a FastAPI endpoint that only parses the update's JSON.

    .venv/bin/python -m bench.bare_endpoint PORT

Served by uvicorn with the same defaults as `bpu-bot serve`; it does no other work, so its
latency is what the HTTP stack alone costs on this machine.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


@app.post("/webhook/telegram")
async def webhook(request: Request) -> JSONResponse:
    await request.json()
    return JSONResponse({"ok": True})


def main() -> None:
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
