"""PII_ENCRYPTION_KEY rotation: several keys, newest first; `keys rotate` re-encrypts and re-hashes
everything under the newest, resumes after an interruption, and leaves nothing the old key reads."""

from __future__ import annotations

import asyncio

import pytest
from cryptography.fernet import Fernet
from sqlmodel import col, select

from dashboard.service.queue import read_search
from dashboard.web.session import SessionCodec, StaffSession
from handlers.engine import Engine
from storage.crypto import Vault, key_fingerprint
from storage.db import Database
from storage.models import Submission
from storage.rotation import key_census, rotate_keys, sealed_tables
from tests.handlers.test_enrol_flow import HAPPY
from tests.support.helpers import Chat, FixedClock
from tests.support.ops_seed import DRAFT_NIK, engine_for, enrol, every_token, nik_of, populate, readable_by

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class Interrupted(Exception):
    """Stands for a crash (the process killed) between two batches."""


async def sign_up_again(engine: Engine, nik: str) -> str:
    """Someone starts the form on a new chat with an already registered NIK: the answer to it."""
    chat = Chat(engine.db, engine, chat_id=f"62899{nik[-8:]}")
    for line in ["daftar", "setuju"]:
        await chat.send(line)
    return await chat.say(nik)


def test_several_keys_read_with_any_and_write_with_the_newest() -> None:
    old, both = Vault(OLD), Vault(f"{NEW}, {OLD}")
    sealed = old.encrypt("3577014708850001")
    assert both.decrypt(sealed) == "3577014708850001"
    assert both.key_index(sealed) == 1 and both.key_index(both.encrypt("x")) == 0
    assert both.keyed_hash("n") == Vault(NEW).keyed_hash("n") != old.keyed_hash("n")
    assert both.keyed_hashes("n") == [Vault(NEW).keyed_hash("n"), old.keyed_hash("n")]
    assert both.fingerprints == (key_fingerprint(NEW), key_fingerprint(OLD))
    assert OLD not in key_fingerprint(OLD) and len(key_fingerprint(OLD)) == 16


def test_every_encrypted_column_is_rotated() -> None:
    """The `*_enc` naming rule finds the columns; the documents are named in storage.rotation."""
    found = {t.name: (set(t.columns), set(t.documents)) for t in sealed_tables()}
    assert found["submission"][0] >= {"nik_enc", "full_name_enc", "phone_enc", "income_enc"}
    assert found["submission"][1] == {"answers"} and found["conversation"] == (set(), {"data"})
    assert found["contact"][0] == {"phone_enc"}
    assert found["callback_request"][0] == {"phone_enc", "question_enc"}
    assert found["chat_message"][0] == {"text_enc"}


async def test_rotation_is_resumable_and_leaves_nothing_for_the_old_key(
    db: Database, clock: FixedClock
) -> None:
    await populate(db, Vault(OLD), clock)
    before = await every_token(db)
    assert {table for table, _column, _token in before} == {
        "submission",
        "conversation",
        "contact",
        "callback_request",
        "chat_message",  # the conversation kept for officers (the agent inbox)
    }
    assert readable_by(Vault(OLD), before) == {0: len(before)}

    both = Vault(f"{NEW},{OLD}")
    # While the new key is in front and nothing is rotated yet, an old NIK is still recognised.
    assert "sudah punya pendaftaran" in await sign_up_again(engine_for(db, both, clock), nik_of(0))
    started = await every_token(db)  # with that conversation's kept messages (the agent inbox's)

    batches = 0

    def crash_after_two_batches(_table: str, _done: int, _total: int) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        await rotate_keys(db, both, batch=2, progress=crash_after_two_batches)
    halfway = readable_by(both, await every_token(db))
    assert halfway.get(0, 0) > 0 and halfway.get(1, 0) > 0  # some rotated, some not yet

    report = await rotate_keys(db, both, batch=2)
    assert report.unreadable == 0 and report.census.older == 0 and report.rehashed > 0
    assert report.passes == 2  # the second pass found nothing left to do

    new_only = Vault(NEW)
    after = await every_token(db)
    assert len(after) == len(started) and readable_by(new_only, after) == {0: len(after)}
    async with db.reader() as session:
        stored = (await session.exec(select(Submission).order_by(col(Submission.id)))).all()
    assert [new_only.decrypt(s.nik_enc or "") for s in stored] == [nik_of(n) for n in range(3)]
    assert all(s.nik_hash == new_only.keyed_hash(new_only.decrypt(s.nik_enc or "")) for s in stored)
    assert read_search(nik_of(1), new_only) == ("nik", [stored[1].nik_hash])

    # With the old key gone: the duplicate check, and the unfinished form, go on as before.
    service = engine_for(db, new_only, clock)
    assert "sudah punya pendaftaran" in await sign_up_again(service, nik_of(2))
    drafting = Chat(db, service, chat_id="tg-77")  # its answers so far were encrypted by the old key
    for line in ["ya", *HAPPY[7:], "kirim", "tidak"]:
        await drafting.send(line)
    async with db.reader() as session:
        last = (await session.exec(select(Submission).order_by(col(Submission.id).desc()))).first()
    assert last is not None and new_only.decrypt(last.nik_enc or "") == DRAFT_NIK
    assert new_only.decrypt(last.phone_enc or "") == "+6281311112222"
    census = await key_census(db, new_only)
    assert census.unreadable == 0 and census.by_key[0] > len(after)


async def test_rotation_while_people_enrol(db: Database, clock: FixedClock) -> None:
    """The service keeps writing (with the new key in front) while the rotation runs."""
    old_engine = engine_for(db, Vault(OLD), clock)
    for person in range(4):
        await enrol(old_engine, person)
    both = Vault(f"{NEW},{OLD}")
    service = engine_for(db, both, clock)
    people = asyncio.gather(*(enrol(service, person) for person in range(4, 10)))
    report, _ = await asyncio.gather(rotate_keys(db, both, batch=3), people)
    assert report.census.older == 0
    tokens = await every_token(db)
    assert readable_by(Vault(NEW), tokens) == {0: len(tokens)}
    async with db.reader() as session:
        niks = {Vault(NEW).decrypt(s.nik_enc or "") for s in (await session.exec(select(Submission))).all()}
    assert niks == {nik_of(n) for n in range(10)}


async def test_a_value_no_key_reads_is_reported_and_left_alone(db: Database, clock: FixedClock) -> None:
    await populate(db, Vault(OLD), clock, people=1)
    report = await rotate_keys(db, Vault(NEW))  # the old key was dropped too early
    assert report.unreadable > 0 and report.census.by_key == [0]
    assert readable_by(Vault(OLD), await every_token(db)) == {0: report.unreadable}


def test_a_new_secret_key_in_front_logs_nobody_out() -> None:
    """SECRET_KEY "new,old": sessions and forms signed with the old one still work, new ones
    are signed with the new one; without the old one they are refused (everyone logs in again)."""
    old = SessionCodec("old-secret", secure=True)
    both = SessionCodec("new-secret,old-secret", secure=True)
    new = SessionCodec("new-secret", secure=True)
    session = StaffSession(sid="s1")
    cookie, token = old.encode(session), old.csrf_token(session)
    assert both.decode(cookie) == session and both.csrf_ok(session, token)
    assert new.decode(cookie) is None and not new.csrf_ok(session, token)
    assert new.decode(both.encode(session)) == session and new.csrf_ok(session, both.csrf_token(session))
