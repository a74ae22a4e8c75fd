"""Two `bpu-bot serve` processes on one PostgreSQL database, behind one webhook address.

Webhooks land on either process. Only the elected sender (a PostgreSQL advisory lock per
channel, see bot/leader.py) talks to Telegram, so the configured overall rate holds for the
two together: the fake Bot API never sees more than that in any one-second window. Killing
the sending process loses nothing: the platform re-sends what it did not get 200 for to the
other process, which takes the sending over within seconds. Prints its figures.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from fakes.telegram_api import FakeTelegram
from tests.conftest import PG_URL
from tests.support.broadcast_harness import max_in_window
from tests.support.storm import Platform, Server, answers, outcome, wait_until_delivered

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PG_URL, reason="several processes share a PostgreSQL database (TEST_DATABASE_URL)"
    ),
]

PEOPLE = 30
RATE = 10


def leader_of(servers: list[Server]) -> Server | None:
    for server in servers:
        try:
            health = httpx.get(f"{server.base}/healthz", timeout=5).json()
        except httpx.TransportError:
            continue
        if health.get("sender", {}).get("telegram") == "sending":
            return server
    return None


async def test_two_processes_share_the_work_and_survive_losing_the_sender(
    tmp_path: Path, db_url: str
) -> None:
    steps = len(answers(0))
    total = PEOPLE * steps
    with FakeTelegram() as fake:
        env = {"TELEGRAM_OVERALL_PER_SECOND": str(RATE)}
        servers = [Server(tmp_path, db_url, fake, extra_env=env) for _ in range(2)]
        await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
        platform = Platform(servers)
        try:
            leader = await asyncio.to_thread(leader_of, servers)
            assert leader is not None, "no process sends"
            async with httpx.AsyncClient(timeout=60) as client:
                people = asyncio.gather(
                    *(platform.person(client, p, 2_000_000 + p * 100) for p in range(PEOPLE))
                )
                while platform.acknowledged < total // 2:  # noqa: ASYNC110 - a counter, polled
                    await asyncio.sleep(0.05)
                sends_before = len([c for c in fake.calls("sendMessage") if c.status == 200])
                killed_at = time.monotonic()
                await asyncio.to_thread(leader.kill)
                await people
            await wait_until_delivered(db_url, within=300)
            survivor = next(s for s in servers if s is not leader)
            assert await asyncio.to_thread(leader_of, [survivor]) is survivor
        finally:
            for server in servers:
                server.stop()
        result = await outcome(db_url, fake)
        calls = fake.calls("sendMessage")

    attempts = [c.at for c in calls]
    after_kill = [c.at for c in calls if c.at > killed_at and c.status == 200]
    handover = (min(after_kill) - killed_at) if after_kill else float("inf")
    print(
        f"\ntwo processes (PostgreSQL): {PEOPLE} people, {total} updates over both webhooks, "
        f"{platform.redelivered} redeliveries; the sending process killed after {sends_before} replies, "
        f"the other sent its first {handover:.1f} s later; {result.submissions} submissions, "
        f"{result.processed} updates applied, {result.rows} replies, {result.undelivered_rows} undelivered, "
        f"{result.duplicates} duplicates ({result.cut_off} rows, {result.cut_off_calls} calls "
        "in flight at the kill); "
        f"busiest second at the fake: {max_in_window(attempts)} requests (limit {RATE})"
    )
    assert result.submissions == result.distinct_niks == PEOPLE
    assert result.processed == total
    assert result.undelivered_rows == 0
    assert 0 <= result.duplicates <= result.cut_off_calls
    assert max_in_window(attempts) <= RATE
    assert handover <= 10.0
