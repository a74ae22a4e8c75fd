"""`POST /api/v1/submissions/bulk` over HTTP: one result per reference, each row checked against
the status graph, assign needs a supervisor (staff may assign to itself), another branch's
reference fails exactly like an unknown one, and nothing of a refused row changes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from storage.models import AuditLog, Submission
from tests.support.api_helpers import Site, site
from tests.support.backoffice_helpers import MADURA, seed

URL = "/api/v1/submissions/bulk"


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Site]:
    async with site(db_url) as running:
        yield running


async def rows(web: Site) -> dict[str, tuple[str, int | None]]:
    async with web.office.db.reader() as session:
        found = (await session.exec(select(Submission))).all()
    return {s.reference: (s.status, s.assigned_to_id) for s in found}


async def test_bulk_status_checks_each_row_and_isolates_branches(web: Site) -> None:
    token = await web.token_for("siti")
    db, vault = web.office.db, web.office.vault
    fresh = [await seed(db, vault=vault) for _ in range(2)]
    finished = await seed(db, vault=vault)
    theirs = await seed(db, where=MADURA, vault=vault)
    async with web.client(token) as api:
        done = await api.post(
            URL, json={"references": [finished], "action": "status", "status": "dibatalkan"}
        )
        assert done.json() == {"results": [{"reference": finished, "ok": True}]}
        body = {"references": [*fresh, finished, theirs, "ZZZZ-ZZZZ", fresh[0]], "action": "status"}
        answer = await api.post(URL, json=body | {"status": "diproses", "note": "mulai"})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["reference"] for r in results] == [*fresh, finished, theirs, "ZZZZ-ZZZZ"]  # once each
    assert [r["ok"] for r in results] == [True, True, False, False, False]
    assert "sudah final" in results[2]["error"]
    assert results[3]["error"] == results[4]["error"] == "Pendaftaran tidak ditemukan."
    assert "error" not in results[0]
    now = await rows(web)
    assert now[fresh[0]][0] == now[fresh[1]][0] == "diproses"
    assert now[finished][0] == "dibatalkan" and now[theirs][0] == "baru"
    async with db.reader() as session:
        audited = (await session.exec(select(AuditLog).where(col(AuditLog.action) == "status_change"))).all()
    assert {a.details["reference"] for a in audited} == {*fresh, finished}


async def test_bulk_assign_needs_a_supervisor_for_someone_else(web: Site) -> None:
    staff = await web.token_for("siti")
    boss = await web.token_for("bayu", "supervisor")
    await web.token_for("dewi")
    db, vault = web.office.db, web.office.vault
    refs = [await seed(db, vault=vault) for _ in range(3)]
    async with web.client(staff) as siti, web.client(boss) as bayu:
        refused = await siti.post(URL, json={"references": refs, "action": "assign", "assignee": "dewi"})
        assert refused.status_code == 403 and "kepala bidang" in refused.json()["detail"]
        assert all(owner is None for _status, owner in (await rows(web)).values())

        mine = await siti.post(URL, json={"references": refs[:2], "action": "assign"})
        assert [r["ok"] for r in mine.json()["results"]] == [True, True]
        # Siti holds the first two: Dewi's bulk "assign to me" is refused on those rows only.
        dewi_token = await web.office.issue_token("test", "dewi")
        async with web.client(dewi_token) as dewi:
            taken = await dewi.post(URL, json={"references": refs, "action": "assign", "assignee": "dewi"})
        assert [r["ok"] for r in taken.json()["results"]] == [False, False, True]
        assert "sudah ditangani siti" in taken.json()["results"][0]["error"]

        moved = await bayu.post(URL, json={"references": refs, "action": "assign", "assignee": "dewi"})
        assert [r["ok"] for r in moved.json()["results"]] == [True, True, True]
        listed = (await bayu.get("/api/v1/submissions", params={"officer": "dewi", "status": "open"})).json()
        assert sorted(i["reference"] for i in listed["items"]) == sorted(refs)
        assert sum(listed["counts"].values()) == 3
        nobody = await bayu.post(URL, json={"references": refs[:1], "action": "assign", "assignee": "made"})
        assert nobody.json()["results"][0]["ok"] is False
    ids = {owner for _status, owner in (await rows(web)).values()}
    assert len(ids) == 1 and None not in ids


async def test_bulk_rejects_a_malformed_request_whole(web: Site) -> None:
    token = await web.token_for("siti")
    ref = await seed(web.office.db, vault=web.office.vault)
    async with web.client(token) as api:
        for body in (
            {"references": [], "action": "status", "status": "diproses"},
            {"references": [ref], "action": "delete"},
            {"references": [ref], "action": "status"},
            {"references": [ref], "action": "status", "status": "selesai"},
        ):
            assert (await api.post(URL, json=body)).status_code == 422, body
        too_many = {"references": [f"R{n}" for n in range(201)], "action": "assign"}
        assert (await api.post(URL, json=too_many)).status_code == 422
    async with web.client("nonsense") as stranger:
        assert (await stranger.post(URL, json={"references": [ref], "action": "assign"})).status_code == 401
    partner = await web.token_for("mitra.kota", "mitra", None, regencies=["35.77"])
    async with web.client(partner) as mitra:
        assert (await mitra.post(URL, json={"references": [ref], "action": "assign"})).status_code == 403
