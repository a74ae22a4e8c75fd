"""PostgreSQL's side of backup and restore: `pg_dump` inside a snapshot the manifest is read in,
and `pg_restore` into a cleared schema.

The dump runs with `--snapshot` of a REPEATABLE READ transaction this module holds open, so the
row counts in the manifest and the rows in the dump are the same moment, while the service
keeps writing. pg_dump refuses a server newer than itself, so the client tools must be of the
server's major version or newer; `check_tools` says which client to install.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from storage.backup_file import BackupError

DUMP_CALL = "pg_dump --format=custom --file=bpu.pgdump 'postgresql://USER@HOST:5432/DATABASE'"

# Every object of the schema the migrations create, dropped before a restore.
_CLEAR_SCHEMA = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename);
    END LOOP;
    FOR r IN SELECT sequence_name FROM information_schema.sequences
             WHERE sequence_schema = current_schema() LOOP
        EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequence_name);
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() LOOP
        EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.signature);
    END LOOP;
END $$;
"""


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The SQLAlchemy URL as a libpq one for the client tools, and the environment that carries
    the password (PGPASSWORD), so it never shows in a process list."""
    parsed = make_url(url)
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


async def _connect(url: str) -> asyncpg.Connection:
    dsn, env = libpq(url)
    return await asyncpg.connect(dsn, password=env.get("PGPASSWORD"))


def _major(version: str) -> int:
    found = re.search(r"(\d+)(?:\.\d+)?", version)
    if found is None:
        raise BackupError(f"cannot read a PostgreSQL version from {version!r}")
    return int(found.group(1))


async def tool(name: str) -> tuple[str, int]:
    """The tool's path and major version; BackupError saying what to install when missing."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (Debian: apt-get install postgresql-client). The database can"
            f" still be dumped by hand with the client of the server's version: {DUMP_CALL}"
        )
    process = await asyncio.create_subprocess_exec(path, "--version", stdout=asyncio.subprocess.PIPE)
    out, _ = await process.communicate()
    return path, _major(out.decode())


async def check_tools(connection: asyncpg.Connection, name: str) -> tuple[str, str]:
    """(path, "pg_dump 15") for pg_dump or pg_restore, refusing one older than the server."""
    path, major = await tool(name)
    server = int(await connection.fetchval("SHOW server_version_num")) // 10000
    if major < server:
        raise BackupError(
            f"{name} {major} is older than the PostgreSQL {server} server: install"
            f" postgresql-client-{server} (a client is never older than its server)"
        )
    return path, f"{name} {major} (server {server})"


async def _run(argv: Sequence[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *argv, env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    _out, err = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed ({process.returncode}): {err.decode().strip()}")


async def _counts(connection: asyncpg.Connection) -> dict[str, int]:
    names = await connection.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    counts = {}
    for row in names:
        quoted = '"' + row["tablename"].replace('"', '""') + '"'
        counts[row["tablename"]] = int(await connection.fetchval(f"SELECT count(*) FROM {quoted}"))
    return counts


async def _revision(connection: asyncpg.Connection, counts: dict[str, int]) -> str | None:
    if "alembic_version" not in counts:
        return None
    revision: str | None = await connection.fetchval("SELECT version_num FROM alembic_version")
    return revision


async def dump(url: str, file: Path) -> tuple[str | None, dict[str, int], str]:
    """Dumps the database into `file`; returns (schema revision, rows per table, the tool used),
    all read in the snapshot the dump was made from."""
    connection = await _connect(url)
    try:
        path, used = await check_tools(connection, "pg_dump")
        transaction = connection.transaction(isolation="repeatable_read", readonly=True)
        await transaction.start()
        try:
            snapshot = await connection.fetchval("SELECT pg_export_snapshot()")
            counts = await _counts(connection)
            revision = await _revision(connection, counts)
            dsn, env = libpq(url)
            await _run(
                [path, "--format=custom", f"--snapshot={snapshot}", f"--file={file}", f"--dbname={dsn}"], env
            )
        finally:
            await transaction.rollback()
    finally:
        await connection.close()
    return revision, counts, used


async def contents(url: str) -> tuple[str | None, dict[str, int]]:
    """The schema revision and rows per table of the target database."""
    connection = await _connect(url)
    try:
        counts = await _counts(connection)
        return await _revision(connection, counts), counts
    finally:
        await connection.close()


async def restore(url: str, file: Path) -> str:
    """Drops every table, sequence and function of the target's schema, then restores `file`
    (objects owned by the connecting role, no grants: the target's own default privileges apply)."""
    connection = await _connect(url)
    try:
        path, used = await check_tools(connection, "pg_restore")
        try:
            await connection.execute(_CLEAR_SCHEMA)
        except asyncpg.InsufficientPrivilegeError as exc:
            raise BackupError(
                "the role in DATABASE_URL may not drop and create tables: restore as the role that"
                " owns the schema (migrate.env's DATABASE_URL; `bpu-bot-admin --owner restore FILE`)"
            ) from exc
    finally:
        await connection.close()
    dsn, env = libpq(url)
    argv = [
        path,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={dsn}",
    ]
    await _run([*argv, str(file)], env)
    return used
