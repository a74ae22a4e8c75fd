"""The WhatsApp outbox sender: the real pywa client against the fake Graph API on 127.0.0.1.

Rows are queued in a real database and delivered by `ChannelSender` with `WhatsAppTransport`,
exactly as `bpu-bot serve` does; the fake records every call and answers with scripted errors.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.channels.base import OutgoingMessage
from bot.channels.whatsapp.transport import WhatsAppTransport
from bot.sender.channel import ChannelSender
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI, graph_error
from fakes.whatsapp import whatsapp_settings
from handlers.types import Priority
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import enqueue, lock_contact
from storage.types import utcnow
from tests.channels.test_sender import run_until_done
from tests.support.helpers import no_pace
from tests.support.whatsapp_helpers import outbox

WORKER = "6281234567890"
OTHER = "6289876543210"
RECENT = timedelta(hours=1)
CLOSED = timedelta(hours=25)


@pytest.fixture
def graph() -> Iterator[FakeGraphAPI]:
    with FakeGraphAPI() as fake:
        yield fake


def make_transport(
    db_url: str, graph: FakeGraphAPI, *, throughput_pause: float = 1.0, **settings: Any
) -> WhatsAppTransport:
    return WhatsAppTransport(
        whatsapp_settings(db_url, graph.url, **settings),
        pair_rate_pause=1.0,
        throughput_pause=throughput_pause,
    )


async def queue(
    db: Database,
    chat_id: str,
    payload: dict[str, Any],
    *,
    priority: int = Priority.REPLY,
    since_inbound: timedelta | None = RECENT,
) -> int:
    async with db.transaction() as session:
        person = await lock_contact(session, "whatsapp", chat_id)
        person.last_inbound_at = utcnow() - since_inbound if since_inbound is not None else None
        row = enqueue(
            session,
            channel="whatsapp",
            chat_id=chat_id,
            contact_id=person.id,
            payload={"options": [], "ask_phone": False, **payload},
            priority=priority,
            now=utcnow(),
        )
        await session.flush()
        return row.id or 0


async def deliver(db: Database, transport: WhatsAppTransport) -> list[OutboxMessage]:
    try:
        await run_until_done(ChannelSender(db, transport), db)
    finally:
        await transport.aclose()
    return await outbox(db)


def options(*labels: str) -> list[dict[str, str]]:
    return [{"id": f"opt.{i}", "label": label} for i, label in enumerate(labels, start=1)]


async def test_a_reply_goes_out_as_reply_buttons_through_the_configured_api_url(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    await queue(db, WORKER, {"text": "Lanjut daftar?", "options": options("Ya", "Tidak")})
    (row,) = await deliver(db, make_transport(db_url, graph))
    (call,) = graph.calls
    assert call.path == f"/v23.0/{meta.PHONE_NUMBER_ID}/messages"
    assert call.headers["Authorization"] == f"Bearer {meta.ACCESS_TOKEN}"
    assert call.headers["Host"] == f"127.0.0.1:{graph.port}"
    assert call.body["messaging_product"] == "whatsapp" and call.body["to"] == WORKER
    assert call.kind == "interactive button" and call.text == "Lanjut daftar?"
    assert call.choices == [("opt.1", "Ya"), ("opt.2", "Tidak")]
    assert call.body["interactive"]["action"]["buttons"][0]["type"] == "reply"
    assert row.status == "sent" and row.platform_message_id == call.message_id


async def test_lists_numbered_text_and_long_texts(db: Database, db_url: str, graph: FakeGraphAPI) -> None:
    await queue(db, WORKER, {"text": "Menu", "options": options(*[f"Pilihan nomor {i}" for i in range(6)])})
    await queue(db, OTHER, {"text": "Kecamatan?", "options": options(*[f"Kec {i}" for i in range(12)])})
    long = "\n\n".join("kata " * 300 for _ in range(4))  # 6000 characters
    await queue(db, "6280000000001", {"text": long, "options": options("Ya", "Tidak")})
    rows = await deliver(db, make_transport(db_url, graph))
    listed = graph.sent(WORKER)[0]
    assert listed.kind == "interactive list"
    assert listed.body["interactive"]["action"]["button"] == "Lihat pilihan"
    assert [title for _, title in listed.choices] == [f"Pilihan nomor {i}" for i in range(6)]
    (numbered,) = graph.sent(OTHER)
    assert numbered.kind == "text" and "12. Kec 11" in numbered.text
    long_calls = graph.sent("6280000000001")
    assert [c.kind for c in long_calls] == ["text", "text", "interactive button"]
    assert all(len(c.text) <= 4096 for c in long_calls) and long_calls[-1].text == "Silakan pilih:"
    assert rows[2].platform_message_id == long_calls[-1].message_id
    assert {r.status for r in rows} == {"sent"}


async def test_closed_window_sends_the_configured_template(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    await queue(
        db,
        WORKER,
        {"text": "Pendaftaran Bapak sudah diproses.\nCek status?", "options": options("Ya")},
        priority=Priority.NOTIFICATION,
        since_inbound=CLOSED,
    )
    await queue(
        db, OTHER, {"text": "Sosialisasi Selasa 22/11"}, priority=Priority.BROADCAST, since_inbound=None
    )
    transport = make_transport(
        db_url,
        graph,
        whatsapp_template_notification="bpu_pemberitahuan",
        whatsapp_template_broadcast="bpu_info_sosialisasi",
        whatsapp_template_broadcast_language="en_US",
    )
    rows = await deliver(db, transport)
    (notification,) = graph.sent(WORKER)
    assert notification.kind == "template"
    assert notification.body["template"] == {
        "name": "bpu_pemberitahuan",
        "language": {"code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Pendaftaran Bapak sudah diproses. · Cek status? · 1. Ya"}
                ],
            }
        ],
    }
    (broadcast,) = graph.sent(OTHER)
    assert broadcast.body["template"]["name"] == "bpu_info_sosialisasi"
    assert broadcast.body["template"]["language"] == {"code": "en_US"}
    assert [r.status for r in rows] == ["sent", "sent"]


async def test_closed_window_without_a_template_waits_marked(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    await queue(db, WORKER, {"text": "Status berubah"}, priority=Priority.NOTIFICATION, since_inbound=CLOSED)
    await queue(db, OTHER, {"text": "Sosialisasi"}, priority=Priority.BROADCAST, since_inbound=CLOSED)
    await queue(db, "6280000000002", {"text": "Halo"}, since_inbound=RECENT)
    rows = await deliver(
        db, make_transport(db_url, graph, whatsapp_template_notification="bpu_pemberitahuan")
    )
    assert [r.status for r in rows] == ["sent", "waiting", "sent"]  # rows in the order queued
    assert "WHATSAPP_TEMPLATE_BROADCAST" in (rows[1].last_error or "")
    assert rows[1].attempt_log[-1]["outcome"] == "wait"
    assert sorted((c.to, c.kind) for c in graph.calls) == [("6280000000002", "text"), (WORKER, "template")]
    rows_none = await outbox(db)
    assert rows_none[1].platform_message_id is None


async def test_error_131047_resends_as_template_or_waits(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    graph.fail(graph_error(131047), times=2, when=lambda body: body["type"] != "template")
    await queue(db, WORKER, {"text": "Data Bapak sudah kami terima."})
    rows = await deliver(
        db, make_transport(db_url, graph, whatsapp_template_notification="bpu_pemberitahuan")
    )
    assert [(c.status, c.kind) for c in graph.calls] == [(400, "text"), (200, "template")]
    assert rows[0].status == "sent" and rows[0].platform_message_id == graph.calls[-1].message_id

    await queue(db, OTHER, {"text": "Data Ibu sudah kami terima."})
    rows = await deliver(db, make_transport(db_url, graph))
    assert rows[-1].status == "waiting" and "no notification template" in (rows[-1].last_error or "")
    assert [c.kind for c in graph.calls[2:]] == ["text"]


async def test_throughput_error_pauses_the_whole_channel(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    graph.fail(graph_error(130429), times=1)
    for index in range(10):
        await queue(db, f"62811000000{index:02d}", {"text": f"pesan {index}"})
    # 5 a second: without the pause the second five would leave about 1 s after the first five.
    rows = await deliver(db, make_transport(db_url, graph, throughput_pause=2.0, whatsapp_per_second=5))
    refused = next(c for c in graph.calls if c.status == 400)
    in_flight = [c for c in graph.calls if c is not refused and c.at - refused.at < 0.5]
    after = [c for c in graph.calls if c is not refused and c.at - refused.at >= 0.5]
    assert len(in_flight) <= 4 and len(after) == 10 - len(in_flight)
    assert min(c.at for c in after) - refused.at >= 2.0  # nobody went out during the pause
    assert {r.status for r in rows} == {"sent"}
    retried = next(r for r in rows if len(r.attempt_log) > 1)
    assert [a["outcome"] for a in retried.attempt_log] == ["retry", "sent"]
    assert "130429" in retried.attempt_log[0]["error"]


async def test_pair_rate_error_holds_back_only_that_person(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    graph.fail(graph_error(131056), times=1, when=lambda body: body["to"] == WORKER)
    await queue(db, WORKER, {"text": "satu"})
    await queue(db, WORKER, {"text": "dua"})
    await queue(db, OTHER, {"text": "tiga"})
    rows = await deliver(db, make_transport(db_url, graph))
    to_worker = [c for c in graph.calls if c.to == WORKER]
    assert [(c.status, c.text) for c in to_worker] == [(400, "satu"), (200, "satu"), (200, "dua")]
    assert to_worker[1].at - to_worker[0].at >= 1.0  # pair_rate_pause
    other = graph.sent(OTHER)[0]
    assert other.at < to_worker[1].at  # the other person was not held back
    assert [r.status for r in rows] == ["sent", "sent", "sent"]


async def test_transient_failures_are_retried_without_repeating_sent_parts(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    graph.fail(graph_error(131000), times=1, when=lambda body: body["type"] == "interactive")
    long = "\n\n".join("kata " * 150 for _ in range(2))
    await queue(db, WORKER, {"text": long, "options": options("Ya", "Tidak")})
    (row,) = await deliver(db, make_transport(db_url, graph))
    assert [(c.status, c.kind) for c in graph.calls] == [
        (200, "text"),
        (500, "interactive button"),
        (200, "interactive button"),
    ]
    assert row.status == "sent" and [a["outcome"] for a in row.attempt_log] == ["retry", "sent"]


async def test_permanent_failures_are_recorded(db: Database, db_url: str, graph: FakeGraphAPI) -> None:
    graph.fail(graph_error(131026), times=1)
    await queue(db, WORKER, {"text": "Halo"})
    (row,) = await deliver(db, make_transport(db_url, graph))
    assert len(graph.calls) == 1
    assert row.status == "failed" and row.last_error and row.last_error.startswith("131026")
    assert row.attempt_log[-1]["outcome"] == "failed"


def _message(chat_id: str = WORKER, attempts: int = 1, last: datetime | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        id=1,
        chat_id=chat_id,
        payload={"text": "Halo", "options": []},
        priority=0,
        attempts=attempts,
        contact_last_inbound_at=last or utcnow() - RECENT,
    )


async def test_error_classification(db_url: str, graph: FakeGraphAPI) -> None:
    transport = make_transport(db_url, graph)
    try:
        for code, kind in [(190, "retry"), (131016, "retry"), (100, "failed")]:
            graph.fail(graph_error(code))
            result = await transport.send(_message(), no_pace)
            assert (result.kind, result.slow_down) == (kind, False), code
        graph.fail(graph_error(130429))
        third = await transport.send(_message(attempts=3), no_pace)
        assert third.kind == "retry" and third.slow_down and third.retry_after == 4.0  # doubles per attempt
    finally:
        await transport.aclose()
    graph.stop()  # nothing listens any more: a network failure is retried
    unreachable = make_transport(db_url, graph.start())
    graph.stop()
    try:
        result = await unreachable.send(_message(), no_pace)
        assert result.kind == "retry" and "network" in (result.error or "")
    finally:
        await unreachable.aclose()


def test_rate_limits_come_from_the_settings(db_url: str, graph: FakeGraphAPI) -> None:
    default = make_transport(db_url, graph)
    assert default.limits.overall_per_second == 80 and default.limits.per_chat_interval == 0
    tuned = make_transport(db_url, graph, whatsapp_per_second=10, whatsapp_per_chat_interval=0.5)
    assert (tuned.limits.overall_per_second, tuned.limits.per_chat_interval) == (10, 0.5)


async def test_the_overall_rate_is_kept(db: Database, db_url: str, graph: FakeGraphAPI) -> None:
    for index in range(25):
        await queue(db, f"62812000000{index:02d}", {"text": f"m{index}"})
    await deliver(db, make_transport(db_url, graph, whatsapp_per_second=10))
    times = sorted(c.at for c in graph.calls)
    assert len(times) == 25
    # No second holds more than 10 requests.
    gaps = [b - a for a, b in zip(times, itertools.islice(times, 10, None), strict=False)]
    assert min(gaps) >= 1.0, sorted(gaps)[:5]


async def test_an_officers_invitation_uses_the_agent_template(
    db: Database, db_url: str, graph: FakeGraphAPI
) -> None:
    """WHATSAPP_TEMPLATE_AGENT carries an officer's invitation to reply (dashboard.service.inbox);
    without it the notification template does."""
    invite = {"text": "Petugas ingin membalas pesan Bapak/Ibu.", "template": "agent"}
    await queue(db, WORKER, invite, priority=Priority.NOTIFICATION, since_inbound=CLOSED)
    await queue(db, OTHER, invite, priority=Priority.NOTIFICATION, since_inbound=CLOSED)
    both = make_transport(
        db_url,
        graph,
        whatsapp_template_notification="bpu_pemberitahuan",
        whatsapp_template_agent="bpu_petugas_membalas",
        whatsapp_template_agent_language="en_US",
    )
    await deliver(db, both)
    sent = graph.sent(WORKER) + graph.sent(OTHER)
    assert [(c.body["template"]["name"], c.body["template"]["language"]["code"]) for c in sent] == [
        ("bpu_petugas_membalas", "en_US"),
        ("bpu_petugas_membalas", "en_US"),
    ]
    await queue(db, WORKER, invite, priority=Priority.NOTIFICATION, since_inbound=CLOSED)
    await deliver(db, make_transport(db_url, graph, whatsapp_template_notification="bpu_pemberitahuan"))
    assert graph.sent(WORKER)[-1].body["template"]["name"] == "bpu_pemberitahuan"
