"""Drives real `bpu-bot serve` processes the way a platform does, for the storm and the
two-process tests: webhooks posted concurrently, every update re-sent until it is answered
200, processes killed with SIGKILL and started again, and the outcome read from the database
and from the fake Bot API's records."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from sqlmodel import col, func, select

from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_user import text_update
from storage.db import Database
from storage.models import OutboxMessage, ProcessedInbound, Submission
from tests.handlers.test_enrol_flow import HAPPY
from tests.ops.test_cli import cli_env
from tests.ops.test_web import free_port

SECRET = "storm-webhook-secret"
PII_KEY = Fernet.generate_key().decode()


def answers(person: int) -> list[str]:
    """A whole enrolment by typed answers, with a NIK of the person's own."""
    lines = list(HAPPY)
    lines[2] = f"3577 0147 0885 {person + 1:04d}"
    return [*lines, "kirim", "tidak"]


@dataclass
class Server:
    """One `bpu-bot serve` process, restartable on the same port and database."""

    tmp: Path
    db_url: str
    fake: FakeTelegram
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Starts the process; returns the wall time when it answers /healthz."""
        env = cli_env(self.db_url) | {
            "PII_ENCRYPTION_KEY": PII_KEY,
            "PORT": str(self.port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.fake.url,
            "TELEGRAM_WEBHOOK_URL": f"{self.base}/webhook/telegram",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "LOG_LEVEL": "INFO",
            **self.extra_env,
        }
        self.starts += 1
        log = (self.tmp / f"serve-{self.port}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=self.tmp,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 240  # a cold start on a busy 2-core machine
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log_text()
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return time.time()
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError("bpu-bot serve did not start:\n" + self.log_text())

    def kill(self) -> float:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        return time.time()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_text(self) -> str:
        """What the processes logged, without the access lines of the webhooks."""
        parts = []
        for path in sorted(self.tmp.glob("serve-*.log"), key=lambda p: p.stat().st_mtime):
            text = path.read_text(errors="replace")
            lines = [line for line in text.splitlines() if "POST /webhook" not in line]
            parts.append(f"== {path.name}\n" + "\n".join(lines[-40:]))
        return "\n".join(parts)

    def tracebacks(self) -> int:
        return sum(p.read_text(errors="replace").count("Traceback") for p in self.tmp.glob("serve-*.log"))


@dataclass
class Platform:
    """Posts updates like Telegram: each one again and again until it is answered 200."""

    servers: list[Server]
    acknowledged: int = 0
    redelivered: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    async def deliver(self, client: httpx.AsyncClient, update: dict[str, Any], index: int) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        attempt = 0
        while True:
            server = self.servers[(index + attempt) % len(self.servers)]
            try:
                response = await client.post(f"{server.base}/webhook/telegram", json=update, headers=headers)
                self.statuses[str(response.status_code)] += 1
                if response.status_code == 200:
                    self.acknowledged += 1
                    return
            except httpx.TransportError as exc:
                self.statuses[type(exc).__name__] += 1
            attempt += 1
            self.redelivered += 1
            await asyncio.sleep(min(2.0, 0.1 * attempt))

    async def person(self, client: httpx.AsyncClient, person: int, first_update: int) -> None:
        user_id = 700_000 + person
        for step, line in enumerate(answers(person)):
            update = text_update(first_update + step, user_id, line, first_name=f"P{person}")
            await self.deliver(client, update, person + step)  # updates land on any process


async def read(db_url: str, query: Any) -> list[Any]:
    db = Database(db_url)
    try:
        async with db.reader() as session:
            return list((await session.exec(query)).all())
    finally:
        await db.dispose()


async def wait_until_delivered(db_url: str, within: float) -> None:
    deadline = time.monotonic() + within
    query = (
        select(func.count())
        .select_from(OutboxMessage)
        .where(col(OutboxMessage.status).in_(["pending", "sending"]))
    )
    while time.monotonic() < deadline:
        if (await read(db_url, query))[0] == 0:
            return
        await asyncio.sleep(0.5)
    raise AssertionError("replies still undelivered")


async def held_rows(db_url: str) -> list[tuple[int, str]]:
    """(row id, chat) of replies not yet delivered: read while no process runs."""
    query = select(OutboxMessage.id, OutboxMessage.chat_id).where(
        col(OutboxMessage.status).in_(["pending", "sending"])
    )
    return [(int(i), c) for i, c in await read(db_url, query)]


@dataclass
class Outcome:
    submissions: int
    distinct_contacts: int
    distinct_niks: int
    processed: int
    rows: int
    undelivered_rows: int
    delivered_calls: int
    expected_calls: int
    """One sendMessage per row, two for a row sent as two parts (the line that takes the phone
    keyboard down, then the question with its buttons)."""
    cut_off: int
    """Attempts cut off by a kill (marked "sending", outcome never written)."""
    cut_off_calls: int
    """The calls those attempts may repeat: a cut-off row goes again whole, so a row sent in
    two parts may repeat both (the guarantee counts rows, the fake counts calls)."""
    sent_at: dict[int, float]
    """Outbox row id → wall time the fake received it (its first successful send)."""

    @property
    def duplicates(self) -> int:
        return self.delivered_calls - self.expected_calls


async def outcome(db_url: str, fake: FakeTelegram) -> Outcome:
    submissions = await read(db_url, select(Submission.contact_id, Submission.nik_hash))
    processed = (await read(db_url, select(func.count()).select_from(ProcessedInbound)))[0]
    rows = await read(db_url, select(OutboxMessage))
    delivered = [c for c in fake.calls("sendMessage") if c.status == 200]
    texts = _texts_by_chat(delivered)
    first_by_id: dict[tuple[str, str], float] = {}
    for call in delivered:
        key = (str(call.params["chat_id"]), str(call.result["message_id"]))
        first_by_id.setdefault(key, call.wall)
    sent_at = {
        row.id: first_by_id[(row.chat_id, row.platform_message_id)]
        for row in rows
        if (row.chat_id, row.platform_message_id) in first_by_id
    }
    return Outcome(
        submissions=len(submissions),
        distinct_contacts=len({c for c, _ in submissions}),
        distinct_niks=len({n for _, n in submissions}),
        processed=int(processed),
        rows=len(rows),
        undelivered_rows=sum(1 for r in rows if r.status != "sent" or r.id not in sent_at),
        delivered_calls=len(delivered),
        expected_calls=sum(_calls(row, texts) for row in rows),
        cut_off=sum(_cut_off(row) for row in rows),
        cut_off_calls=sum(_cut_off(row) * _calls(row, texts) for row in rows),
        sent_at=sent_at,
    )


def _texts_by_chat(delivered: list[Any]) -> dict[str, Counter[str]]:
    texts: dict[str, Counter[str]] = {}
    for call in delivered:
        texts.setdefault(str(call.params["chat_id"]), Counter())[str(call.params.get("text") or "")] += 1
    return texts


def _calls(row: OutboxMessage, texts: dict[str, Counter[str]]) -> int:
    """How many sendMessage calls a row needs: a row whose whole text never arrived but whose
    first line did was delivered in two parts (see bot/channels/telegram/render.plan)."""
    text = str(row.payload.get("text") or "")
    sent = texts.get(row.chat_id, Counter())
    return 2 if text not in sent and text.partition("\n")[0] in sent else 1


def _cut_off(row: OutboxMessage) -> int:
    return max(0, row.attempts - len(row.attempt_log))


def env_flag(name: str) -> bool:
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
