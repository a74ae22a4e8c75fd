"""SQLite's side of backup and restore, with the standard library's sqlite3 (run in a thread).

The copy is `VACUUM INTO`: one read transaction, so a consistent snapshot while the service
writes (WAL lets readers and the writer go on together), compacted. The restore writes the
backup into the target through SQLite's online backup API, page by page under SQLite's own
locking, so a connection left open on the target sees the restored database, not a file
swapped under it.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from storage.backup_file import BackupError

BUSY_MS = 30_000


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout={BUSY_MS}")
    return connection


def contents(path: Path) -> tuple[str | None, dict[str, int]]:
    """The schema revision and rows per table of a SQLite file (nothing when it does not exist)."""
    if not path.exists():
        return None, {}
    with closing(_connect(path)) as connection:
        names = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
        revision = None
        if "alembic_version" in counts:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = found[0] if found else None
    return revision, counts


def dump(source: Path, file: Path) -> tuple[str | None, dict[str, int], str]:
    """Copies the database into `file`; returns (schema revision, rows per table, the tool),
    read from the copy itself."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    with closing(_connect(source)) as connection:
        connection.execute("VACUUM INTO ?", (str(file),))
    revision, counts = contents(file)
    return revision, counts, f"sqlite {sqlite3.sqlite_version} VACUUM INTO"


def check(file: Path) -> None:
    with closing(_connect(file)) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"the backup's database fails SQLite's integrity check: {result}")


def restore(file: Path, target: Path) -> None:
    """Writes the database `file` over `target` (created if missing) with the backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(file)) as source, closing(_connect(target)) as destination:
        source.backup(destination)
