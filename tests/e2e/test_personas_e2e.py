"""Twelve people of East Java, each in their own way of writing, on Telegram and on WhatsApp,
against `bpu-bot serve` as a real process with the fake Bot API and the fake Graph API
(issue 18). Every person reaches the outcome written with them (tests/support/personas.py), and no
reply says the bot did not understand.

On the second channel each person uses another NIK (one NIK is one sign-up): the serial moves
on. The people talk at the same time, as they would.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Sized
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from dashboard.service.sessions import SessionSpec, Sponsor, create_session
from fakes import meta_webhooks as meta
from fakes.graph_api import FakeGraphAPI
from fakes.telegram_api import TOKEN, FakeTelegram
from fakes.telegram_user import TelegramUser
from fakes.whatsapp import FERNET_KEY, whatsapp_env
from handlers.app import build_router
from handlers.engine import Engine
from handlers.localtime import WIB
from storage.crypto import Vault
from storage.db import Database
from storage.models import Submission
from storage.outreach_models import SessionParticipant, SocialSession
from storage.types import utcnow
from tests.ops.test_cli import cli_env
from tests.ops.test_web import free_port
from tests.support.helpers import Chat
from tests.support.personas import PERSONAS, SESSION_LATER, SESSION_TODAY, Persona, on_second_channel
from tests.support.whatsapp_helpers import outbox

pytestmark = pytest.mark.slow

VAULT = Vault(FERNET_KEY)
TELEGRAM_IDS = 7300
WHATSAPP_IDS = 6281700000000


@contextmanager
def serving(tmp_path: Path, db_url: str, telegram: FakeTelegram, graph: FakeGraphAPI) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = (
        cli_env(db_url)
        | whatsapp_env(db_url, graph.url)
        | {
            "PII_ENCRYPTION_KEY": FERNET_KEY,
            "PORT": str(port),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram.url,
            "TELEGRAM_WEBHOOK_URL": f"{base}/webhook/telegram",
            "TELEGRAM_WEBHOOK_SECRET": "persona-secret",
        }
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        telegram.wait_for(lambda: telegram.webhook_url == f"{base}/webhook/telegram", 30, "the webhook")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _sessions(db: Database) -> dict[str, str]:
    """Today's city-paid session in Kota Madiun and a later one in Kota Surabaya."""
    now = utcnow()
    local = now.astimezone(WIB).replace(tzinfo=None, second=0, microsecond=0)
    today = SessionSpec(
        title="Sosialisasi BPJS Ketenagakerjaan Pasar Besar",
        starts_at=local,
        ends_at=local + timedelta(hours=2),
        regency_code="35.77",
        organiser="Dinas Tenaga Kerja Kota Madiun",
        capacity=100,
        place="Pasar Besar Madiun",
        sponsor=Sponsor("Pemerintah Kota Madiun", months=3, quota=50),
    )
    later = SessionSpec(
        title="Sosialisasi untuk warung kopi Dukuh Pakis",
        starts_at=local + timedelta(days=3),
        ends_at=local + timedelta(days=3, hours=2),
        regency_code="35.78",
        organiser="Dinas Koperasi Kota Surabaya",
        capacity=40,
        place="Balai RW 3 Dukuh Pakis",
    )
    made = {}
    for key, spec in ((SESSION_TODAY, today), (SESSION_LATER, later)):
        social = await create_session(db, spec, actor="test", branches=None, now=now)
        made[key] = social.code
    return made


async def _wife_registered(db: Database, nik: str, chat_id: str) -> None:
    """Rina, persona 9's wife, registered the week before from her own phone."""
    wife = Chat(db, Engine(db, build_router(), vault=VAULT), chat_id=chat_id)
    for line in ("daftar", "setuju", nik, "Rina Wati", "25-04-1990", "0812-7777-0000", "ya"):
        await wife.send(line)
    for line in ("Jl. Kedungdoro Gg 2 No 10", "1", "2jt", "1", "1", "lewati", "kirim"):
        await wife.send(line)


def _lines(persona: Persona, codes: dict[str, str], second: bool) -> list[str]:
    lines = [line.format(today=codes[SESSION_TODAY], later=codes[SESSION_LATER]) for line in persona.lines]
    return [on_second_channel(line) for line in lines] if second else lines


async def _telegram(telegram: FakeTelegram, user_id: int, db: Database, lines: list[str]) -> list[str]:
    person = TelegramUser(telegram, user_id, "Warga", webhook=True)
    answers = []
    for line in lines:
        before = len(person.received())
        await asyncio.to_thread(person.says, line)
        await _drained(db, str(user_id), _grew(person.received, before), line)
        answers.append("\n".join(str(c.params["text"]) for c in person.received()[before:]))
    return answers


def _grew(read: Callable[[], Sized], before: int) -> Callable[[], bool]:
    return lambda: len(read()) > before


async def _drained(db: Database, chat_id: str, arrived: Callable[[], bool], line: str) -> None:
    """Waits until the platform got something and the person's outbox holds nothing unsent."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = await outbox(db, chat_id)
        if arrived() and all(r.status not in ("pending", "sending") for r in rows):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {line!r}")


async def _whatsapp(
    http: httpx.AsyncClient, base: str, graph: FakeGraphAPI, db: Database, wa_id: str, lines: list[str]
) -> list[str]:
    answers = []
    for line in lines:
        before = len(graph.sent(wa_id))
        raw, headers = meta.encode(meta.from_person(wa_id, meta.text(wa_id, line), name="Warga"))
        response = await http.post(f"{base}/webhook/whatsapp", content=raw, headers=headers)
        assert response.status_code == 200, response.text
        await _drained(db, wa_id, _grew(lambda: graph.sent(wa_id), before), line)
        answers.append("\n".join(c.text for c in graph.sent(wa_id)[before:]))
    return answers


def _check(persona: Persona, channel: str, answers: list[str]) -> list[str]:
    problems = []
    for i, answer in enumerate(answers):
        problems += [
            f"{persona.name} on {channel}, line {i}: {bad!r}" for bad in persona.never if bad in answer
        ]
    for i, phrase in persona.says.items():
        if phrase not in answers[i]:
            problems.append(f"{persona.name} on {channel}, line {i}: no {phrase!r} in {answers[i][:160]!r}")
    return problems


async def _submission(db: Database, nik: str) -> Submission | None:
    async with db.reader() as session:
        found = (
            await session.exec(select(Submission).where(Submission.nik_hash == VAULT.keyed_hash(nik)))
        ).all()
    return found[0] if len(found) == 1 else None


async def test_twelve_people_in_their_own_words_on_both_channels(tmp_path: Path, db_url: str) -> None:
    db = Database(db_url)
    codes = await _sessions(db)
    for second, chat in ((False, "wife-1"), (True, "wife-2")):
        for persona in PERSONAS:
            if persona.wife_nik:
                await _wife_registered(
                    db, on_second_channel(persona.wife_nik) if second else persona.wife_nik, chat
                )
    with (
        FakeTelegram() as telegram,
        FakeGraphAPI() as graph,
        serving(tmp_path, db_url, telegram, graph) as base,
    ):
        async with httpx.AsyncClient(timeout=30) as http:
            runs: list[Coroutine[Any, Any, list[str]]] = [
                _telegram(telegram, TELEGRAM_IDS + i, db, _lines(persona, codes, False))
                for i, persona in enumerate(PERSONAS)
            ] + [
                _whatsapp(http, base, graph, db, str(WHATSAPP_IDS + i), _lines(persona, codes, True))
                for i, persona in enumerate(PERSONAS)
            ]
            results = await asyncio.gather(*runs)
    problems: list[str] = []
    for i, persona in enumerate(PERSONAS):
        for channel, answers, second in (
            ("Telegram", results[i], False),
            ("WhatsApp", results[len(PERSONAS) + i], True),
        ):
            problems += _check(persona, channel, answers)
            if persona.nik is not None:
                nik = on_second_channel(persona.nik) if second else persona.nik
                found = await _submission(db, nik)
                if found is None:
                    problems.append(f"{persona.name} on {channel}: no submission")
                    continue
                income = int(VAULT.decrypt(found.income_enc)) if found.income_enc else None
                held = {**found.model_dump(), **found.answers, "income": income}
                wrong = {k: (held.get(k), v) for k, v in persona.submission.items() if held.get(k) != v}
                if wrong:
                    problems.append(f"{persona.name} on {channel}: {wrong}")
    async with db.reader() as session:
        later = (
            await session.exec(select(SocialSession).where(SocialSession.code == codes[SESSION_LATER]))
        ).one()
        reserved = (
            await session.exec(select(SessionParticipant).where(SessionParticipant.session_id == later.id))
        ).all()
    await db.dispose()
    assert problems == [], "\n".join(problems)
    assert len(reserved) == 2 * sum(p.reserves for p in PERSONAS), "the places reserved by typing"
