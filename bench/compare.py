"""Side-by-side benchmark: `bpu-bot serve` against an in-memory aiogram bot and a bare endpoint.

    make bench
    .venv/bin/python -m bench.compare [--rounds 3] [--people 200] [--contacts 100000]
    BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/bench .venv/bin/python -m bench.compare

Every server runs as its own process on 127.0.0.1 and takes Telegram webhook updates; a fake
Bot API (`bench.fake_bot_api`, its own process) receives the replies. The targets:

- ours: `bpu-bot serve` with the Telegram webhook, on SQLite (and on PostgreSQL when
  `BENCH_PG_URL` names a database the benchmark may wipe: its schema is dropped every round);
- aiogram: the same 13-message enrolment as a plain aiogram 3 FSM bot with `MemoryStorage`
  (`bench.baseline_bot`), served by FastAPI and by aiohttp;
- bare: a FastAPI endpoint that only parses the JSON (`bench.bare_endpoint`).

Each round starts every target in turn, fresh (new database), reads its idle RSS, lets
`--warmup` people (50) enrol unmeasured (what is built or prepared on first use, such as ours'
aiogram models and PostgreSQL's prepared statements, is not the steady state; the plain aiogram
bot builds its models at import), and measures:

1. throughput: `--people` people each answer the 13 enrolment messages, each person's
   messages in order (the next is sent when the previous was answered), people concurrent;
   updates/s is updates over wall time, CPU ms/update is the server process's CPU time over
   the same span;
2. latency at a fixed offered rate: updates sent on a fixed schedule (open loop, each person's
   messages still in order, a person who has sent the 13 replaced by a new one) at half of the
   target's own maximum from the first round (ours on each database; the aiogram bots and the
   bare endpoint at ours on the first one's); p50/p99 are measured from the scheduled send
   time, so a stall counts in full;
3. RSS of the server process when idle (after start-up) and after both phases.

For ours it also reads the fake's record of `sendMessage` calls: the rate replies left at
while a backlog waited, and the most calls in any one-second window (Telegram's limit is 30).
At the end, ours (SQLite) serves `--contacts` people writing once each, and the RSS is printed
as it goes, to show whether memory grows with the number of people.

The table shows min/median/max over the rounds, and the ratios computed within each round
(the machine's load changes between rounds; a ratio from one round compares like with like).
It asserts nothing: machines differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.enrolment import ENROLMENT

SECRET = "bench_secret"
OURS_TOKEN = "123456789:bench-token"
PATH = "/webhook/telegram"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def answer(person: int, step: int) -> str:
    text = ENROLMENT[step]
    return f"357701470885{person % 9999 + 1:04d}" if step == 2 else text


def update_body(update_id: int, user_id: int, text: str) -> bytes:
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Siti"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Siti", "language_code": "id"},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


# --- processes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                self.args, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def wait_ready(session: aiohttp.ClientSession, process: Process, path: str | None) -> None:
    """Until the port answers (GET `path` gives 200, or a TCP connection is accepted)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.proc is not None
        if process.proc.poll() is not None:
            raise RuntimeError(f"{process.name} exited; see {process.log}")
        try:
            if path is None:
                _reader, writer = await asyncio.open_connection("127.0.0.1", process.port)
                writer.close()
                return
            async with session.get(f"http://127.0.0.1:{process.port}{path}") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError(f"{process.name} did not start; see {process.log}")


# --- load ----------------------------------------------------------------------------------


@dataclass
class Load:
    session: aiohttp.ClientSession
    url: str
    next_update: int = 1
    errors: int = 0

    def body(self, user_id: int, text: str) -> bytes:
        self.next_update += 1
        return update_body(self.next_update, user_id, text)

    async def post(self, body: bytes) -> None:
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
        for attempt in range(2):
            try:
                async with self.session.post(self.url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        self.errors += 1
                    return
            except aiohttp.ClientConnectionError:  # a kept-alive connection the server just closed
                self.errors += 1
                if attempt:
                    raise

    async def closed_loop(self, users: Sequence[int]) -> float:
        """Every user answers the 13 messages in order, all users at once; returns updates/s."""

        async def person(user_id: int) -> None:
            for step in range(len(ENROLMENT)):
                await self.post(self.body(user_id, answer(user_id, step)))

        started = time.perf_counter()
        await asyncio.gather(*(person(u) for u in users))
        return len(users) * len(ENROLMENT) / (time.perf_counter() - started)

    async def open_loop(self, first: int, people: int, rate: float, count: int) -> list[float]:
        """`count` updates at `rate`/s on a fixed schedule; latencies (s) from the scheduled time.

        `people` people at a time answer the 13 messages, each person's in order; people who
        finish are replaced by new ones (ids from `first` on), so every target does the same work
        as in `closed_loop` (an enrolment's 13 answers, not what a 14th message would start).
        """
        latencies: list[float] = []
        previous: dict[int, asyncio.Task[None]] = {}
        per_cycle = people * len(ENROLMENT)

        async def send(due: float, before: asyncio.Task[None] | None, body: bytes) -> None:
            if before is not None:  # one person's messages stay in order
                await before
            await self.post(body)
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.05
        for k in range(count):
            user_id = first + (k // per_cycle) * people + k % people
            step = (k // people) % len(ENROLMENT)
            due = start + k / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body = self.body(user_id, answer(user_id, step))
            previous[user_id] = asyncio.create_task(send(due, previous.get(user_id), body))
        await asyncio.gather(*previous.values())
        return latencies


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- targets -------------------------------------------------------------------------------


@dataclass
class Measure:
    rate: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    cpu_ms: float = 0.0
    rss_idle: float = 0.0
    rss_after: float = 0.0
    send_rate: float | None = None
    send_max_1s: int | None = None
    errors: int = 0


@dataclass
class Target:
    name: str
    make: Callable[[Path, int, int], Process]
    """(folder, port, round) → the server process, not started; may prepare its database."""
    ready_path: str | None = None
    is_ours: bool = False
    results: list[Measure] = field(default_factory=list)


def ours(database: Callable[[Path, int], str], api_port: int) -> Callable[[Path, int, int], Process]:
    def make(folder: Path, port: int, round_no: int) -> Process:
        env = {
            "DATABASE_URL": database(folder, round_no),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECRET_KEY": "bench",
            "PII_ENCRYPTION_KEY": "yb9Ux3ZKkCvfV7MLL1T_Pyvdr_Hr2b5rZMh_BhWdFJM=",
            "TELEGRAM_BOT_TOKEN": OURS_TOKEN,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{api_port}",
            "TELEGRAM_WEBHOOK_URL": "https://bench.example/webhook/telegram",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "LOG_LEVEL": "WARNING",
        }
        process = Process("ours", [sys.executable, "-m", "bot", "serve"], env, port, folder / "ours.log")
        subprocess.run(
            [sys.executable, "-m", "bot", "db", "upgrade"],
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return process

    return make


def sqlite_url(folder: Path, round_no: int) -> str:
    return f"sqlite+aiosqlite:///{folder / f'ours-{round_no}.db'}"


def postgres_url(url: str) -> Callable[[Path, int], str]:
    def reset(_folder: Path, _round: int) -> str:
        # Called from the benchmark's event loop: the reset runs on a loop of its own.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, reset_postgres(url)).result()
        return url

    return reset


async def reset_postgres(url: str) -> None:
    import asyncpg  # only when PostgreSQL is benchmarked

    plain = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        connection = await asyncpg.connect(plain)
    except asyncpg.InvalidCatalogNameError:
        server, name = plain.rsplit("/", 1)
        admin = await asyncpg.connect(f"{server}/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        connection = await asyncpg.connect(plain)
    await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await connection.close()


def module(name: str, module_name: str, *extra: str) -> Callable[[Path, int, int], Process]:
    def make(folder: Path, port: int, _round: int) -> Process:
        args = (
            [sys.executable, "-m", module_name, extra[0], str(port), *extra[1:]]
            if extra
            else [
                sys.executable,
                "-m",
                module_name,
                str(port),
            ]
        )
        return Process(name, args, {}, port, folder / f"{name}.log")

    return make


# --- one measurement -----------------------------------------------------------------------


async def measure(
    target: Target,
    folder: Path,
    round_no: int,
    people: int,
    rate: float | None,
    fake_url: str,
    latency_s: float,
    warmup: int = 0,
) -> Measure:
    port = free_port()
    process = target.make(folder, port, round_no)
    # Idle connections close before the servers' own keep-alive timeout (uvicorn: 5 s).
    connector = aiohttp.TCPConnector(limit=people + 50, keepalive_timeout=2)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(f"{fake_url}/reset") as response:
            await response.read()
        process.start()
        try:
            await wait_ready(session, process, target.ready_path)
            await asyncio.sleep(1.0)
            result = Measure(rss_idle=rss_mb(process.pid))
            load = Load(session, f"http://127.0.0.1:{port}{PATH}")
            if warmup:  # first uses (models built, statements prepared) are not the steady state
                await load.closed_loop(range(4_000_000, 4_000_000 + warmup))
            cpu_before = cpu_seconds(process.pid)
            users = range(1_000_000, 1_000_000 + people)
            result.rate = await load.closed_loop(users)
            result.cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000 / (people * len(ENROLMENT))
            if rate is None:
                rate = result.rate / 2
            count = max(300, int(rate * latency_s))
            latencies = await load.open_loop(2_000_000, people, rate, count)
            result.p50, result.p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
            result.rss_after = rss_mb(process.pid)
            result.errors = load.errors
            if target.is_ours:
                async with session.get(f"{fake_url}/stats") as response:
                    sent = sorted((await response.json())["sent"])
                result.send_rate, result.send_max_1s = send_stats(sent)
        finally:
            process.stop()
    return result


def send_stats(times: Sequence[float]) -> tuple[float | None, int | None]:
    """(messages/s from the first to the last send, most sends in any 1-second window)."""
    if len(times) < 2:
        return None, None
    most, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return (len(times) - 1) / (times[-1] - times[0]), most


async def contacts_phase(
    target: Target, folder: Path, fake_url: str, contacts: int
) -> list[tuple[int, float]]:
    """Ours serving `contacts` people who write once each; RSS (MB) at each fifth."""
    port = free_port()
    process = target.make(folder, port, 999)
    samples: list[tuple[int, float]] = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=250, keepalive_timeout=2)
    ) as session:
        process.start()
        try:
            await wait_ready(session, process, target.ready_path)
            await asyncio.sleep(1.0)
            samples.append((0, rss_mb(process.pid)))
            load = Load(session, f"http://127.0.0.1:{port}{PATH}")
            queue = iter(range(3_000_000, 3_000_000 + contacts))
            done = 0
            step = max(1, contacts // 5)
            started = time.perf_counter()

            async def worker() -> None:
                nonlocal done
                for user_id in queue:
                    await load.post(load.body(user_id, "halo"))
                    done += 1
                    if done % step == 0:
                        samples.append((done, rss_mb(process.pid)))
                        print(
                            f"  {done} contacts: RSS {samples[-1][1]:.0f} MB "
                            f"({done / (time.perf_counter() - started):.0f} updates/s)",
                            flush=True,
                        )

            await asyncio.gather(*(worker() for _ in range(200)))
        finally:
            process.stop()
    return samples


# --- the report ----------------------------------------------------------------------------


def spread(values: Sequence[float], digits: int = 0) -> str:
    if not values:
        return "-"
    fmt = f"{{:.{digits}f}}"
    low, mid, high = min(values), statistics.median(values), max(values)
    return f"{fmt.format(mid)} ({fmt.format(low)}-{fmt.format(high)})"


def report(targets: list[Target], rates: dict[str, float], contacts: list[tuple[int, float]]) -> str:
    offered = ", ".join(f"{name} {rate:.1f}" for name, rate in rates.items())
    lines = [
        f"offered rates for latency, updates/s (half of each of ours' maximum in the first round; "
        f"the other targets at the first one's): {offered}",
        "values: median (min-max) over rounds",
        "",
        f"{'target':<18} {'updates/s':>18} {'p50 ms':>16} {'p99 ms':>18} {'CPU ms/upd':>16} "
        f"{'RSS idle MB':>14} {'RSS after MB':>14}",
    ]
    for t in targets:
        r = t.results
        lines.append(
            f"{t.name:<18} {spread([m.rate for m in r]):>18} {spread([m.p50 for m in r], 1):>16} "
            f"{spread([m.p99 for m in r], 1):>18} {spread([m.cpu_ms for m in r], 2):>16} "
            f"{spread([m.rss_idle for m in r]):>14} {spread([m.rss_after for m in r]):>14}"
        )
    errors = {t.name: sum(m.errors for m in t.results) for t in targets}
    if any(errors.values()):
        lines.append(f"non-200 answers or dropped connections (retried once): {errors}")
    by_name = {t.name: t for t in targets}
    lines += ["", "ratios within each round: median (min-max)"]

    def ratio(label: str, a: str, b: str, attr: str) -> None:
        if a in by_name and b in by_name:
            values = [
                getattr(x, attr) / getattr(y, attr)
                for x, y in zip(by_name[a].results, by_name[b].results, strict=True)
                if getattr(y, attr)
            ]
            lines.append(f"  {label:<52} {spread(values, 2)}")

    for our in ("ours SQLite", "ours PostgreSQL"):
        for base in ("aiogram FastAPI", "aiogram aiohttp"):
            ratio(f"updates/s {our} / {base} (goal >= 1.0)", our, base, "rate")
    for our in ("ours SQLite", "ours PostgreSQL"):
        ratio(f"p99 {our} / bare FastAPI (goal <= 3)", our, "bare FastAPI", "p99")
    # The tail a plain bot has on the same machine in the same round: what of ours' p99 is the
    # machine's. (aiogram's is offered ours SQLite's rate: like with like for SQLite only.)
    for our in ("ours SQLite", "ours PostgreSQL"):
        ratio(f"p99 {our} / aiogram FastAPI", our, "aiogram FastAPI", "p99")
    for our in ("ours SQLite", "ours PostgreSQL"):
        ratio(f"CPU/update {our} / aiogram FastAPI", our, "aiogram FastAPI", "cpu_ms")
    for t in targets:
        if t.is_ours:
            sending = [m.send_rate for m in t.results if m.send_rate is not None]
            most = [m.send_max_1s for m in t.results if m.send_max_1s is not None]
            if sending:
                lines.append(
                    f"  {t.name} replies sent/s with a backlog (limit 30): {spread(sending, 1)}; "
                    f"most in any 1 s window: {max(most)}"
                )
    if contacts:
        lines += [
            "",
            "ours SQLite, RSS MB by contacts served: " + ", ".join(f"{n}: {mb:.0f}" for n, mb in contacts),
        ]
    return "\n".join(lines)


def fake_bot_api(folder: Path, port: int) -> Process:
    """The fake Bot API as its own process on `port` (not started)."""
    return Process(
        "fake Bot API", [sys.executable, "-m", "bench.fake_bot_api", str(port)], {}, port, folder / "fake.log"
    )


async def run(args: argparse.Namespace, folder: Path) -> None:
    api_port = free_port()
    fake = fake_bot_api(folder, api_port)
    fake.start()
    fake_url = f"http://127.0.0.1:{api_port}"
    api = f"{fake_url}"
    targets = [Target("ours SQLite", ours(sqlite_url, api_port), "/healthz", is_ours=True)]
    pg = os.environ.get("BENCH_PG_URL")
    if pg:
        targets.append(Target("ours PostgreSQL", ours(postgres_url(pg), api_port), "/healthz", is_ours=True))
    else:
        print("BENCH_PG_URL is not set: PostgreSQL is not measured", flush=True)
    targets += [
        Target("aiogram FastAPI", module("aiogram-fastapi", "bench.baseline_bot", "fastapi", api, SECRET)),
        Target("aiogram aiohttp", module("aiogram-aiohttp", "bench.baseline_bot", "aiohttp", api, SECRET)),
        Target("bare FastAPI", module("bare", "bench.bare_endpoint")),
    ]
    if args.only:
        targets = [t for t in targets if t.name in args.only.split(",")]
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, fake, "/stats")
        # Each of ours is offered half its own first-round maximum; the others the first one's.
        rates: dict[str, float] = {}
        first: float | None = args.rate
        for round_no in range(args.rounds):
            for target in targets:
                rate = args.rate or (rates.get(target.name) if target.is_ours else first)
                result = await measure(
                    target, folder, round_no, args.people, rate, fake_url, args.latency_seconds, args.warmup
                )
                if target.is_ours and target.name not in rates:
                    rates[target.name] = args.rate or result.rate / 2
                    first = first or rates[target.name]
                target.results.append(result)
                extra = (
                    f", replies {result.send_rate:.1f}/s, max {result.send_max_1s} in 1 s"
                    if result.send_rate is not None
                    else ""
                )
                print(
                    f"round {round_no + 1} {target.name}: {result.rate:.0f} updates/s, "
                    f"p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms, {result.cpu_ms:.2f} CPU ms/update, "
                    f"RSS {result.rss_idle:.0f}->{result.rss_after:.0f} MB{extra}",
                    flush=True,
                )
        contacts = await contacts_phase(targets[0], folder, fake_url, args.contacts) if args.contacts else []
        print()
        print(report(targets, rates, contacts))
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument(
        "--rate", type=float, default=None, help="offered rate for latency (default: half ours)"
    )
    parser.add_argument("--latency-seconds", type=float, default=15.0)
    parser.add_argument(
        "--warmup",
        type=int,
        default=50,
        help="people enrolled before the measures (0: measure from a cold start)",
    )
    parser.add_argument("--contacts", type=int, default=100_000, help="0 skips the RSS-by-contacts phase")
    parser.add_argument("--only", default="", help="comma-separated target names to run (e.g. 'ours SQLite')")
    parser.add_argument("--keep", action="store_true", help="keep the folder with databases and logs")
    args = parser.parse_args()
    if args.keep:
        folder = Path(tempfile.mkdtemp(prefix="bpu-bench-"))
        print(f"databases and server logs in {folder}", flush=True)
        asyncio.run(run(args, folder))
    else:
        with tempfile.TemporaryDirectory(prefix="bpu-bench-") as name:
            asyncio.run(run(args, Path(name)))


if __name__ == "__main__":
    main()
