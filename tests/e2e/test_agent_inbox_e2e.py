"""The agent inbox end to end: `bpu-bot serve` with Telegram and WhatsApp on, against the fake
Bot API and the fake Graph API. An officer writes through the JSON API over HTTP; the fakes
receive it; the worker answers; the officer sees the answer; the bot stays silent in that chat
meanwhile, and answers again once the officer closes the conversation. On WhatsApp outside the
24-hour window the invitation goes in WHATSAPP_TEMPLATE_AGENT first, and the officer's message
follows as free text when the worker answers. (The quiet-time hand-back: tests/dashboard/
test_agent_inbox.py, with the clock moved.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from fakes.telegram_user import text_update
from tests.support.served import service_env, serving, sign_up_on_each_channel

pytestmark = pytest.mark.slow

TELEGRAM_CHAT = "8801"
WHATSAPP_ID = "6281298760002"
AGENT_TEMPLATE = "bpu_petugas_membalas"


def test_an_officer_and_a_worker_talk_while_the_bot_steps_aside(
    tmp_path: Path, db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]
) -> None:
    telegram, graph = fakes
    on_telegram, on_whatsapp = sign_up_on_each_channel(db_url, TELEGRAM_CHAT, WHATSAPP_ID)
    env = service_env(db_url, telegram, graph, WHATSAPP_TEMPLATE_AGENT=AGENT_TEMPLATE)
    with serving(tmp_path, env, telegram) as api:

        def on_telegram_chat() -> list[str]:
            return [str(c.params["text"]) for c in telegram.sent(int(TELEGRAM_CHAT))]

        def conversation(reference: str) -> list[tuple[str, str, str | None]]:
            answer = api.get(f"/api/v1/submissions/{reference}/conversation")
            assert answer.status_code == 200, answer.text
            return [(i["direction"], i["text"], i["by"]) for i in answer.json()["items"]]

        # Telegram: the officer writes; the fake Bot API receives the hand-over note and the text.
        sent = api.post(f"/api/v1/submissions/{on_telegram}/messages", json={"text": "Halo Ibu, saya Ani."})
        assert sent.status_code == 202 and sent.json()["status"] == "queued", sent.text
        texts = telegram.wait_for(
            lambda: len(on_telegram_chat()) >= 2 and on_telegram_chat(), 30, "the reply"
        )
        assert "terhubung dengan petugas" in texts[0] and texts[1] == "Halo Ibu, saya Ani."

        # The worker answers; the officer sees it; the bot says nothing.
        telegram.push(text_update(telegram.next_update_id(), int(TELEGRAM_CHAT), "berapa iurannya bu?"))
        telegram.wait_for(
            lambda: ("in", "berapa iurannya bu?", None) in conversation(on_telegram), 30, "the answer"
        )
        inbox = api.get("/api/v1/inbox").json()["items"]
        assert [(i["reference"], i["officer"]) for i in inbox] == [(on_telegram, "ani")]
        time.sleep(1.0)
        assert len(on_telegram_chat()) == 2  # the bot stayed silent

        # Closed: the worker is told, and the bot answers the next message.
        closed = api.post(f"/api/v1/submissions/{on_telegram}/conversation/close")
        assert closed.status_code == 200 and closed.json() == {"closed": True}
        telegram.wait_for(lambda: len(on_telegram_chat()) >= 3, 30, "the bot-is-back note")
        assert "kembali dilayani bot" in on_telegram_chat()[2]
        telegram.push(text_update(telegram.next_update_id(), int(TELEGRAM_CHAT), "menu"))
        telegram.wait_for(lambda: len(on_telegram_chat()) >= 4, 30, "the bot's menu")

        # WhatsApp, two days after the worker's last message: the invitation template first.
        sent = api.post(
            f"/api/v1/submissions/{on_whatsapp}/messages", json={"text": "Bapak, KTP-nya perlu dicek."}
        )
        assert sent.status_code == 202 and sent.json()["status"] == "awaiting_reply", sent.text
        (invite,) = graph.wait_for_sent(1, to=WHATSAPP_ID, timeout=30)
        assert invite.kind == "template" and invite.body["template"]["name"] == AGENT_TEMPLATE
        assert "balas pesan ini" in invite.text
        raw, headers = meta.encode(meta.from_person(WHATSAPP_ID, meta.text(WHATSAPP_ID, "ya, ada apa?")))
        assert api.post("/webhook/whatsapp", content=raw, headers=headers).status_code == 200
        calls = graph.wait_for_sent(3, to=WHATSAPP_ID, timeout=30)
        assert [c.kind for c in calls[1:]] == ["text", "text"]
        assert "terhubung dengan petugas" in calls[1].text and calls[2].text == "Bapak, KTP-nya perlu dicek."
        assert ("in", "ya, ada apa?", None) in conversation(on_whatsapp)
        time.sleep(1.0)
        assert len(graph.sent(WHATSAPP_ID)) == 3  # and no answer from the bot
