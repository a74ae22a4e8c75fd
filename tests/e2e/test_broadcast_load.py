"""A broadcast to 10,000 contacts through the real sender, aiogram and pywa, against the fakes.

The clock starts at 20:30 WIB on a Monday (21:30 WITA, 22:30 WIT): only Kota Madiun's contacts
may receive it; the sender is killed a third of the way through them and a new one resumes; at
21:00 WIB everything waits for the morning; at 07:30 WIB the rest goes out. Each eligible contact
gets it exactly once (the few rows in flight at the kill are never repeated: at most once, and
shown as "interrupted"), nobody else gets it, and neither fake ever sees more than the
configured rate in any one-second window.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from sqlmodel import col, func, select

from dashboard.service import broadcasts
from dashboard.service.broadcasts import Audience
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import FakeTelegram
from handlers.localtime import QuietHours
from storage.db import Database
from storage.models import OutboxMessage
from storage.outbox import INTERRUPTED
from storage.outreach_models import BroadcastRecipient
from tests.support.backoffice_helpers import CATALOGUE
from tests.support.broadcast_harness import Senders, attempted, max_in_window, received, script_fakes, seed
from tests.support.helpers import FixedClock

pytestmark = pytest.mark.slow

QUIET = QuietHours.parse("21:00-07:00")
RATE = 60.0
CONTACTS = 10_000


async def open_rows(db: Database, broadcast_id: int) -> int:
    async with db.reader() as session:
        query = (
            select(func.count())
            .select_from(OutboxMessage)
            .join(BroadcastRecipient, col(BroadcastRecipient.outbox_id) == col(OutboxMessage.id))
            .where(
                BroadcastRecipient.broadcast_id == broadcast_id,
                col(OutboxMessage.status).in_(["pending", "sending"]),
            )
        )
        return int((await session.exec(query)).one())


async def wait_until(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def test_ten_thousand_contacts(
    db: Database, db_url: str, fakes: tuple[FakeTelegram, FakeGraphAPI]
) -> None:
    telegram, graph = fakes
    clock = FixedClock(datetime(2026, 11, 23, 13, 30, tzinfo=UTC))
    population = await seed(db, CONTACTS, clock())
    script_fakes(telegram, graph, population)
    wib = {key for key in population.eligible if population.zone[key] == "WIB"}

    broadcast = await broadcasts.create_broadcast(
        db,
        text="Sosialisasi BPJS Ketenagakerjaan Selasa 24/11 pukul 09.00 di Pendapa Kartoharjo.",
        audience=Audience(),
        actor="admin",
        branch=None,
        now=clock(),
        channels=CATALOGUE,
    )
    assert broadcast.id is not None
    await broadcasts.tick(db, clock(), QUIET)
    progress = await broadcasts.progress(db, broadcast.id, None)
    assert progress is not None and progress.recipients == len(population.eligible)

    # 20:30 WIB: Kota Madiun's contacts only; the sender process is killed a third of the way.
    senders = Senders(db_url, telegram, graph, RATE)
    senders.start(clock())

    async def a_third() -> bool:
        return len(received(telegram, graph)) >= len(wib) // 3

    await wait_until(a_third, 300, "a third of Kota Madiun")
    senders.kill()
    await asyncio.sleep(0.5)
    got_before_kill = received(telegram, graph)
    strays = {key: population.zone.get(key) for key in set(got_before_kill) - wib}
    assert not strays, f"someone in quiet hours got it: {list(strays.items())[:5]}"

    # A new sender resumes at 21:00 WIB: everyone waits for the morning, nothing goes out.
    clock.now = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    await broadcasts.tick(db, clock(), QUIET)
    calls_at_quiet = len(attempted_calls(telegram, graph))
    senders.start(clock())
    await asyncio.sleep(4)
    senders.stop()
    assert len(attempted_calls(telegram, graph)) == calls_at_quiet, "sent during quiet hours"

    # 07:30 WIB next morning (08:30 WITA, 09:30 WIT): the rest goes out.
    clock.now = datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    await broadcasts.tick(db, clock(), QUIET)
    senders.start(clock())

    async def finished() -> bool:
        return await open_rows(db, broadcast.id or 0) == 0

    await wait_until(finished, 900, "the broadcast to finish")
    output = senders.stop()
    await broadcasts.tick(db, clock(), QUIET)

    got = received(telegram, graph)
    async with db.reader() as session:
        interrupted = set(
            (
                await session.exec(
                    select(OutboxMessage.channel, OutboxMessage.chat_id).where(
                        OutboxMessage.last_error == INTERRUPTED
                    )
                )
            ).all()
        )
    undeliverable = {("telegram", c) for c in population.blocked} | {
        ("whatsapp", c) for c in population.not_on_whatsapp
    }
    assert max(got.values()) == 1, "someone got it twice"
    assert not attempted(telegram, graph) & population.ineligible, "an opted-out or stopped contact got it"
    expected = population.eligible - undeliverable
    assert expected - interrupted <= set(got), "an eligible contact never got it"
    assert set(got) <= expected
    # Rows in flight at the kill (sent or about to be, their outcome not yet written): never
    # repeated, and no more than the rate window lets be in flight (per channel).
    assert len(interrupted) <= 2 * int(RATE), output
    assert interrupted <= wib

    # Never over the rate in any one-second window, on either platform.
    assert max_in_window([c.at for c in telegram.calls("sendMessage")]) <= RATE
    assert max_in_window([c.at for c in list(graph.calls)]) <= RATE

    final = await broadcasts.progress(db, broadcast.id, None)
    assert final is not None and final.status == "done" and final.queued == 0
    # Progress counts what the sender knows: an interrupted row (it may have arrived) is not "sent".
    assert final.sent == len(set(got) - interrupted)
    assert final.failures.get("interrupted", 0) == len(interrupted)
    blocked = {("telegram", c) for c in population.blocked} - interrupted
    missing = {("whatsapp", c) for c in population.not_on_whatsapp} - interrupted
    assert final.failures.get("blocked") == len(blocked) and final.failures.get("not_on_platform") == len(
        missing
    )
    assert final.sent + final.failed == final.recipients


def attempted_calls(telegram: FakeTelegram, graph: FakeGraphAPI) -> list[object]:
    return [*telegram.calls("sendMessage"), *list(graph.calls)]
