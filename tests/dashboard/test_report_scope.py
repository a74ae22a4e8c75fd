"""Every aggregate follows the viewer's scope, the form's drop-off report included (a branch
sees the drafts of the people who live in its regencies, a partner those of its regencies), and
a partner's hidden small counts cannot be undone by subtracting from a total."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.service import Access, Backoffice
from dashboard.service.suppression import COMPLEMENT, PRIMARY, protect
from handlers.engine import Engine
from storage.db import Database
from tests.support.backoffice_helpers import MADURA, T0, account, office_for
from tests.support.helpers import Chat, FixedClock

MADIUN_START = ["daftar", "setuju", "3577014708850001", "Siti Aminah", "7 agustus 1985", "081234567890", "ya"]
MADURA_START = ["daftar", "setuju", "3526011203900002", "Budi Santoso", "12 maret 1990", "081234567891", "ya"]


@pytest.fixture
def office(db: Database) -> Backoffice:
    return office_for(db, FixedClock(T0))


async def test_the_drop_off_report_follows_the_scope(
    db: Database, engine: Engine, office: Backoffice
) -> None:
    for n, lines in enumerate([MADIUN_START, MADIUN_START, MADURA_START]):
        chat = Chat(db, engine, chat_id=f"p{n}")
        for line in lines:
            await chat.say(line)
    await Chat(db, engine, chat_id="early").say("daftar")  # stopped before saying where: nobody's
    madiun = await account(office, "eka", "supervisor")
    madura = await account(office, "made", "supervisor", MADURA)
    partner = await account(office, "dinas", "mitra", None, regencies=["35.26"])
    boss = await account(office, "root", "admin", None)

    async def reached(who: Access, step: str = "consent") -> object:
        report = await office.reports(who, date_from=date(2026, 11, 1), date_to=date(2026, 11, 30))
        rows = {row[0]: row[1] for row in report.table("drop_off").rows}
        return rows.get(step, 0)

    assert await reached(madiun) == 2
    assert await reached(madura) == 1
    assert await reached(partner) == PRIMARY  # one person: hidden, and with nothing to subtract from
    assert await reached(boss) == 4


def test_a_hidden_count_cannot_be_read_off_a_total() -> None:
    (column,) = protect([[7, 3, 30, 0]])
    assert column == [COMPLEMENT, PRIMARY, 30, 0]
    shown = [v for v in column if isinstance(v, int)]
    assert 40 - sum(shown) == 10  # the total (known from another table) gives back only 7 + 3 together
    (everything,) = protect([[6, 2, 30]])  # 6 + 2 would be too few to hide in: the 30 goes too
    assert everything == [COMPLEMENT, PRIMARY, COMPLEMENT]
    (two_small,) = protect([[1, 1, 40, 9]])
    assert two_small == [PRIMARY, PRIMARY, 40, COMPLEMENT]  # 1 + 1 alone would be read as "two ones"
    assert protect([[12, 30, 0]]) == [[12, 30, 0]]
