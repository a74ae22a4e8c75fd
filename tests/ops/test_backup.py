"""`bpu-bot backup` while people enrol, `restore` into a fresh database, and every refusal: a newer
schema, a key that does not match, a non-empty target, a damaged file, the other database kind."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlmodel import col, select
from typer.testing import CliRunner

from bot.cli import app
from storage import pg_backup
from storage.backup import BackupError, make_backup, read_manifest, restore_backup
from storage.backup_file import MANIFEST, Manifest
from storage.crypto import Vault
from storage.db import Database
from storage.models import Contact, Conversation, OutboxMessage, Submission
from storage.schema_version import SCHEMA_HEAD
from tests.support.helpers import FixedClock
from tests.support.ops_seed import engine_for, enrol, fresh_database, nik_of, populate

KEY, OTHER = Fernet.generate_key().decode(), Fernet.generate_key().decode()
MOST_PEOPLE = 300
"""The lanes' bound: they stop soon after the backup ends, far below it."""


@pytest.fixture(autouse=True)
def _client_tools(db_url: str) -> None:
    """PostgreSQL backups need its client tools; without them there is nothing to test."""
    missing = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
    if not db_url.startswith("sqlite") and missing:
        pytest.skip(f"{', '.join(missing)} not installed (Debian package postgresql-client)")


async def rows(
    db: Database,
) -> tuple[list[Submission], list[OutboxMessage], list[Contact], list[Conversation]]:
    async with db.reader() as session:
        return (
            list((await session.exec(select(Submission).order_by(col(Submission.id)))).all()),
            list((await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))).all()),
            list((await session.exec(select(Contact).order_by(col(Contact.id)))).all()),
            list((await session.exec(select(Conversation))).all()),
        )


async def test_a_backup_made_while_people_enrol_restores_every_row(
    db: Database, db_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    vault = Vault(KEY)
    engine = engine_for(db, vault, clock)
    for person in range(2):
        await enrol(engine, person)
    finished: list[int] = []
    under_way, backed_up = asyncio.Event(), asyncio.Event()
    people = iter(range(2, MOST_PEOPLE))

    async def lane() -> None:  # people one after another, three lanes at a time
        for person in people:
            begun_after_the_backup = backed_up.is_set()
            await enrol(engine, person)
            finished.append(person)
            if len(finished) == 3:
                under_way.set()
            if begun_after_the_backup:  # each lane enrols one person wholly after the copy, then stops
                return

    lanes = asyncio.gather(*(lane() for _ in range(3)))
    await under_way.wait()
    manifest = await make_backup(db_url, vault, tmp_path / "during.tar.gz")
    backed_up.set()
    people_when_the_backup_ended = len(finished)
    await lanes
    # The lanes went on during the backup and the backup did not wait for a quiet moment: it ended
    # long before the lanes ran out of people.
    assert people_when_the_backup_ended < MOST_PEOPLE - 2 - 3
    total = 2 + len(finished)

    assert manifest.schema_version == SCHEMA_HEAD and manifest.key_fingerprints == [vault.fingerprints[0]]
    assert 5 <= manifest.tables["submission"] < total  # a copy of one moment, taken while people enrolled
    source_submissions, source_outbox, _contacts, _conversations = await rows(db)
    async with fresh_database(db_url, tmp_path, "restore") as target:
        report = await restore_backup(target, vault, tmp_path / "during.tar.gz")
        restored = Database(target)
        try:
            submissions, outbox, contacts, conversations = await rows(restored)
        finally:
            await restored.dispose()
    assert report.census.unreadable == 0 and report.census.by_key[0] > 0 and report.migrated_to == SCHEMA_HEAD
    assert len(submissions) == manifest.tables["submission"] and len(outbox) == manifest.tables["outbox"]
    by_reference = {s.reference: s for s in source_submissions}
    for submission in submissions:  # each is the very row the service wrote, NIK readable
        assert by_reference[submission.reference].nik_enc == submission.nik_enc
        assert vault.decrypt(submission.nik_enc or "") in {nik_of(n) for n in range(total)}
        # One message, one transaction: the reply that told its reference is in the copy too.
        assert any(
            submission.reference in str(o.payload) for o in outbox if o.contact_id == submission.contact_id
        )
    assert {nik_of(0), nik_of(1)} <= {vault.decrypt(s.nik_enc or "") for s in submissions}
    source_payloads = {o.id: o.payload for o in source_outbox}
    assert all(source_payloads[o.id] == o.payload for o in outbox)
    assert {c.contact_id for c in conversations} == {c.id for c in contacts}  # no contact without its state


@pytest.fixture
async def small_backup(db: Database, db_url: str, clock: FixedClock, tmp_path: Path) -> Path:
    await populate(db, Vault(KEY), clock, people=1)
    file = tmp_path / "small.tar.gz"
    await make_backup(db_url, Vault(KEY), file)
    return file


def rewritten(file: Path, folder: Path, **changes: object) -> Path:
    """The backup with its manifest changed."""
    manifest = dataclasses.replace(read_manifest(file), **changes)  # type: ignore[arg-type]
    target = folder / "changed.tar.gz"
    with tarfile.open(file, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            if member.name == MANIFEST:
                (folder / MANIFEST).write_text(manifest.to_json())
                out.add(folder / MANIFEST, arcname=MANIFEST)
            else:
                out.addfile(member, source.extractfile(member))
    return target


async def test_a_newer_schema_is_refused(small_backup: Path, db_url: str, tmp_path: Path) -> None:
    newer = rewritten(small_backup, tmp_path, schema_version="0099")
    async with fresh_database(db_url, tmp_path, "newer") as target:
        with pytest.raises(BackupError, match=r"schema \(0099\) is newer"):
            await restore_backup(target, Vault(KEY), newer)


async def test_a_key_that_is_not_configured_is_refused_and_one_among_several_is_fine(
    small_backup: Path, db_url: str, tmp_path: Path
) -> None:
    async with fresh_database(db_url, tmp_path, "keys") as target:
        with pytest.raises(BackupError, match="made with the PII key"):
            await restore_backup(target, Vault(OTHER), small_backup)
        # The backup's key after a newer one: every value is read (and `keys rotate` moves them on).
        report = await restore_backup(target, Vault(f"{OTHER},{KEY}"), small_backup)
    assert report.census.by_key[0] == 0 and report.census.by_key[1] > 0 and report.census.unreadable == 0


async def test_a_target_with_rows_is_refused_unless_forced(
    small_backup: Path, db: Database, db_url: str, clock: FixedClock, tmp_path: Path
) -> None:
    async with fresh_database(db_url, tmp_path, "busy") as target:
        await restore_backup(target, Vault(KEY), small_backup)
        other = Database(target)
        try:
            await enrol(engine_for(other, Vault(KEY), clock), 7)  # someone enrols in the target
            with pytest.raises(BackupError, match=r"holds \d+ rows"):
                await restore_backup(target, Vault(KEY), small_backup)
            assert len((await rows(other))[0]) == 2  # untouched
            report = await restore_backup(target, Vault(KEY), small_backup, force=True)
            assert report.replaced_rows > 0
            assert [s.reference for s in (await rows(other))[0]] == [s.reference for s in (await rows(db))[0]]
        finally:
            await other.dispose()


async def test_a_damaged_file_or_the_other_database_kind_is_refused(
    small_backup: Path, db_url: str, tmp_path: Path
) -> None:
    manifest = read_manifest(small_backup)
    async with fresh_database(db_url, tmp_path, "damaged") as target:
        with pytest.raises(BackupError, match="damaged"):
            await restore_backup(target, Vault(KEY), rewritten(small_backup, tmp_path, dump_sha256="0" * 64))
        other_kind = "postgresql" if manifest.database == "sqlite" else "sqlite"
        with pytest.raises(BackupError, match="restore into the same kind"):
            await restore_backup(target, Vault(KEY), rewritten(small_backup, tmp_path, database=other_kind))
        (tmp_path / "not.tar.gz").write_bytes(b"hello")
        with pytest.raises(BackupError, match="not a readable bpu-bot backup"):
            await restore_backup(target, Vault(KEY), tmp_path / "not.tar.gz")


def test_the_manifest_names_no_key() -> None:
    manifest = Manifest(
        "sqlite", "0016", "2026-12-06T00:00:00+00:00", {}, list(Vault(KEY).fingerprints), "t", "d", 1, "x"
    )
    assert KEY not in manifest.to_json() and Manifest.from_json(manifest.to_json()) == manifest


def test_backup_and_restore_from_the_command_line(small_backup: Path, db_url: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": db_url, "PII_ENCRYPTION_KEY": KEY, "SECRET_KEY": "test-secret"}
    cli = CliRunner()
    made = cli.invoke(app, ["backup", str(tmp_path / "b.tar.gz")], env=env)
    assert made.exit_code == 0 and "wrote" in made.stdout, made.output
    again = cli.invoke(app, ["backup", str(tmp_path / "b.tar.gz")], env=env)
    assert again.exit_code == 2 and "--overwrite" in again.output
    refused = cli.invoke(app, ["restore", str(tmp_path / "b.tar.gz")], env=env)
    assert refused.exit_code == 2 and "--force" in refused.output  # its own database holds rows
    forced = cli.invoke(app, ["restore", "--force", str(tmp_path / "b.tar.gz")], env=env)
    assert forced.exit_code == 0 and "(newest)" in forced.stdout, forced.output
    wrong_key = env | {"PII_ENCRYPTION_KEY": OTHER}
    assert cli.invoke(app, ["restore", "--force", str(small_backup)], env=wrong_key).exit_code == 2


async def test_without_pg_dump_the_documented_call_is_given() -> None:
    with pytest.raises(BackupError, match="pg_dump --format=custom"):
        await pg_backup.tool("pg_dump-not-installed")
