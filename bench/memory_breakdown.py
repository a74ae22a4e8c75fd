"""Where the idle memory of `bpu-bot serve` goes: RSS after each library and each start-up step.

    .venv/bin/python -m bench.memory_breakdown

A fresh interpreter (one per run, so nothing is loaded before it) imports the libraries the
service loads in an order where each one's own dependencies come before it, printing the RSS
each adds, then wires the service with the Telegram channel as `bot.server.run_server` does
(`build_service`, `create_app`) on a new SQLite file and prints what those add (asyncpg is
not loaded on SQLite: 3 MB more on PostgreSQL). A library's figure is what importing it added
on top of the ones above it: its code objects, the pydantic models it builds at import, and the
pages of its compiled extensions that loading touched.
The total is near `bench.idle_rss`'s (which also counts uvicorn serving and the background
tasks). It asserts nothing; run it to see what a change of dependencies costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STEPS = (
    ("interpreter and asyncio", "import asyncio"),
    # `import pydantic` alone loads a stub (its names are imported on first use): declaring
    # a model is what loads pydantic itself, which fastapi, aiogram and the settings all do.
    ("pydantic (with a model declared)", "from pydantic import BaseModel\nclass _M(BaseModel):\n    a: int"),
    ("starlette (with anyio)", "import starlette.applications, starlette.routing"),
    ("fastapi (its own, OpenAPI models)", "import fastapi"),
    ("sqlalchemy with its ORM", "import sqlalchemy.orm, sqlalchemy.ext.asyncio"),
    ("sqlmodel, aiosqlite", "import sqlmodel, aiosqlite"),
    ("aiohttp", "import aiohttp"),
    ("cryptography (Fernet)", "import cryptography.fernet"),
    ("uvicorn, jinja2, prometheus_client", "import uvicorn, jinja2, prometheus_client"),
    ("the command line (typer)", "import bot.cli"),
    ("lokal, rapidfuzz, symspellpy (what people type)", "import lokal, rapidfuzz, symspellpy"),
    (
        "SQLAlchemy's PostgreSQL dialect (partial indexes, upserts)",
        "import sqlalchemy.dialects.sqlite, sqlalchemy.dialects.postgresql",
    ),
    ("the tables", "import storage.models"),
    ("the rest of the service's modules", "import bot.server"),
    ("aiogram, its models built on first use", "import bot.channels.telegram"),
    (
        "build_service (Telegram)",
        "from bot.service import build_service; from bot.settings import load_settings; "
        "service = build_service(load_settings())",
    ),
    ("create_app", "from bot.web import create_app; create_app(service)"),
)

SCRIPT = """
import json, sys
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20
steps = json.loads(sys.argv[1])
before = rss()
namespace = {}
for label, code in steps:
    exec(code, namespace)
    now = rss()
    print(json.dumps([label, now - before, now]), flush=True)
    before = now
"""


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bpu-memory-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
        env.update(
            DATABASE_URL=f"sqlite+aiosqlite:///{Path(folder) / 'bot.db'}",
            PII_ENCRYPTION_KEY="yb9Ux3ZKkCvfV7MLL1T_Pyvdr_Hr2b5rZMh_BhWdFJM=",
            SECRET_KEY="bench",
            TELEGRAM_BOT_TOKEN="123456789:bench-token",
            TELEGRAM_WEBHOOK_URL="https://bench.example/webhook/telegram",
            TELEGRAM_WEBHOOK_SECRET="bench_secret",
            PYTHONPATH=str(ROOT),
            LOG_LEVEL="WARNING",
        )
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, json.dumps(STEPS)],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    print(f"{'step':58s} {'adds MB':>8s} {'RSS MB':>8s}")
    for line in result.stdout.splitlines():
        label, added, total = json.loads(line)
        print(f"{label:58s} {added:8.1f} {total:8.1f}")


if __name__ == "__main__":
    main()
