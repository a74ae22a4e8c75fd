"""Input that must not be taken as it came: a NIK answer with other words around it (SQL text),
a NUL or a lone surrogate in a name (refused alike on SQLite and PostgreSQL, by the engine for
what a person types and by the storage layer for any value), and spreadsheet cells that start
like a formula after a line break."""

from __future__ import annotations

import pytest
from sqlmodel import select

from dashboard.service.export.styles import neutralise
from storage.db import Database
from storage.models import Contact, Conversation
from storage.text_guard import UnstorableText
from tests.support.helpers import Chat


async def step_of(db: Database) -> str | None:
    async with db.reader() as session:
        row = (await session.exec(select(Conversation))).first()
    return row.step if row else None


@pytest.mark.parametrize(
    "answer",
    [
        "3577014708850001'; DROP TABLE submission;--",
        "select nik from submission where nik = 3577014708850001",
        "3577 0147 0885 0001 UNION SELECT password FROM staff_account",
    ],
)
async def test_a_nik_answer_with_other_words_is_asked_again(db: Database, chat: Chat, answer: str) -> None:
    await chat.say("daftar")
    await chat.say("setuju")
    reply = await chat.say(answer)
    assert "16 angka" in reply and "nama lengkap" not in reply.lower(), reply  # the NIK asked again
    assert await step_of(db) == "nik"
    assert "nama lengkap" in (await chat.say("NIK saya 3577 0147 0885 0001")).lower()


@pytest.mark.parametrize("name", ["Si\x00ti Aminah", "Sit\ud800i Aminah", "Siti\x1b Aminah", "Sit\ufffdi"])
async def test_a_name_with_a_nul_or_a_lone_surrogate_is_refused_on_both_databases(
    db: Database, chat: Chat, name: str
) -> None:
    for line in ("daftar", "setuju", "3577014708850001"):
        await chat.say(line)
    reply = await chat.say(name)
    assert "ketik ulang" in reply, reply
    assert await step_of(db) == "full_name"
    assert "tanggal lahir" in (await chat.say("Siti Aminah")).lower()


@pytest.mark.parametrize("value", ["a\x00b", "Sit\udc00i", "bell\x07"])
async def test_the_storage_layer_refuses_unstorable_text_from_anywhere(db: Database, value: str) -> None:
    with pytest.raises(UnstorableText):
        async with db.transaction() as session:
            session.add(Contact(channel="test", chat_id=value))
    async with db.transaction() as session:  # tabs, line breaks and any alphabet are fine
        session.add(Contact(channel="test", chat_id="Siti\tAminah\n \u00e9 \u0627"))


def test_formula_cells_after_a_line_break_or_spaces_are_neutralised() -> None:
    for dangerous in ("\n=1+2", '\r\n=HYPERLINK("x")', "  =cmd", "\n@SUM(A1)", "\u00a0+1", "\uff1d1+1"):
        assert neutralise(dangerous) == "'" + dangerous, repr(dangerous)
    assert neutralise("Jl. Merpati\n=RT 03") == "Jl. Merpati\n=RT 03"  # not at the start
