"""The worker's conversation as real people type it (issue 12): misreadings, traps and honesty.

Every test is a conversation through the real engine and database.
"""

from __future__ import annotations

from sqlmodel import select

from bot.channels.console import format_payload
from storage.db import Database
from storage.models import Submission
from tests.helpers import Chat
from tests.test_enrol_flow import HAPPY, run


async def only_submission(db: Database) -> Submission:
    async with db.reader() as session:
        return (await session.exec(select(Submission))).one()


async def test_a_typed_number_at_the_months_list_is_the_number_of_months(chat: Chat, db: Database) -> None:
    await run(chat, HAPPY[:11])
    assert "Ketik jumlah bulannya (1, 3, 6, 12)" in chat.last.text
    console = format_payload(chat.last.to_payload())
    assert "  3. 3 bulan" in console and "  12. 12 bulan" in console  # the list shows what to type
    await chat.send("3")  # third on screen is "6 bulan" nowhere: 3 means three months
    await chat.send("lewati")
    assert "Masa bayar: 3 bulan sekaligus" in chat.last.text
    await chat.send("ubah")
    await chat.send(option_id="enrol.edit.period", kind="option")
    assert "hanya 1, 3, 6, 12 bulan" in await chat.say("2")  # no 2-month period: asked again
    await chat.send("12")
    assert "Masa bayar: 12 bulan sekaligus" in chat.last.text
    await chat.say("kirim")
    assert (await only_submission(db)).payment_months == 12
