"""An import reaches the workers: `bpu-bot serve` with Telegram and WhatsApp on, against the
fake Bot API and the fake Graph API; an officer posts the branch's file to `POST /api/v1/imports`
(preview, then apply, then the same file again), and the real outbox sender delivers one
message to each worker whose status changed: once, however often the file is imported."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from fakes.whatsapp import FERNET_KEY
from storage.crypto import Vault
from storage.db import Database
from storage.types import utcnow
from tests.support.import_files import Scenario, scenario
from tests.support.served import service_env, serving

pytestmark = pytest.mark.slow

TEMPLATE = "kabar_pendaftaran"


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
    env = service_env(db_url, telegram, graph, WHATSAPP_TEMPLATE_NOTIFICATION=TEMPLATE)
    with serving(tmp_path, env, telegram, timeout=30) as api:

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
