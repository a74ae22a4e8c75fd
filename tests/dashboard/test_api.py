"""The JSON API over HTTP (httpx against the real app): the contracts of DESIGN.md's staff
side. 401 without a valid token, 404 for another branch's submission, 409 for an impossible
or stale change, 422 for a missing or malformed field."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.api_helpers import Site, site
from tests.support.backoffice_helpers import MADURA, nik_for, seed


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Site]:
    async with site(db_url) as running:
        yield running


async def test_no_token_or_a_wrong_one_is_401(web: Site) -> None:
    token = await web.token_for("ani")
    async with web.client() as anonymous, web.client(token + "x") as wrong, web.client(token) as right:
        for client in (anonymous, wrong):
            answer = await client.get("/api/v1/submissions")
            assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"
        assert (await right.get("/api/v1/submissions")).status_code == 200
    await web.office.revoke_tokens("test", "ani")
    async with web.client(token) as revoked:
        assert (await revoked.get("/api/v1/submissions")).status_code == 401


async def test_list_pages_with_the_cursor(web: Site) -> None:
    token = await web.token_for("ani")
    refs = [await seed(web.office.db, vault=web.office.vault) for _ in range(5)]
    await seed(web.office.db, where=MADURA, vault=web.office.vault)
    async with web.client(token) as api:
        first = (await api.get("/api/v1/submissions", params={"limit": 3})).json()
        assert [i["reference"] for i in first["items"]] == refs[:3]
        assert set(first["items"][0]) >= {"reference", "status", "branch_code", "created_at"}
        second = (await api.get("/api/v1/submissions", params={"limit": 3, "cursor": first["next"]})).json()
        assert [i["reference"] for i in second["items"]] == refs[3:] and second["next"] is None
        assert first["counts"]["baru"] == 5
        assert (await api.get("/api/v1/submissions", params={"branch": "KC-MADURA"})).json()["items"] == []
        found = (await api.get("/api/v1/submissions", params={"q": nik_for(0)})).json()
        assert found["items"] == []
        bad = await api.get("/api/v1/submissions", params={"cursor": "nonsense"})
        assert bad.status_code == 422


async def test_detail_masks_the_nik_and_has_history(web: Site) -> None:
    token = await web.token_for("ani")
    ref = await seed(web.office.db, n=9, vault=web.office.vault)
    async with web.client(token) as api:
        body = (await api.get(f"/api/v1/submissions/{ref}")).json()
        assert body["nik_masked"] == "357701******0009" and nik_for(9) not in str(body)
        assert body["history"][0]["to_status"] == "baru" and body["version"] == 0
        revealed = await api.post(f"/api/v1/submissions/{ref}/nik")
        assert revealed.json() == {"reference": ref, "nik": nik_for(9)}


async def test_status_changes_and_their_refusals(web: Site) -> None:
    token = await web.token_for("ani")
    ref = await seed(web.office.db, vault=web.office.vault)
    url = f"/api/v1/submissions/{ref}/status"
    async with web.client(token) as api:
        skip = await api.post(url, json={"status": "terdaftar", "kpj": "21012345678"})
        assert skip.status_code == 409 and "tidak bisa langsung" in skip.json()["detail"]
        missing = await api.post(url, json={"note": "tanpa status"})
        assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "status"]
        unknown = await api.post(url, json={"status": "selesai"})
        assert unknown.status_code == 422
        moved = await api.post(url, json={"status": "diproses", "expected_version": 0})
        assert moved.status_code == 200 and moved.json()["status"] == "diproses"
        stale = await api.post(url, json={"status": "dibatalkan", "expected_version": 0})
        assert stale.status_code == 409 and stale.json()["current"]["status"] == "diproses"
        await api.post(url, json={"status": "dihubungi"})
        no_kpj = await api.post(url, json={"status": "terdaftar"})
        assert no_kpj.status_code == 422 and no_kpj.json()["detail"][0]["loc"] == ["body", "kpj"]
        done = await api.post(url, json={"status": "terdaftar", "kpj": "21012345678", "note": "ok"})
        assert done.status_code == 200 and done.json()["kpj_number"] == "21012345678"


async def test_calls_assignment_reports_and_audit(web: Site) -> None:
    ani = await web.token_for("ani")
    eka = await web.token_for("eka", "supervisor")
    dinas = await web.token_for("dinas", "mitra", None, regencies=["35.77"])
    ref = await seed(web.office.db, vault=web.office.vault)
    async with web.client(ani) as api, web.client(eka) as boss, web.client(dinas) as partner:
        assert (await api.post(f"/api/v1/submissions/{ref}/assign")).json()["assigned_to"] == "ani"
        call = await api.post(f"/api/v1/submissions/{ref}/calls", json={"outcome": "tidak_diangkat"})
        assert call.json()["calls"][0]["outcome"] == "tidak_diangkat"
        no_time = await api.post(f"/api/v1/submissions/{ref}/calls", json={"outcome": "minta_telepon_lagi"})
        assert no_time.status_code == 422
        assert (
            await api.post(f"/api/v1/submissions/{ref}/reassign", json={"username": "eka"})
        ).status_code == 403
        assert (
            await boss.post(f"/api/v1/submissions/{ref}/reassign", json={"username": "eka"})
        ).status_code == 200
        assert (await api.get("/api/v1/reports")).status_code == 403
        report = (await partner.get("/api/v1/reports")).json()
        occupations = next(t for t in report["tables"] if t["key"] == "by_occupation")
        assert occupations["rows"] == [["Pedagang pasar / keliling", "<5"]]
        assert (await partner.get("/api/v1/submissions")).status_code == 403
        actions = [i["action"] for i in (await boss.get("/api/v1/audit")).json()["items"]]
        assert {"assign", "call_recorded", "reassign", "token_used"} <= set(actions)
        exported = await api.get("/api/v1/export", params={"format": "csv"})
        assert exported.status_code == 200 and ref in exported.text
        assert exported.headers["content-type"].startswith("text/csv")


async def test_openapi_describes_the_api(web: Site) -> None:
    async with web.client() as client:
        doc = (await client.get("/openapi.json")).json()
        assert (await client.get("/api/docs")).status_code == 200
    paths = doc["paths"]
    assert "/api/v1/submissions" in paths and "/api/v1/submissions/{reference}/status" in paths
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
