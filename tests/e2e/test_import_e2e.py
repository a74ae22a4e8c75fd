"""An import reaches the workers: `bpu-bot serve` with Telegram and WhatsApp on, against the
fake Bot API and the fake Graph API; an officer posts the branch's file to `POST /api/v1/imports`
(preview, then apply, then the same file again), and the real outbox sender delivers one
message to each worker whose status changed: once, however often the file is imported."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.whatsapp import FERNET_KEY, whatsapp_env
from storage.crypto import Vault
from storage.db import Database
from storage.types import utcnow
from tests.ops.test_cli import bpu_bot, cli_env
from tests.ops.test_web import free_port
from tests.support.import_files import Scenario, scenario

pytestmark = pytest.mark.slow

TEMPLATE = "kabar_pendaftaran"


@pytest.fixture
def fakes() -> Iterator[tuple[FakeTelegram, FakeGraphAPI]]:
    with FakeTelegram() as telegram, FakeGraphAPI() as graph:
        yield telegram, graph


def test_an_import_notifies_each_registered_worker_once(
    tmp_path: Path, db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]
) -> None:
    telegram, graph = fakes

    async def prepare() -> Scenario:
        db = Database(db_url)
        try:
            return await scenario(db, vault=Vault(FERNET_KEY), now=utcnow())
        finally:
            await db.dispose()

    case = asyncio.run(prepare())
    env = (
        cli_env(db_url)
        | whatsapp_env(db_url, graph.url, WHATSAPP_TEMPLATE_NOTIFICATION=TEMPLATE)
        | {"PII_ENCRYPTION_KEY": FERNET_KEY, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": telegram.url}
    )
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
        api = httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

        def post(dry_run: str) -> dict[str, object]:
            files = {"file": ("sistem.csv", case.csv.encode(), "text/csv")}
            answer = api.post("/api/v1/imports", params={"dry_run": dry_run}, files=files)
            assert answer.status_code == 200, answer.text
            body: dict[str, object] = answer.json()
            return body

        preview = post("true")
        assert (preview["rows"], preview["applied"], preview["refused"]) == (14, 4, 10)
        time.sleep(1.0)
        assert telegram.sent() == [] and graph.sent() == []  # a preview tells no one

        applied = post("false")
        assert (applied["applied"], applied["changed"]) == (4, 4)

        def delivered() -> dict[int, list[str]]:
            return {
                chat: [str(c.params["text"]) for c in telegram.sent(chat)] for chat in case.telegram_chats
            }

        texts = telegram.wait_for(lambda: all(delivered().values()) and delivered(), 30, "two notifications")
        assert all("Nomor kepesertaan (KPJ): 210123456" in t[0] for t in texts.values()), texts
        (sent,) = graph.wait_for_sent(1, to=case.whatsapp_ids[0], timeout=30)
        assert "21012345679" in sent.text

        again = post("false")
        assert (again["applied"], again["changed"]) == (4, 0)
        time.sleep(2.0)  # the sender would have sent anything queued by now
        assert {chat: len(t) for chat, t in delivered().items()} == {chat: 1 for chat in case.telegram_chats}
        assert len(graph.sent(case.whatsapp_ids[0])) == 1
        assert len(telegram.sent()) == 2  # nobody else (refused rows, the diproses row) heard anything
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()
