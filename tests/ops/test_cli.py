"""The command line, as a person runs it: `bpu-bot db upgrade`, then `bpu-bot chat` with piped input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def bpu_bot(*args: str, cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def cli_env(db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_"))}
    env.update(
        DATABASE_URL=db_url,
        PII_ENCRYPTION_KEY=Fernet.generate_key().decode(),
        SECRET_KEY="test-secret",
        PYTHONPATH=str(ROOT),
        AGENT_CODES_FILE=str(ROOT / "tests" / "data" / "agent_codes.toml"),
    )
    return env


def test_chat_shows_menu_benefits_and_a_calculation(tmp_path: Path, db_url: str) -> None:
    env = cli_env(db_url)
    conversation = "halo\n1\n1\nselengkapnya\nmenu\niuran\n2jt\n2\n"
    result = bpu_bot("chat", "--user", "tester", cwd=tmp_path, env=env, stdin=conversation)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  1. Manfaat program" in out and "  6. Bantuan" in out
    assert "Jaminan Kecelakaan Kerja" in out and "jalan ke pasar" in out
    # Today's figures for Rp2.000.000 (general work): normal or discounted, both from the data file.
    assert "Rp26.800" in out and "Rp66.800" in out
    assert "12 bulan" in out


@pytest.mark.slow  # starts two processes
def test_a_second_run_continues_the_same_conversation(tmp_path: Path, db_url: str) -> None:
    env = cli_env(db_url)
    bpu_bot("chat", "--user", "same", cwd=tmp_path, env=env, stdin="iuran\n")
    result = bpu_bot("chat", "--user", "same", cwd=tmp_path, env=env, stdin="1,5 juta\n")
    assert "pekerjaan" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow  # starts two processes
def test_fresh_sqlite_database_is_created_by_db_upgrade(tmp_path: Path) -> None:
    env = cli_env("sqlite+aiosqlite:///var/fresh.db")
    not_migrated = bpu_bot("chat", cwd=tmp_path, env=env, stdin="halo\n")
    assert not_migrated.returncode == 2 and "bpu-bot db upgrade" in not_migrated.stderr
    assert bpu_bot("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "var" / "fresh.db").exists()
    assert "Halo" in bpu_bot("chat", cwd=tmp_path, env=env, stdin="halo\n").stdout


def test_a_malformed_setting_is_named(tmp_path: Path) -> None:
    env = cli_env("sqlite+aiosqlite:///var/x.db")
    env["PORT"] = "eighty"
    result = bpu_bot("db", "upgrade", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "PORT" in result.stderr
