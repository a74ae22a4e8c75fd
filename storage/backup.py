"""`bpu-bot backup FILE` and `bpu-bot restore FILE`: a consistent copy while the service runs, and
its restore into the configured database, refusing what would lose or garble data.

A restore refuses, before touching the target: a file that is not a backup or is damaged, a
backup of the other database kind, a schema newer than this code knows (restore with the newer
release, or upgrade this one first), a backup whose newest key is not among the configured keys
(its personal data would be unreadable), and a target that holds rows, unless `force` (then the
target's content is replaced). It then restores, checks the rows of every table against the
manifest, migrates the schema up to this code's head, and counts which configured key reads each
stored value.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from storage import pg_backup, sqlite_backup
from storage.backup_file import (
    DUMP_NAMES,
    BackupError,
    Manifest,
    digest,
    extract_dump,
    read_manifest,
    write_archive,
)
from storage.crypto import Vault
from storage.db import Database, sqlite_file
from storage.rotation import Census, key_census
from storage.types import utcnow

__all__ = ["BackupError", "Manifest", "RestoreReport", "make_backup", "read_manifest", "restore_backup"]


def _kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _sqlite_path(url: str) -> Path:
    path = sqlite_file(url)
    if path is None:
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return path


async def make_backup(url: str, vault: Vault, target: Path, *, now: datetime | None = None) -> Manifest:
    """Writes the backup of the database at `url` to `target`; returns its manifest."""
    kind = _kind(url)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".bpu-backup-") as folder:
        dump = Path(folder) / DUMP_NAMES[kind]
        if kind == "sqlite":
            revision, counts, tool = await asyncio.to_thread(sqlite_backup.dump, _sqlite_path(url), dump)
        else:
            revision, counts, tool = await pg_backup.dump(url, dump)
        size, sha = digest(dump)
        manifest = Manifest(
            database=kind,
            schema_version=revision,
            created_at=(now or utcnow()).isoformat(),
            tables=counts,
            key_fingerprints=list(vault.fingerprints),
            tool=tool,
            dump=DUMP_NAMES[kind],
            dump_bytes=size,
            dump_sha256=sha,
        )
        await asyncio.to_thread(write_archive, target, manifest, dump)
    return manifest


@dataclass
class RestoreReport:
    manifest: Manifest
    replaced_rows: int
    """Rows the target held before (only with `force`)."""
    migrated_to: str | None
    census: Census
    warnings: list[str] = field(default_factory=list)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return {revision.revision for revision in script.walk_revisions()}


def check_restorable(manifest: Manifest, url: str, vault: Vault) -> list[str]:
    """Refuses a backup this code or these keys cannot restore; returns warnings worth printing."""
    if manifest.database != _kind(url):
        raise BackupError(
            f"this is a {manifest.database} backup and DATABASE_URL is a {_kind(url)} database:"
            " restore into the same kind of database"
        )
    if manifest.schema_version is not None and manifest.schema_version not in _known_revisions():
        raise BackupError(
            f"the backup's schema ({manifest.schema_version}) is newer than this bpu-bot knows:"
            " restore it with the release that made it (or a later one)"
        )
    if manifest.key_fingerprint not in vault.fingerprints:
        raise BackupError(
            f"the backup was made with the PII key {manifest.key_fingerprint} and PII_ENCRYPTION_KEY"
            f" holds {', '.join(vault.fingerprints)}: put the backup's key in PII_ENCRYPTION_KEY"
            " (after the newer one, comma-separated), or its personal data cannot be read"
        )
    missing = [fp for fp in manifest.key_fingerprints[1:] if fp not in vault.fingerprints]
    if missing:
        return [
            f"keys {', '.join(missing)} were also configured when the backup was made: values still"
            " under them (a rotation that had not finished) will not be readable; see the count below"
        ]
    return []


async def _contents(url: str) -> tuple[str | None, dict[str, int]]:
    """The schema revision and the rows of each table of the database at `url`."""
    if _kind(url) == "sqlite":
        return await asyncio.to_thread(sqlite_backup.contents, _sqlite_path(url))
    return await pg_backup.contents(url)


def _rows(counts: dict[str, int]) -> int:
    return sum(n for name, n in counts.items() if name != "alembic_version")


async def restore_backup(url: str, vault: Vault, source: Path, *, force: bool = False) -> RestoreReport:
    """Restores `source` into the database at `url`; see the module for what it refuses."""
    from storage.migrate import upgrade

    manifest = await asyncio.to_thread(read_manifest, source)
    warnings = check_restorable(manifest, url, vault)
    rows = _rows((await _contents(url))[1])
    if rows and not force:
        raise BackupError(
            f"the target database holds {rows} rows: restoring would replace them. Point DATABASE_URL"
            " at an empty database, or add --force to replace its content"
        )
    kind = manifest.database
    with tempfile.TemporaryDirectory(prefix=".bpu-restore-", dir=_work_dir(url)) as folder:
        dump = await asyncio.to_thread(extract_dump, source, manifest, Path(folder))
        if kind == "sqlite":
            await asyncio.to_thread(sqlite_backup.check, dump)
            await asyncio.to_thread(sqlite_backup.restore, dump, _sqlite_path(url))
        else:
            await pg_backup.restore(url, dump)
    _revision, counts = await _contents(url)
    if counts != manifest.tables:
        tables = set(counts) | set(manifest.tables)
        differ = sorted(name for name in tables if counts.get(name) != manifest.tables.get(name))
        raise BackupError(f"the restored rows differ from the manifest in: {', '.join(differ)}")
    await asyncio.to_thread(upgrade, url)
    revision, _counts = await _contents(url)
    db = Database(url)
    try:
        census = await key_census(db, vault)
    finally:
        await db.dispose()
    return RestoreReport(manifest, rows, revision, census, warnings)


def _work_dir(url: str) -> str | None:
    """Where to extract: beside a SQLite target (same disk, enough room); else the temp folder."""
    if _kind(url) == "sqlite":
        folder = _sqlite_path(url).parent
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder)
    return None
