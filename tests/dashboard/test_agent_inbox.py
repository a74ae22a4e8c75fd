"""The agent inbox at the service level, on the real engine and a real database (SQLite, or
PostgreSQL with TEST_DATABASE_URL): an officer reads the worker's chat (audited, NIK and phone
masked), writes in it through the outbox, the bot steps aside there (but still answers "stop"
and "hapus data"), the worker's answers wait in the inbox with unread counts, and the bot takes
the chat back when the officer closes it or after AGENT_HANDBACK_MINUTES. WhatsApp outside its
24-hour window: an invitation in the template first, the message once the worker answers.
Another branch's reference or request is NotFound, like an unknown one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from dashboard.service import Backoffice, Forbidden, InvalidInput, NotFound
from dashboard.service.inbox import AgentInbox
from dashboard.service.inbox.reply import AGENT_TEMPLATE, AWAITING_REPLY, QUEUED
from dashboard.service.inbox.transcript import mask_text
from dashboard.service.team import TeamOffice
from handlers.engine import Engine
from storage.chat_models import AgentHandoff, ChatMessage
from storage.db import Database
from storage.models import AuditLog, CallAttempt, OutboxMessage, Submission
from tests.support.backoffice_helpers import MADURA, T0, account, office_for, seed
from tests.support.helpers import Chat, FixedClock


@pytest.fixture
def office(db: Database, clock: FixedClock) -> Backoffice:
    clock.now = T0 + timedelta(hours=1)
    return office_for(db, clock)


@pytest.fixture
def inbox(office: Backoffice) -> AgentInbox:
    return AgentInbox.of(office)


async def worker(db: Database, engine: Engine, *, channel: str = "telegram", n: int = 1) -> tuple[str, Chat]:
    reference = await seed(db, n=n, channel=channel, created_at=T0)
    return reference, Chat(db, engine, chat_id=f"{channel}-{n}", channel=channel)


async def outbox_rows(db: Database) -> list[OutboxMessage]:
    async with db.reader() as session:
        return list((await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all())


async def audit_actions(db: Database) -> list[str]:
    async with db.reader() as session:
        return list((await session.exec(select(AuditLog.action).order_by(col(AuditLog.id)))).all())


def test_masking() -> None:
    masked = mask_text("NIK saya 3577014708850001, hp 0812-3456-7890 atau +6281234567890")
    assert masked == "NIK saya 357701******0001, hp 0812-****-890 atau 0812-****-890"


async def test_conversation_reply_handoff_and_close(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox, clock: FixedClock
) -> None:
    reference, chat = await worker(db, engine)
    rina = await account(office, "rina")
    await chat.send("halo, NIK saya 3577014708850001")
    seen = await inbox.conversation(rina, reference)
    assert [line.direction for line in seen.items] == ["in", "out"]
    assert seen.items[0].text == "halo, NIK saya 357701******0001" and seen.items[0].by is None
    assert seen.held_by is None and seen.reachable and seen.channel == "Telegram"
    async with db.reader() as session:
        stored = (await session.exec(select(ChatMessage))).all()
    assert all("3577014708850001" not in m.text_enc for m in stored)  # encrypted at rest
    assert "conversation_viewed" in await audit_actions(db)

    sent = await inbox.send(rina, reference, "Selamat pagi, saya Rina dari BPJS Ketenagakerjaan.")
    assert sent.status == QUEUED
    rows = await outbox_rows(db)
    assert rows[-1].id == sent.id and rows[-1].status == "pending"
    assert "terhubung dengan petugas" in rows[-2].payload["text"]
    assert rows[-1].payload["text"].startswith("Selamat pagi, saya Rina")

    # The bot steps aside: the worker's message waits for the officer, unread.
    assert await chat.send("berapa iurannya bu?") == []
    listed = await inbox.inbox(rina)
    assert [(i.reference, i.unread, i.officer) for i in listed.items] == [(reference, 1, "rina")]
    assert listed.items[0].waiting_since == clock() and listed.waiting == 1
    # ...but still answers "stop".
    assert "tidak akan menerima pengumuman" in "\n".join(r.text for r in await chat.send("stop"))

    seen = await inbox.conversation(rina, reference)
    assert seen.held_by == "rina"
    assert [(line.direction, line.by) for line in seen.items][-4:] == [
        ("out", "rina"),
        ("in", None),
        ("in", None),
        ("out", None),
    ]
    assert (await inbox.inbox(rina)).items[0].unread == 0  # read now

    assert await inbox.close(rina, reference) is True
    assert "kembali dilayani bot" in (await outbox_rows(db))[-1].payload["text"]
    assert (await inbox.inbox(rina)).items == []
    assert await chat.send("halo") != []  # the bot answers again
    assert await inbox.close(rina, reference) is False
    assert {"agent_message", "agent_closed"} <= set(await audit_actions(db))


async def test_the_bot_takes_over_after_the_quiet_time(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox, clock: FixedClock
) -> None:
    reference, chat = await worker(db, engine)
    rina = await account(office, "rina")
    await inbox.send(rina, reference, "Halo Bapak, ada yang bisa kami bantu?")
    clock.advance(minutes=59)
    assert await chat.send("iya bu") == []
    clock.advance(minutes=2)  # 61 minutes after the officer's message
    said = "\n".join(r.text for r in await chat.send("menu"))
    assert "kembali dilayani bot" in said and len(said) > 200  # told, then answered
    async with db.reader() as session:
        hold = await session.get(AgentHandoff, (await session.exec(select(AgentHandoff.contact_id))).one())
    assert hold is not None and hold.close_reason == "quiet"


async def test_hapus_data_is_answered_during_a_hold_and_erases_the_chat(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    reference, chat = await worker(db, engine)
    rina = await account(office, "rina")
    await chat.send("halo")
    await inbox.send(rina, reference, "Selamat pagi.")
    assert "Yakin" in "\n".join(r.text for r in await chat.send("hapus data"))
    assert "sudah kami hapus" in "\n".join(r.text for r in await chat.send("ya"))
    async with db.reader() as session:
        assert (await session.exec(select(ChatMessage))).all() == []
        hold = (await session.exec(select(AgentHandoff))).one()
    assert hold.closed_at is not None and hold.close_reason == "erased"
    seen = await inbox.conversation(rina, reference)
    assert seen.items == [] and not seen.reachable
    with pytest.raises(Exception, match="tidak bisa dihubungi"):
        await inbox.send(rina, reference, "Halo?")


async def test_whatsapp_outside_the_window_invites_first(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox, clock: FixedClock
) -> None:
    reference, chat = await worker(db, engine, channel="whatsapp", n=7)
    rina = await account(office, "rina")
    clock.advance(days=2)  # the worker last wrote at T0
    sent = await inbox.send(rina, reference, "Bapak, data KTP-nya perlu kami cek.")
    assert sent.status == AWAITING_REPLY
    rows = await outbox_rows(db)
    held, invite = [r for r in rows if r.status == "waiting"], [r for r in rows if r.status == "pending"]
    assert [r.payload["text"][:5] for r in held][-1] == "Bapak"
    assert len(invite) == 1 and invite[0].payload["template"] == AGENT_TEMPLATE
    assert "balas pesan ini" in invite[0].payload["text"]
    again = await inbox.send(rina, reference, "Mohon dibalas, Pak.")  # no second invitation
    assert again.status == AWAITING_REPLY
    assert [r.status for r in await outbox_rows(db)].count("pending") == 1
    assert await chat.send("ya") == []  # the officer holds the chat; the held message goes now
    assert all(r.status == "pending" for r in await outbox_rows(db))
    # Inside the window, free text at once.
    assert (await inbox.send(rina, reference, "Terima kasih.")).status == QUEUED


async def test_another_branch_is_not_found(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    reference, chat = await worker(db, engine)
    await chat.send("halo")
    other = await account(office, "budi", where=MADURA)
    rina = await account(office, "rina")
    await inbox.send(rina, reference, "Halo.")
    for call in (
        inbox.conversation(other, reference),
        inbox.send(other, reference, "Halo"),
        inbox.close(other, reference),
        inbox.conversation(other, "ZZZZ-ZZZZ"),
        inbox.run_macro(other, reference, "tersambung"),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await inbox.inbox(other)).items == []
    assert len((await inbox.inbox(rina)).items) == 1
    assert (await inbox.inbox(rina, officer="siti")).items == []


async def test_macro_records_the_call_moves_the_status_and_writes(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    reference, _chat = await worker(db, engine)
    rina = await account(office, "rina")
    sent = await inbox.run_macro(rina, reference, "tersambung")
    assert sent.status == QUEUED
    async with db.reader() as session:
        submission = (await session.exec(select(Submission))).one()
        call = (await session.exec(select(CallAttempt))).one()
    assert submission.status == "dihubungi" and call.outcome == "berhasil"
    assert call.note == "Sudah ditelepon dan tersambung."
    rows = await outbox_rows(db)
    assert rows[-1].payload["text"].startswith("Terima kasih, Bapak/Ibu, sudah menerima")
    assert len(rows) == 2 and "terhubung dengan petugas" in rows[0].payload["text"]  # no status notice
    with pytest.raises(InvalidInput):
        await inbox.run_macro(rina, reference, "tidak_ada")


async def test_saved_replies_per_branch(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    reference, _chat = await worker(db, engine)
    boss = await account(office, "sari", role="supervisor")
    rina = await account(office, "rina")
    madura_boss = await account(office, "dewi", role="supervisor", where=MADURA)
    mine = await inbox.save_reply(boss, title="Jam buka", text="Kantor buka Senin-Jumat 08.00-15.00.")
    theirs = await inbox.save_reply(madura_boss, title="Alamat", text="Jl. Soekarno Hatta.")
    with pytest.raises(Forbidden):
        await inbox.save_reply(rina, title="x", text="y")
    assert [r.title for r in await inbox.saved_replies(rina)] == ["Jam buka"]
    await inbox.send_saved(rina, reference, mine.id)
    assert (await outbox_rows(db))[-1].payload["text"] == "Kantor buka Senin-Jumat 08.00-15.00."
    with pytest.raises(NotFound):
        await inbox.send_saved(rina, reference, theirs.id)
    await inbox.save_reply(boss, title="Jam buka", text="Senin-Kamis.", reply_id=mine.id)
    assert [r.text for r in await inbox.saved_replies(rina)] == ["Senin-Kamis."]
    await inbox.remove_reply(boss, mine.id)
    assert await inbox.saved_replies(rina) == []


async def test_a_callback_requests_conversation(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    """The callback page's conversation: the same chat, named by the request's id."""
    from storage.models import CallbackRequest, Contact

    _reference, chat = await worker(db, engine, n=3)
    await chat.send("minta ditelepon")
    async with db.transaction() as session:
        contact = (await session.exec(select(Contact))).one()
        request = CallbackRequest(contact_id=contact.id, channel="telegram", branch_code="KC-MADIUN")
        session.add(request)
        await session.flush()
        request_id = request.id
    assert request_id is not None
    rina = await account(office, "rina")
    seen = await inbox.conversation(rina, request_id)
    assert (
        seen.callback_id == request_id and seen.reference is None and seen.items[0].text == "minta ditelepon"
    )
    await inbox.send(rina, request_id, "Ibu, kapan bisa kami telepon?")
    assert [(i.reference, i.callback_id) for i in (await inbox.inbox(rina)).items] == [(None, request_id)]
    other = await account(office, "budi", where=MADURA)
    for call in (
        inbox.conversation(other, request_id),
        inbox.send(other, request_id, "x"),
        inbox.close(other, 987654),
    ):
        with pytest.raises(NotFound):
            await call
    assert await inbox.close(rina, request_id) is True


async def test_disabling_an_officer_hands_their_chats_on(
    db: Database, engine: Engine, office: Backoffice, inbox: AgentInbox
) -> None:
    """To a named colleague the hold moves; without one it lapses: the bot answers the worker's
    next message and says first that it is back. Audited per chat."""
    team = TeamOffice(office.db, office.clock)
    admin = await account(office, "ani.admin", "admin", None)
    rina = await account(office, "rina")
    await account(office, "dewi")
    first, first_chat = await worker(db, engine, n=1)
    second, second_chat = await worker(db, engine, n=2)
    await inbox.send(rina, first, "Halo Bapak, ada yang bisa kami bantu?")
    moved = await team.disable(admin, "rina", hand_to="dewi")
    assert moved.chats == 1
    async with db.reader() as session:
        (hold,) = (await session.exec(select(AgentHandoff))).all()
    assert hold.officer == "dewi" and hold.closed_at is None
    assert await first_chat.send("iya bu") == []  # still held, now by dewi

    dewi = await account(office, "dewi2")
    await inbox.send(dewi, second, "Selamat siang, Ibu.")
    moved = await team.disable(admin, "dewi2")
    assert moved.chats == 1 and moved.to is None
    said = "\n".join(r.text for r in await second_chat.send("menu"))
    assert "kembali dilayani bot" in said
    assert (await audit_actions(db)).count("chat_handover") == 2
