"""Whole enrolments through `bpu-bot chat`, checked with `bpu-bot export`, as a branch would."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.handlers.test_enrol_flow import HAPPY, MAN_NIK, WOMAN_NIK
from tests.ops.test_cli import bpu_bot, cli_env

# Each test starts several `bpu-bot chat` and `bpu-bot export` processes (seconds each on a busy
# machine); the same enrolments run in-process in test_enrol_flow.py. CI runs these too.
pytestmark = pytest.mark.slow


@pytest.fixture
def env(db_url: str) -> dict[str, str]:
    return cli_env(db_url)


def chat(tmp_path: Path, env: dict[str, str], lines: list[str], user: str = "warga") -> str:
    result = bpu_bot("chat", "--user", user, cwd=tmp_path, env=env, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return result.stdout


def exported(tmp_path: Path, env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    result = bpu_bot("export", "--format", "json", "--reveal-nik", *args, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


EXPECTED = {
    "status": "baru",
    "branch": "KC-MADIUN",
    "name": "Siti Aminah",
    "nik": WOMAN_NIK,
    "birth_date": "1985-08-07",  # JSON is for programs: ISO 8601
    "sex": "Perempuan",
    "phone": "+6281234567890",  # and E.164
    "regency_code": "35.77",
    "regency_name": "Kota Madiun",
    "district": "Kartoharjo",
    "ktp_address": "Jl. Merpati 12 RT 03/RW 05, Kel. Kanigoro",
    "occupation": "Pedagang pasar / keliling",
    "income": 1_500_000,
    "programs": "JKK + JKM + JHT",
    "payment_period_months": 3,
    "channel": "console",
    "attribution_code": None,
}


def assert_expected(row: dict[str, Any], **changes: Any) -> None:
    for key, value in (EXPECTED | changes).items():
        assert row[key] == value, key


def test_a_whole_enrolment_reaches_the_export(tmp_path: Path, env: dict[str, str]) -> None:
    out = chat(tmp_path, env, [*HAPPY, "kirim", "2"])
    assert "Nomor pendaftaran" in out
    rows = exported(tmp_path, env)
    assert len(rows) == 1
    assert_expected(rows[0])
    assert rows[0]["reference"] in out


class ChatProcess:
    """`bpu-bot chat` fed one line at a time, so it can be killed between two answers."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat", "--user", "warga"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, text: str, expect: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        seen = ""
        while expect not in seen:
            seen += self.lines.get(timeout=60)

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def test_killed_mid_form_continues_after_a_restart(tmp_path: Path, env: dict[str, str]) -> None:
    first = ChatProcess(tmp_path, env)
    first.send("daftar", "setuju")
    first.send("setuju", "NIK")
    first.send(WOMAN_NIK, "nama lengkap")
    first.send("siti aminah", "tanggal lahir")
    first.send("07-08-1985", "nomor HP")
    first.kill()  # the process dies between two answers

    out = chat(tmp_path, env, ["halo"])
    # Still at the phone step: "halo" is read as the number ("Nomor HP belum bisa kami baca"),
    # after the phone question again when the kill cut its delivery off before it was recorded.
    assert "belum selesai" in out or "nomor hp" in out.lower()
    chat(tmp_path, env, ["lanjutkan", *HAPPY[5:], "kirim", "2"])
    rows = exported(tmp_path, env)
    assert len(rows) == 1
    assert_expected(rows[0])


def test_editing_two_fields_from_the_summary(tmp_path: Path, env: dict[str, str]) -> None:
    chat(
        tmp_path,
        env,
        [*HAPPY, "ubah", "nama", "Siti Aminah Rahayu", "ubah", "Nomor HP", "0857 1234 5678", "kirim", "2"],
    )
    rows = exported(tmp_path, env)
    assert len(rows) == 1
    assert_expected(rows[0], name="Siti Aminah Rahayu", phone="+6285712345678")


def test_a_duplicate_nik_is_refused_without_revealing_the_sign_up(
    tmp_path: Path, env: dict[str, str]
) -> None:
    chat(tmp_path, env, [*HAPPY, "kirim", "2"])
    reference = exported(tmp_path, env)[0]["reference"]
    out = chat(tmp_path, env, ["daftar", "setuju", WOMAN_NIK], user="other-phone")
    assert reference not in out and "sudah punya pendaftaran" in out
    assert len(exported(tmp_path, env)) == 1


def test_deleting_data(tmp_path: Path, env: dict[str, str]) -> None:
    answers = [*HAPPY]
    answers[2], answers[4] = MAN_NIK, "12-03-1990"
    chat(tmp_path, env, [*answers, "kirim", "2"], user="budi")
    chat(tmp_path, env, [*HAPPY, "kirim", "2"])
    out = chat(tmp_path, env, ["hapus data", "ya"])
    assert "sudah kami hapus" in out
    rows = {row["status"]: row for row in exported(tmp_path, env)}
    assert rows["dibatalkan"]["nik"] is None and rows["dibatalkan"]["name"] is None
    assert rows["dibatalkan"]["phone"] is None and rows["dibatalkan"]["ktp_address"] is None
    assert rows["baru"]["nik"] == MAN_NIK  # the other person's sign-up is untouched


def test_export_filters_masks_and_formats(tmp_path: Path, env: dict[str, str]) -> None:
    chat(tmp_path, env, [*HAPPY, "kirim", "2"])
    masked = json.loads(bpu_bot("export", "--format", "json", cwd=tmp_path, env=env).stdout)
    assert masked[0]["nik"] == "357701******0001"
    assert exported(tmp_path, env, "--status", "diproses") == []
    assert exported(tmp_path, env, "--branch", "KC-KUDUS") == []
    assert len(exported(tmp_path, env, "--branch", "KC-MADIUN", "--status", "baru")) == 1
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"queue.{fmt}"
        result = bpu_bot("export", "--format", fmt, "--output", str(target), cwd=tmp_path, env=env)
        assert result.returncode == 0 and target.stat().st_size > 0
    csv_text = (tmp_path / "queue.csv").read_text(encoding="utf-8-sig")
    assert "357701******0001" in csv_text and WOMAN_NIK not in csv_text
    assert ",0812-3456-7890," in csv_text  # the national form: text a tap calls, nothing to neutralise
    assert ",07-08-1985," in csv_text and " WIB," in csv_text  # dates and local times as people read them
    assert masked[0]["created_at"].endswith("+07:00")  # JSON: ISO 8601 with the offset
    bad = bpu_bot("export", "--format", "pdf", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "--format" in bad.stderr


def test_callback_requests_export(tmp_path: Path, env: dict[str, str]) -> None:
    """`--callbacks`: the open requests with the number to call, in each format's style; audited."""
    out = chat(tmp_path, env, ["minta ditelepon", "0812-3456-7890", "kota madiun", "bisa bayar di mana?"])
    assert "paling lambat" in out
    result = bpu_bot("export", "--callbacks", "--format", "json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert (row["branch"], row["phone"], row["question"]) == (
        "KC-MADIUN",
        "+6281234567890",
        "bisa bayar di mana?",
    )
    assert row["created_at"].endswith("+07:00")
    target = tmp_path / "telepon.csv"
    result = bpu_bot(
        "export", "--callbacks", "--branch", "KC-MADIUN", "--output", str(target), cwd=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert ",0812-3456-7890," in target.read_text(encoding="utf-8-sig")
    elsewhere = bpu_bot(
        "export", "--callbacks", "--format", "json", "--branch", "KC-KUDUS", cwd=tmp_path, env=env
    )
    assert json.loads(elsewhere.stdout) == []


def test_no_nik_in_clear_in_the_database_file(tmp_path: Path, env: dict[str, str], db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("reads the raw SQLite file; the PostgreSQL run stores the same encrypted columns")
    chat(tmp_path, env, [*HAPPY, "kirim", "2"])
    chat(tmp_path, env, ["daftar", "setuju", MAN_NIK, "Budi"], user="budi")  # a draft in progress too
    database = Path(db_url.split(":///", 1)[1])
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert len(raw) > 10_000
    for nik in (WOMAN_NIK, MAN_NIK):
        assert nik.encode() not in raw
        assert nik.encode("utf-16-le") not in raw
