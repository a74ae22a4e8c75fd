"""The worker's notice for `dihubungi` follows the latest call's outcome: after a call that
reached them, thanks and what comes next; after an unanswered one, "we tried to reach you"."""

from __future__ import annotations

import json

from sqlmodel import col, select

from storage.db import Database
from storage.models import OutboxMessage
from tests.support.backoffice_helpers import account, office_for, seed
from tests.support.helpers import FixedClock


async def notices(db: Database) -> list[str]:
    async with db.reader() as session:
        rows = (await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()
    return [json.loads(r.payload)["text"] if isinstance(r.payload, str) else r.payload["text"] for r in rows]


async def test_the_notice_follows_the_call(db: Database, clock: FixedClock) -> None:
    office = office_for(db, clock)
    ani = await account(office, "ani")
    reached, missed = await seed(db), await seed(db)
    for reference, outcome in ((reached, "berhasil"), (missed, "tidak_diangkat")):
        await office.assign(ani, reference)
        await office.record_call(ani, reference, outcome)
        await office.change_status(ani, reference, "dihubungi")
    spoken, tried = (await notices(db))[-2:]
    assert reached in spoken and "Terima kasih sudah berbicara dengan petugas" in spoken
    assert "mencoba menghubungi" not in spoken and "terlewat" not in spoken
    assert "\n\n" not in spoken
    assert missed in tried and "mencoba menghubungi" in tried and "terlewat" in tried
