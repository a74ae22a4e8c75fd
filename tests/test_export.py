"""Export formats: formula neutralisation, XLSX content, and the audit of revealed NIKs."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook
from sqlmodel import select

from bot.export import COLUMNS, export_submissions, neutralise
from storage.db import Database
from storage.models import AuditLog
from tests.helpers import VAULT, Chat
from tests.test_enrol_flow import HAPPY, WOMAN_NIK


def test_neutralise() -> None:
    for dangerous in ("=1+2", "+62812", "-5", "@SUM(A1)", "\t=x"):
        assert neutralise(dangerous) == "'" + dangerous
    assert neutralise("Jl. Merpati") == "Jl. Merpati"
    assert neutralise(1_500_000) == 1_500_000


async def enrol_with_formula_address(chat: Chat) -> None:
    answers = [*HAPPY]
    answers[7] = '=HYPERLINK("http://x") Jl. Mawar 3'
    for line in [*answers, "kirim"]:
        await chat.send(line)


async def test_csv_and_xlsx_neutralise_formulas(chat: Chat, db: Database) -> None:
    await enrol_with_formula_address(chat)
    csv_text = (
        await export_submissions(
            db, VAULT, fmt="csv", status=None, branch=None, reveal_nik=False, actor="test"
        )
    ).decode("utf-8-sig")
    assert csv_text.splitlines()[0] == ",".join(COLUMNS)
    assert "'=HYPERLINK" in csv_text

    xlsx = await export_submissions(
        db, VAULT, fmt="xlsx", status=None, branch=None, reveal_nik=False, actor="test"
    )
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    header = [cell.value for cell in sheet[1]]
    row = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert row["ktp_address"].startswith("'=HYPERLINK") and row["nik"] == "357701******0001"
    assert row["name"] == "Siti Aminah"


async def test_revealing_niks_is_audited_without_the_niks(chat: Chat, db: Database) -> None:
    await enrol_with_formula_address(chat)
    data = await export_submissions(
        db, VAULT, fmt="json", status="baru", branch=None, reveal_nik=True, actor="cli:ani"
    )
    assert json.loads(data)[0]["nik"] == WOMAN_NIK
    async with db.reader() as session:
        logs = (await session.exec(select(AuditLog))).all()
    assert [(a.actor, a.action, a.details["rows"]) for a in logs] == [("cli:ani", "export_reveal_nik", 1)]
    assert WOMAN_NIK not in json.dumps(logs[0].details)
