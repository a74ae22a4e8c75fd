"""The storm: 300 people enrol at once over the Telegram webhook of a real `bpu-bot serve`,
which is killed with SIGKILL five times at random moments and started again; the platform
re-sends every update not answered 200. Runs on SQLite, and on PostgreSQL with
TEST_DATABASE_URL. Prints its figures.

Ends with: every person's submission exactly once, every answer applied, every reply
delivered, duplicates no more than the calls of the replies in flight at the kills (a reply
in two parts goes again whole), and the replies held
at a kill delivered within 10 s of the restart (the first of each chat; a chat's later ones
follow at Telegram's one message per second per chat). Those 10 s are time the service was up:
a kill may come a second after the restart before it, and a reply held at both waits through
the second restart too.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fakes.telegram_api import FakeTelegram
from tests.support.storm import Platform, Server, answers, held_rows, outcome, wait_until_delivered

PEOPLE = 300
KILLS = 5


@dataclass(frozen=True)
class Kill:
    acknowledged: int
    killed: float
    ready: float
    held: list[tuple[int, str]]


def time_up(kills: list[Kill], sent: float) -> float:
    """Seconds the service was up from the first kill's restart until `sent`: a reply held at
    one kill and still not sent at the next (which may come a second after the restart) waited
    through that restart too, which is not time it could have been sent in."""
    first, later = kills[0], kills[1:]
    down = sum(k.ready - k.killed for k in later if k.killed < sent)
    return sent - first.ready - down


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        (12.0, 2.0),  # before the next kill: the plain time since the restart
        (19.0, 6.0),  # after the next restart (down 15-18): those 3 s are left out
        (31.0, 15.0),  # after two more restarts (down 15-18 and 25-28)
    ],
)
def test_time_up_leaves_out_later_restarts(sent: float, expected: float) -> None:
    kills = [Kill(0, 5.0, 10.0, []), Kill(0, 15.0, 18.0, []), Kill(0, 25.0, 28.0, [])]
    assert time_up(kills, sent) == expected


@pytest.mark.slow
async def test_storm_of_enrolments_through_five_kills(tmp_path: Path, db_url: str) -> None:
    seed = random.randrange(1_000_000)
    rng = random.Random(seed)
    steps = len(answers(0))
    total = PEOPLE * steps
    # Kill points: when that many updates have been answered 200, spread over the storm.
    thresholds = sorted(rng.sample(range(total // 20, total * 9 // 10), KILLS))
    with FakeTelegram() as fake:
        # Telegram's 1 message per second per chat; the overall rate of a bot with paid
        # broadcasts (the fake has no limit of its own) so the storm ends in minutes.
        server = Server(tmp_path, db_url, fake, extra_env={"TELEGRAM_OVERALL_PER_SECOND": "300"})
        platform = Platform([server])
        kills: list[Kill] = []
        started = time.monotonic()
        await asyncio.to_thread(server.start)
        try:
            limits = httpx.Limits(max_connections=PEOPLE, max_keepalive_connections=PEOPLE)
            async with httpx.AsyncClient(timeout=60, limits=limits) as client:
                people = asyncio.gather(
                    *(platform.person(client, p, 1_000_000 + p * 100) for p in range(PEOPLE))
                )

                async def killer() -> None:
                    for threshold in thresholds:
                        while platform.acknowledged < threshold:  # noqa: ASYNC110 - a counter, polled
                            await asyncio.sleep(0.02)
                        killed_at = await asyncio.to_thread(server.kill)
                        held = await held_rows(db_url)
                        ready_at = await asyncio.to_thread(server.start)
                        kills.append(Kill(threshold, killed_at, ready_at, held))

                await asyncio.gather(people, killer())
            # Each chat's replies leave at one per second (Telegram's limit per chat), so the
            # backlog after the storm takes a while; 30 minutes is the bound for a slow machine.
            await wait_until_delivered(db_url, within=1800)
            duration = time.monotonic() - started
        finally:
            server.stop()
        result = await outcome(db_url, fake)

    delays_first: list[float] = []
    delays_all: list[float] = []
    per_kill: list[str] = []
    for index, kill in enumerate(kills):
        seen: set[str] = set()
        firsts: list[float] = []
        for row_id, chat in kill.held:
            delay = time_up(kills[index:], result.sent_at[row_id])
            delays_all.append(delay)
            if chat not in seen:
                seen.add(chat)
                firsts.append(delay)
        delays_first.extend(firsts)
        per_kill.append(f"{len(kill.held)} held, first of each chat within {max(firsts, default=0):.1f} s")
    print(
        f"\nstorm ({'PostgreSQL' if 'postgresql' in db_url else 'SQLite'}, seed {seed}): "
        f"{PEOPLE} people, {total} updates in {duration:.0f} s; {platform.redelivered} redeliveries "
        f"(answers {dict(platform.statuses)}); {KILLS} kills after "
        f"{[k.acknowledged for k in kills]} acknowledged updates, restarts took "
        f"{[round(k.ready - k.killed, 1) for k in kills]} s; "
        f"{result.submissions} submissions ({result.distinct_niks} NIKs, {result.distinct_contacts} people); "
        f"{result.processed} updates applied; {result.rows} replies, {result.undelivered_rows} undelivered, "
        f"{result.duplicates} duplicates, {result.cut_off} rows ({result.cut_off_calls} calls) "
        "in flight at the kills; "
        f"{sum(len(k.held) for k in kills)} replies held at the kills: first of each chat delivered "
        f"at most {max(delays_first, default=0):.1f} s up after the restart, all within "
        f"{max(delays_all, default=0):.1f} s (per kill: {'; '.join(per_kill)}); "
        f"{server.tracebacks()} tracebacks"
    )
    assert result.submissions == result.distinct_niks == result.distinct_contacts == PEOPLE
    assert result.processed == total  # every answer applied, once
    assert result.undelivered_rows == 0
    assert 0 <= result.duplicates <= result.cut_off_calls
    assert max(delays_first, default=0) <= 10.0
    assert server.tracebacks() == 0, server.log_text()
