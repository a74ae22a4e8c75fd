"""The whole service against both fake platforms: in the test's own process on a settable clock
(`served`: webhooks through httpx's ASGI transport, the sender run by the test with
`service.deliver`), or as `bpu-bot serve` in its own process (`serving`)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bot.channels.whatsapp.transport import WhatsAppTransport
from bot.sender import OutboxSender
from bot.service import Service, build_service
from bot.settings import load_settings
from bot.web import create_app
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.whatsapp import FERNET_KEY, whatsapp_env
from storage.crypto import Vault
from storage.db import Database
from tests.ops.test_cli import bpu_bot, cli_env
from tests.ops.test_web import free_port
from tests.support.backoffice_helpers import seed
from tests.support.helpers import FixedClock


@asynccontextmanager
async def served(
    db_url: str, telegram: FakeTelegram, graph: FakeGraphAPI, clock: FixedClock, *, secret: str
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """The service with Telegram (webhook secret `secret`) and WhatsApp (the notification
    template `bpu_pemberitahuan`), everything that reads the time reading `clock`."""
    settings = load_settings(
        database_url=db_url,
        secret_key="test",
        pii_encryption_key=FERNET_KEY,
        telegram_bot_token=TOKEN,
        telegram_api_url=telegram.url,
        telegram_webhook_url="https://bot.example/webhook/telegram",
        telegram_webhook_secret=secret,
        whatsapp_phone_number_id=meta.PHONE_NUMBER_ID,
        whatsapp_access_token=meta.ACCESS_TOKEN,
        whatsapp_app_secret=meta.APP_SECRET,
        whatsapp_api_url=graph.url,
        whatsapp_template_notification="bpu_pemberitahuan",
    )
    service = build_service(settings)
    service.engine.clock = clock
    for transport in service.transports:
        if isinstance(transport, WhatsAppTransport):
            transport.clock = clock
    service.sender = OutboxSender(service.db, service.transports, windows=service.windows, clock=clock)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(service)), base_url="http://t"
        ) as client:
            yield service, client
    finally:
        await service.close()


def service_env(db_url: str, telegram: FakeTelegram, graph: FakeGraphAPI, **whatsapp: str) -> dict[str, str]:
    """What `bpu-bot` needs to run against both fake platforms (Telegram by polling)."""
    return (
        cli_env(db_url)
        | whatsapp_env(db_url, graph.url, **whatsapp)
        | {"PII_ENCRYPTION_KEY": FERNET_KEY, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram.url}
    )


@contextmanager
def serving(
    tmp_path: Path, env: dict[str, str], telegram: FakeTelegram, *, timeout: float = 10
) -> Iterator[httpx.Client]:
    """`bpu-bot serve` in its own process, and an API client with the token of an officer of
    KC-MADIUN (`ani`, made with `bpu-bot staff add`); the service's log must hold no traceback."""
    added = bpu_bot(
        "staff", "add", "ani", "--branch", "KC-MADIUN", "--role", "staff",
        cwd=tmp_path, env=env, stdin="kopi-tubruk-pagi-hari\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = bpu_bot("staff", "token", "ani", cwd=tmp_path, env=env).stdout.strip()
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env | {"PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        telegram.wait_for(lambda: telegram.calls("getUpdates"), 30, "the bot to poll")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=timeout) as api:
            yield api
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()


def sign_up_on_each_channel(db_url: str, telegram_chat: str, whatsapp_id: str) -> tuple[str, str]:
    """A sign-up from a Telegram chat (now) and one from a WhatsApp number (two days ago, so its
    24-hour window has closed); their references."""
    vault = Vault(FERNET_KEY)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)

    async def both() -> tuple[str, str]:
        db = Database(db_url)
        try:
            on_telegram = await seed(db, channel="telegram", chat_id=telegram_chat, vault=vault)
            on_whatsapp = await seed(
                db, channel="whatsapp", chat_id=whatsapp_id, created_at=two_days_ago, vault=vault
            )
            return on_telegram, on_whatsapp
        finally:
            await db.dispose()

    return asyncio.run(both())
