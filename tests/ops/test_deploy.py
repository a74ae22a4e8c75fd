"""The deployment in docs/deploy: its files pass the tools that read them (check.sh), and the service
runs as the PostgreSQL runtime role of postgres/roles.sql, which may read and write rows only."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import make_url, text
from sqlalchemy.exc import ProgrammingError

from bot.retention import apply_retention
from storage.backup import BackupError, make_backup, restore_backup
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.rotation import rotate_keys
from tests.conftest import PG_URL
from tests.ops.test_cli import cli_env
from tests.ops.test_web import free_port
from tests.support.helpers import FixedClock
from tests.support.ops_seed import engine_for, enrol

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
TOOLS = ("systemd-analyze", "nginx", "promtool", "openssl")


def test_the_deploy_files_pass_their_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"{', '.join(missing)} not installed (Debian packages systemd, nginx, prometheus, openssl;"
            " .ci/run installs them)"
        )
    result = subprocess.run([str(DEPLOY / "check.sh")], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok: 6 units" in result.stdout and "ok: nginx -t" in result.stdout
    assert "SUCCESS: 9 rules found" in result.stdout and result.stdout.count("SUCCESS") == 2


@pytest.fixture
def roles(db_url: str) -> Iterator[tuple[str, str]]:
    """A database made by postgres/roles.sql: (the owner's URL, the runtime role's URL)."""
    if PG_URL is None:
        pytest.skip("PostgreSQL only: SQLite has no roles (set TEST_DATABASE_URL)")
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed (Debian package postgresql-client)")
    url = make_url(db_url)
    names = {
        "database": f"{url.database}_roles",
        "owner": f"{url.database}_owner",
        "app": f"{url.database}_app",
    }
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def drop() -> None:
        statements = [
            f'DROP DATABASE IF EXISTS "{names["database"]}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{names["owner"]}"',
            f'DROP ROLE IF EXISTS "{names["app"]}"',
        ]
        for sql in statements:
            subprocess.run([psql, admin, "-qc", sql], check=True, capture_output=True)

    drop()
    variables = [
        f"-v{k}={v}" for k, v in (names | {"owner_password": "owner-pw", "app_password": "app-pw"}).items()
    ]
    made = subprocess.run(
        [psql, admin, "-q", *variables, "-f", str(DEPLOY / "postgres" / "roles.sql")],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    as_role = {
        role: url.set(
            username=names[role], password=f"{role}-pw", database=names["database"]
        ).render_as_string(hide_password=False)
        for role in ("owner", "app")
    }
    try:
        yield as_role["owner"], as_role["app"]
    finally:
        drop()


def serve_once(app_url: str, folder: Path, key: str) -> dict[str, object]:
    """Starts `bpu-bot serve` as the runtime role; returns its /healthz once the retention ran."""
    port = free_port()
    env = cli_env(app_url) | {"PORT": str(port), "PII_ENCRYPTION_KEY": key}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"], cwd=folder, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                health: dict[str, object] = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            if health["retention"] != {"last_run": None}:  # the first hourly run is at start
                return health
            time.sleep(0.2)
        raise AssertionError("serve did not become healthy")
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_the_service_needs_only_rights_on_rows(
    roles: tuple[str, str], tmp_path: Path, clock: FixedClock
) -> None:
    owner_url, app_url = roles
    key, newer = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    upgrade(owner_url)  # bpu-bot-migrate.service, as the owner
    health = serve_once(app_url, tmp_path, key)
    assert (health["status"], health["database"]) == ("ok", "ok")

    async def as_the_runtime_role() -> None:
        db = Database(app_url)
        try:
            for person in range(2):
                await enrol(engine_for(db, Vault(key), clock), person)
            await apply_retention(db, clock(), draft_expiry_days=7, trigger="command")
            assert (await rotate_keys(db, Vault(f"{newer},{key}"))).census.older == 0
            await make_backup(app_url, Vault(newer), tmp_path / "b.tar.gz")
            with pytest.raises(ProgrammingError, match="permission denied"):
                async with db.transaction() as session:
                    await session.exec(text("CREATE TABLE intruder (i int)"))  # type: ignore[call-overload]
        finally:
            await db.dispose()
        with pytest.raises(BackupError, match="owns the schema"):
            await restore_backup(app_url, Vault(newer), tmp_path / "b.tar.gz", force=True)
        report = await restore_backup(owner_url, Vault(newer), tmp_path / "b.tar.gz", force=True)
        assert report.census.by_key[0] > 0 and report.census.unreadable == 0
        db = Database(app_url)  # the restored tables are the runtime role's to use, by default privileges
        try:
            await enrol(engine_for(db, Vault(newer), clock), 5)
        finally:
            await db.dispose()

    asyncio.run(as_the_runtime_role())
