"""`POST /api/v1/imports` over HTTP: the contract's answer, preview then apply, the same rows
twice, another branch's rows refused like nobody's, and files the import cannot read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from storage.models import OutboxMessage, Submission
from tests.support.api_helpers import Site, site
from tests.support.helpers import FixedClock
from tests.support.import_files import NOW, scenario


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Site]:
    async with site(db_url) as running:
        running.office.clock = FixedClock(NOW)
        yield running


async def _post(web: Site, token: str, content: bytes, dry_run: str) -> tuple[int, dict[str, Any]]:
    async with web.client(token) as api:
        answer = await api.post(
            "/api/v1/imports",
            params={"dry_run": dry_run},
            files={"file": ("sistem.csv", content, "text/csv")},
        )
    return answer.status_code, answer.json()


async def test_preview_then_apply_then_again(web: Site) -> None:
    db = web.office.db
    case = await scenario(db, vault=web.office.vault)
    token = await web.token_for("ani")
    status, preview = await _post(web, token, case.csv.encode(), "true")
    assert status == 200
    assert (preview["rows"], preview["applied"], preview["refused"]) == (14, 4, 10)
    rows = {r["row"]: r for r in preview["results"]}
    assert set(rows[2]) >= {"row", "reference", "ok"} and rows[2]["ok"] is True and "error" not in rows[2]
    for row, word in case.errors.items():
        assert rows[row]["ok"] is False and word in rows[row]["error"]
    theirs, nobody = rows[case.other_branch[0]], rows[case.unknown[0]]
    assert theirs["error"] == nobody["error"] and set(theirs) == set(nobody)
    theirs_nik, nobody_nik = rows[case.other_branch[1]], rows[case.unknown[1]]
    assert {k: v for k, v in theirs_nik.items() if k != "row"} == {
        k: v for k, v in nobody_nik.items() if k != "row"
    }
    async with db.reader() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []

    status, applied = await _post(web, token, case.csv.encode(), "false")
    assert status == 200 and (applied["applied"], applied["refused"], applied["changed"]) == (4, 10, 4)
    async with db.reader() as session:
        statuses = {s.reference: s.status for s in (await session.exec(select(Submission))).all()}
        sent = len((await session.exec(select(OutboxMessage))).all())
    assert {r: statuses[r] for r in case.good} == case.good
    assert all(statuses[r] != "terdaftar" for r in case.untouched)
    assert sent == case.notified

    status, again = await _post(web, token, case.csv.encode(), "false")
    assert status == 200 and (again["applied"], again["changed"]) == (4, 0)
    async with db.reader() as session:
        assert len((await session.exec(select(OutboxMessage))).all()) == sent


async def test_unreadable_files_and_callers(web: Site) -> None:
    token = await web.token_for("ani")
    status, body = await _post(web, token, b"nama;alamat\nBudi;Madiun\n", "true")
    assert status == 422 and "Baris judul" in body["detail"][0]["msg"]
    mitra = await web.token_for("mitra1", role="mitra", where=None, regencies=["35.77"])
    status, _ = await _post(web, mitra, b"reference,status\nX,terdaftar\n", "true")
    assert status == 403
    async with web.client() as anonymous:
        answer = await anonymous.post("/api/v1/imports", files={"file": ("a.csv", b"x", "text/csv")})
    assert answer.status_code == 401
