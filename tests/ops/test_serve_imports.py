"""What `bpu-bot serve` loads before its first message: nothing it only needs later.

The idle memory of the service is mostly the code and models it imports (see bench/compare.py,
which reads it). A fresh interpreter wires the service as `bot.server.run_server` does, with
the Telegram channel, after importing the command line as `bpu-bot serve` does, and then checks
what was imported and built: Alembic (`bpu-bot db upgrade` alone), pywa (only when WhatsApp is
configured; 20 MB of idle memory otherwise), httpx with the rich and pygments its command line
pulls in (the WhatsApp lookups), the holiday calendars (the first callback), the export and
QR-code libraries are left for first use, and aiogram's Bot API models and methods are built on
first use, not at import (`bot/channels/telegram/aiogram_lean.py`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]

NOT_AT_START = ("alembic", "pywa", "pywa_async", "httpx", "rich", "pygments", "holidays", "openpyxl", "segno")

SCRIPT = """
import json, sys
import bot.cli  # noqa: F401  (`bpu-bot serve` runs through the command line)
from bot.server import run_server  # noqa: F401  (what `serve` imports)
from bot.service import build_service
from bot.settings import load_settings
from bot.web import create_app

service = build_service(load_settings())
create_app(service)
service.start_sender()
service.start_scheduler()
from aiogram.methods import GetUpdates, SendMessage
from aiogram.types import Message, Update
print(json.dumps({
    "channels": [channel.name for channel in service.channels],
    "modules": sorted({name.split(".")[0] for name in sys.modules}),
    "built": [model.__name__ for model in (GetUpdates, SendMessage, Message, Update)
              if model.__pydantic_complete__],
}))
"""


def _serve_imports(tmp_path: Path) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        PII_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SECRET_KEY="test-secret",
        TELEGRAM_BOT_TOKEN="123456789:test-token",
        TELEGRAM_WEBHOOK_URL="https://bot.example/webhook/telegram",
        TELEGRAM_WEBHOOK_SECRET="test_secret",
        PYTHONPATH=str(ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return answer


def test_serve_loads_only_what_an_idle_service_needs(tmp_path: Path) -> None:
    seen = _serve_imports(tmp_path)
    assert seen["channels"] == ["telegram"]
    assert "aiogram" in seen["modules"]  # the check sees the channel's imports
    assert [name for name in NOT_AT_START if name in seen["modules"]] == []
    assert seen["built"] == []
