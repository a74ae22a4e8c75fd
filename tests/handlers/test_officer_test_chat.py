"""An officer links their own chat for "kirim uji" once: the dashboard's one-time code, sent to
the bot as "UJI <code>" through the real engine and database, stores the chat on the account;
the code expires and is single-use; what a worker types ("uji coba", "ujian") is never taken for
it; "kirim uji" then goes to that chat; unlinking forgets it; the audit never holds the address."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from dashboard.service.access import Access
from dashboard.service.errors import InvalidInput
from dashboard.service.outreach_office import Outreach
from handlers.engine import Engine
from handlers.flows.officer_test_chat import code_in
from storage.db import Database
from storage.models import AuditLog, Conversation, OutboxMessage, StaffAccount
from storage.officer_test_chats import new_code
from tests.support.backoffice_helpers import CATALOGUE, account, office_for
from tests.support.helpers import Chat, FixedClock

OFFICER_CHAT = "555123456"


@pytest.fixture
async def ani(db: Database, clock: FixedClock) -> Access:
    return await account(office_for(db, clock), "ani")


def telegram(chat: Chat, chat_id: str = OFFICER_CHAT) -> Chat:
    return Chat(chat.db, chat.engine, chat_id=chat_id, channel="telegram")


async def stored(db: Database) -> StaffAccount:
    async with db.reader() as session:
        found = (await session.exec(select(StaffAccount).where(StaffAccount.username == "ani"))).one()
    return found


@pytest.mark.parametrize(
    "text",
    ["uji", "uji coba", "UJI COBA", "ujian", "uji sistem", "uji 123456", "tes uji K7XQM4", "uji K7XQM4 ya"],
)
def test_what_a_worker_writes_is_not_a_code(text: str) -> None:
    assert code_in(text) is None


def test_the_officers_message_is_read_in_any_case() -> None:
    assert code_in("UJI K7XQM4") == "K7XQM4"
    assert code_in("  uji k7xqm4. ") == "K7XQM4"
    assert all(code_in(f"UJI {new_code()}") for _ in range(200))


async def test_linking_once_then_kirim_uji_needs_no_typing(
    db: Database, engine: Engine, chat: Chat, clock: FixedClock, ani: Access
) -> None:
    outreach = Outreach(db, CATALOGUE, clock=clock)
    assert await outreach.test_chat(ani) is None
    with pytest.raises(InvalidInput):
        await outreach.send_test(ani, "Sosialisasi Selasa.")
    link = await outreach.link_code(ani)
    officer = telegram(chat)
    # A worker's "uji coba" and a wrong code link nothing.
    assert "chat uji" not in await officer.say("uji coba")
    assert "tidak berlaku" in await officer.say("UJI ZZ22ZZ")
    assert (await stored(db)).test_chat_id is None
    answer = await officer.say(f"UJI {link.code}")
    assert "sudah terhubung sebagai chat uji akun ani" in answer
    account_now = await stored(db)
    assert (account_now.test_channel, account_now.test_chat_id) == ("telegram", OFFICER_CHAT)
    shown = await outreach.test_chat(ani)
    assert shown is not None and shown.masked.endswith("3456") and OFFICER_CHAT not in shown.masked
    # Single use: the same code from another chat links nothing.
    assert "tidak berlaku" in await telegram(chat, "777").say(f"uji {link.code}")
    assert (await stored(db)).test_chat_id == OFFICER_CHAT

    tested = await outreach.send_test(ani, "Sosialisasi Selasa 10.00.")
    assert tested.channel == "telegram"
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == OFFICER_CHAT))).all()
    assert any(r.payload["text"].startswith("[UJI COBA") for r in rows)

    await outreach.unlink_test_chat(ani)
    assert await outreach.test_chat(ani) is None
    async with db.reader() as session:
        audit = (await session.exec(select(AuditLog).order_by(col(AuditLog.id)))).all()
    actions = [a.action for a in audit]
    assert [a for a in actions if a.startswith(("test_chat", "broadcast_test"))] == [
        "test_chat_code",
        "test_chat_linked",
        "broadcast_test",
        "test_chat_unlinked",
    ]
    assert not [a for a in audit if OFFICER_CHAT in str(a.details)]


async def test_a_code_expires_after_thirty_minutes(
    db: Database, engine: Engine, chat: Chat, clock: FixedClock, ani: Access
) -> None:
    outreach = Outreach(db, CATALOGUE, clock=clock)
    old = await outreach.link_code(ani)
    fresh = await outreach.link_code(ani)  # a new code replaces the old one
    assert "tidak berlaku" in await telegram(chat).say(f"UJI {old.code}")
    clock.advance(minutes=31)
    assert "tidak berlaku" in await telegram(chat).say(f"UJI {fresh.code}")
    assert (await stored(db)).test_chat_id is None
    late = await outreach.link_code(ani)
    clock.advance(minutes=29)
    whatsapp = Chat(chat.db, chat.engine, chat_id="6281234500001", channel="whatsapp")
    assert "sudah terhubung" in await whatsapp.say(f"UJI {late.code}")
    assert (await stored(db)).test_channel == "whatsapp"


async def test_linking_leaves_a_form_in_progress_as_it_was(
    db: Database, engine: Engine, chat: Chat, clock: FixedClock, ani: Access
) -> None:
    officer = telegram(chat)
    await officer.say("daftar")
    link = await Outreach(db, CATALOGUE, clock=clock).link_code(ani)
    await officer.say(f"UJI {link.code}")
    assert (await stored(db)).test_chat_id == OFFICER_CHAT
    async with db.reader() as session:
        (conversation,) = (await session.exec(select(Conversation))).all()
    assert conversation.flow == "enrol"  # the form waits where it was
