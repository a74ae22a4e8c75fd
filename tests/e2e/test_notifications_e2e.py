"""A status change reaches the worker: `bpu-bot serve` with Telegram and WhatsApp on, against
the fake Bot API and the fake Graph API; an officer changes statuses through the JSON API over
HTTP, and the real outbox sender delivers the notifications (WhatsApp outside the 24-hour
window through the notification template)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from tests.support.served import service_env, serving, sign_up_on_each_channel

pytestmark = pytest.mark.slow

TELEGRAM_CHAT = "8701"
WHATSAPP_ID = "6281298760001"
TEMPLATE = "kabar_pendaftaran"


def test_status_changes_arrive_on_telegram_and_whatsapp(
    tmp_path: Path, db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]
) -> None:
    telegram, graph = fakes
    on_telegram, on_whatsapp = sign_up_on_each_channel(db_url, TELEGRAM_CHAT, WHATSAPP_ID)
    env = service_env(db_url, telegram, graph, WHATSAPP_TEMPLATE_NOTIFICATION=TEMPLATE)
    with serving(tmp_path, env, telegram) as api:

        def change(reference: str, status: str, **fields: str) -> None:
            answer = api.post(f"/api/v1/submissions/{reference}/status", json={"status": status, **fields})
            assert answer.status_code == 200, answer.text

        for step in ("diproses", "dihubungi"):
            change(on_telegram, step)
        change(on_telegram, "terdaftar", kpj="21012345678")
        change(on_whatsapp, "ditolak", reason="data_tidak_sesuai", note="Nama beda dengan KTP")

        def delivered() -> list[str]:
            return [str(c.params["text"]) for c in telegram.sent(int(TELEGRAM_CHAT))]

        texts = telegram.wait_for(lambda: len(delivered()) >= 2 and delivered(), 30, "two notifications")
        assert "mencoba menghubungi" in texts[0] and on_telegram in texts[0]
        assert "Nomor kepesertaan (KPJ): 21012345678" in texts[1] and "Bayar misalnya di" in texts[1]

        (sent,) = graph.wait_for_sent(1, to=WHATSAPP_ID, timeout=30)
        assert sent.kind == "template" and sent.body["template"]["name"] == TEMPLATE
        assert "tidak sama dengan data KTP" in sent.text and "Nama beda" not in sent.text
        time.sleep(0.5)
        assert len(delivered()) == 2  # "diproses" tells the worker nothing
