"""`bpu-bot import registrations FILE [--dry-run] [--as USERNAME]` as an operator runs it: one
line per refused row, the last line `N rows: A applied, R refused`, a branch account's scope."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from storage.crypto import Vault
from storage.db import Database
from storage.models import OutboxMessage, Submission
from storage.types import utcnow
from tests.ops.test_cli import bpu_bot, cli_env
from tests.support.backoffice_helpers import account, office_for
from tests.support.helpers import FixedClock
from tests.support.import_files import scenario

pytestmark = pytest.mark.slow  # starts `bpu-bot` processes


async def test_the_command_previews_applies_and_keeps_to_the_accounts_branch(
    tmp_path: Path, db_url: str, db: Database
) -> None:
    env = cli_env(db_url)
    vault = Vault(env["PII_ENCRYPTION_KEY"])
    case = await scenario(db, vault=vault, now=utcnow())  # the command reads the real clock
    await account(office_for(db, FixedClock(utcnow()), vault), "ani")
    file = tmp_path / "sistem.csv"
    file.write_text(case.csv)

    def run(*args: str) -> tuple[int, list[str], str]:
        result = bpu_bot("import", "registrations", str(file), *args, cwd=tmp_path, env=env)
        return result.returncode, result.stdout.splitlines(), result.stderr

    code, lines, err = run("--dry-run", "--as", "ani")
    assert code == 0, err
    assert lines[-1] == "14 rows: 4 applied, 10 refused"
    refused = {int(line.split(":")[0].split()[1]): line for line in lines if line.startswith("row ")}
    assert set(refused) == set(case.errors)
    for row, word in case.errors.items():
        assert word in refused[row]
    theirs, nobody = refused[case.other_branch[1]], refused[case.unknown[1]]
    assert theirs.split(":", 1)[1] == nobody.split(":", 1)[1]  # NIK rows: nothing tells them apart
    async with db.reader() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []

    code, lines, err = run("--as", "ani")
    assert code == 0 and lines[-1] == "14 rows: 4 applied, 10 refused", err
    code, lines, err = run("--as", "ani")
    assert code == 0 and lines[-1] == "14 rows: 4 applied, 10 refused", err
    async with db.reader() as session:
        statuses = {s.reference: s.status for s in (await session.exec(select(Submission))).all()}
        sent = (await session.exec(select(OutboxMessage))).all()
    assert {r: statuses[r] for r in case.good} == case.good and len(sent) == case.notified

    # The operator (no --as) sees every branch: Madura's row now applies.
    code, lines, err = run()
    assert code == 0 and lines[-1] == "14 rows: 5 applied, 9 refused", err

    code, _, err = run("--as", "nobody")
    assert code == 2 and "tidak ada" in err
    missing = bpu_bot("import", "registrations", str(tmp_path / "missing.csv"), cwd=tmp_path, env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr
