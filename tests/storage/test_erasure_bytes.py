"""`hapus data` reaches the bytes: after the erasure commits, the summary the bot sent (name,
phone, address in clear) is in neither SQLite file, the main one nor its WAL (secure_delete
zeroes freed pages, and a checkpoint empties the WAL); on PostgreSQL no row holds it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from bot.retention import apply_retention
from storage.db import Database, sqlite_file
from tests.handlers.test_enrol_flow import HAPPY, run
from tests.support.helpers import Chat, FixedClock

ADDRESS = "Jl. Merpati 12 RT 03/RW 05"


def raw_bytes(db: Database) -> bytes:
    path = sqlite_file(db.url)
    assert path is not None
    files = [path, path.with_name(path.name + "-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def rows_mentioning(db: Database, needle: str) -> int:
    async with db.reader() as session:
        query = text("SELECT count(*) FROM outbox WHERE CAST(payload AS TEXT) LIKE :n")
        return int((await session.exec(query, params={"n": f"%{needle}%"})).one()[0])  # type: ignore[call-overload]


async def test_hapus_data_leaves_nothing_in_the_files_or_rows(db: Database, chat: Chat) -> None:
    await run(chat, HAPPY)
    await chat.say("kirim")
    assert await rows_mentioning(db, ADDRESS) >= 1
    if db.is_sqlite:
        assert ADDRESS.encode() in raw_bytes(db)  # in clear before the erasure
    await chat.say("hapus data")
    await chat.say("ya")
    assert await rows_mentioning(db, ADDRESS) == 0
    if db.is_sqlite:
        assert ADDRESS.encode() not in raw_bytes(db)


async def everything_sent(db: Database) -> None:
    """What the sender does once the platform took the messages (no sender runs in this test)."""
    async with db.transaction() as session:
        await session.exec(text("UPDATE outbox SET status = 'sent' WHERE status = 'pending'"))  # type: ignore[call-overload]


async def rows_with_chat_id(db: Database, chat_id: str) -> dict[str, int]:
    counts = {}
    async with db.reader() as session:
        for table in ("contact", "outbox", "form_token"):
            query = text(f"SELECT count(*) FROM {table} WHERE chat_id = :c")
            counts[table] = int((await session.exec(query, params={"c": chat_id})).one()[0])  # type: ignore[call-overload]
        # The message ids received from this chat (Telegram's carry the chat id).
        query = text(
            "SELECT count(*) FROM processed_inbound JOIN contact ON contact.id = processed_inbound.contact_id"
            " WHERE contact.chat_id = :c OR contact.erased_at IS NOT NULL"
        )
        counts["processed_inbound"] = int((await session.exec(query, params={"c": chat_id})).one()[0])  # type: ignore[call-overload]
    return counts


async def test_a_day_after_hapus_data_the_number_is_gone_too(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    """The chat id (on WhatsApp, the number) stays while the confirmation goes out; the next
    retention run after a day replaces it with a tombstone everywhere and forgets the message ids."""
    await run(chat, HAPPY)
    await chat.say("kirim")
    await chat.say("hapus data")
    await chat.say("ya")
    erased_at = clock.now
    before = await rows_with_chat_id(db, chat.chat_id)
    assert before["contact"] == 1 and before["processed_inbound"] > 0  # the confirmation still goes out
    # Not while the confirmation waits to be delivered, even days later.
    await apply_retention(db, erased_at + timedelta(days=2), draft_expiry_days=7, trigger="command")
    assert (await rows_with_chat_id(db, chat.chat_id))["contact"] == 1
    await everything_sent(db)
    # Not within the day WhatsApp may still report a failed delivery.
    await apply_retention(db, erased_at + timedelta(hours=12), draft_expiry_days=7, trigger="command")
    assert (await rows_with_chat_id(db, chat.chat_id))["outbox"] >= 1
    counts = await apply_retention(db, erased_at + timedelta(days=2), draft_expiry_days=7, trigger="command")
    assert counts["numbers_tombstoned"] == 1
    assert await rows_with_chat_id(db, chat.chat_id) == dict.fromkeys(
        ("contact", "outbox", "form_token", "processed_inbound"), 0
    )
    if db.is_sqlite:
        assert chat.chat_id.encode() not in raw_bytes(db)
    # The person can still start again: a new message is a new contact with nothing of the old one.
    reply = await chat.say("halo")
    assert "Halo" in reply


async def test_someone_who_wrote_again_after_erasing_keeps_their_address(
    db: Database, chat: Chat, clock: FixedClock
) -> None:
    await run(chat, HAPPY)
    await chat.say("hapus data")
    await chat.say("ya")
    clock.advance(hours=3)
    await chat.say("halo")  # back: a live contact again
    await everything_sent(db)
    counts = await apply_retention(db, clock.now + timedelta(days=2), draft_expiry_days=7, trigger="command")
    assert counts["numbers_tombstoned"] == 0
    assert (await rows_with_chat_id(db, chat.chat_id))["contact"] == 1
