"""`bpu-bot staff ...` as an operator runs it: accounts, passwords from stdin, tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.test_cli import bpu_bot, cli_env

pytestmark = pytest.mark.slow  # each call starts a `bpu-bot` process, like tests/ops/test_cli.py

STRONG = "gudeg-manggar-pagi\n"


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    return cli_env(db_url)


def test_accounts_from_add_to_disable(tmp_path: Path, env: dict[str, str]) -> None:
    def staff(*args: str, stdin: str = "") -> tuple[int, str, str]:
        result = bpu_bot("staff", *args, cwd=tmp_path, env=env, stdin=stdin)
        return result.returncode, result.stdout, result.stderr

    code, out, err = staff("add", "Ani", "--branch", "KC-MADIUN", "--role", "staff", stdin=STRONG)
    assert code == 0 and "created ani (staff)" in out, err
    code, _, err = staff("add", "root", "--role", "admin", stdin=STRONG)
    assert code == 0, err
    code, _, err = staff(
        "add", "dinas", "--role", "mitra", "--regency", "35.77", "--regency", "35.19", stdin=STRONG
    )
    assert code == 0, err

    for weak in ("rahasia\n", "1234567890\n", "lemah12345678\n"):
        code, _, err = staff("add", "lemah", "--branch", "KC-MADIUN", "--role", "staff", stdin=weak)
        assert code == 2 and "weak password" in err, err
    code, _, err = staff("add", "ani", "--branch", "KC-MADIUN", "--role", "staff", stdin=STRONG)
    assert code == 2 and "sudah dipakai" in err
    code, _, err = staff("add", "x1", "--branch", "KC-ENTAH", "--role", "staff", stdin=STRONG)
    assert code == 2 and "tidak dikenal" in err
    code, _, err = staff("add", "x2", "--role", "staff", stdin=STRONG)
    assert code == 2 and "kode cabang" in err

    code, out, _ = staff("list")
    lines = {line.split("\t")[0]: line.split("\t") for line in out.splitlines()}
    assert lines["ani"][1:4] == ["staff", "KC-MADIUN", "active"]
    assert lines["dinas"][1:3] == ["mitra", "35.77,35.19"]
    assert "lemah" not in lines

    code, token, err = staff("token", "ani")
    token = token.strip()
    assert code == 0 and token.startswith("bpu_") and len(token) > 40, err
    code, again, _ = staff("token", "ani")
    assert again.strip() != token
    code, out, _ = staff("list")
    assert "tokens=2" in out
    code, _, err = staff("token", "ani", "--revoke")
    assert code == 0 and "revoked 2" in err

    code, out, err = staff("password", "ani", stdin="kopi-tubruk-sore-hari\n")
    assert code == 0 and "password changed" in out, err
    code, _, err = staff("password", "ani", stdin="pendek\n")
    assert code == 2
    code, out, _ = staff("disable", "ani")
    assert code == 0 and "0 sign-up(s) and 0 callback request(s) handed to the unassigned queue" in out
    code, _, err = staff("disable", "ani", "--hand-to", "nobody")
    assert code == 2 and "bukan petugas" in err
    listed = {line.split("\t")[0]: line.split("\t")[3] for line in staff("list")[1].splitlines()}
    assert listed["ani"] == "disabled"
    code, _, err = staff("disable", "nobody")
    assert code == 2 and "tidak ada" in err


def test_a_printed_token_opens_the_api(tmp_path: Path, env: dict[str, str]) -> None:
    """The token `staff token` prints is the bearer the in-process app accepts (same database)."""
    import asyncio

    from tests.support.api_helpers import site

    assert (
        bpu_bot(
            "staff",
            "add",
            "eka",
            "--branch",
            "KC-MADIUN",
            "--role",
            "supervisor",
            cwd=tmp_path,
            env=env,
            stdin=STRONG,
        ).returncode
        == 0
    )
    token = bpu_bot("staff", "token", "eka", cwd=tmp_path, env=env).stdout.strip()

    async def call() -> int:
        async with site(env["DATABASE_URL"]) as running, running.client(token) as api:
            return (await api.get("/api/v1/submissions")).status_code

    assert asyncio.run(call()) == 200
