"""`/staff/arrears` and `GET /api/v1/arrears`: the branch's workers behind with payments, the same
on the page and in the API, filtered by state, regency and answer; another branch's workers stay
out; a partner (mitra) sees no one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest

from storage import dues
from storage.dues_models import ARREARS
from tests.dashboard.test_road_report import person
from tests.dashboard.test_staff_pages import Site, officer, running
from tests.support.backoffice_helpers import MADURA, T0, account
from tests.support.helpers import VAULT, FixedClock

NOW = datetime(2027, 2, 1, 3, 0, tzinfo=UTC)  # 1 February 2027, 10:00 WIB


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        started.office.vault = VAULT
        yield started


async def test_the_branch_lists_its_workers_behind_on_the_page_and_in_the_api(site: Site) -> None:
    db = site.office.db
    behind = await person(db, paid_until=date(2026, 12, 31))  # January unpaid: menunggak
    lapsed = await person(db, paid_until=date(2026, 10, 31))  # Nov, Dec, Jan unpaid: nonaktif
    await person(db, paid_until=date(2027, 1, 31))  # paid: not listed
    await person(db, where=MADURA, paid_until=date(2026, 12, 31))  # another branch
    async with db.transaction() as session:
        assert await dues.claim(session, behind, ARREARS, date(2027, 1, 15), channel="test", now=NOW)
        await dues.answer_arrears(session, behind, "lupa", NOW)
    siti = await officer(site, "siti")
    await account(site.office, "ani", "staff")
    token = await site.office.issue_token("test", "ani")
    site.office.clock = FixedClock(NOW)  # after the log-in and the token: they follow the real clock
    page = await siti.get("/staff/arrears")
    assert page.status_code == 200
    assert page.text.count("<tr>") == 3  # the header and two workers
    assert "Lupa" in page.text and "Nonaktif" in page.text and "Kota Madiun" in page.text
    assert "Bangkalan" not in page.text

    headers = {"Authorization": f"Bearer {token}"}
    async with site.client() as api:
        found = (await api.get("/api/v1/arrears", headers=headers)).json()
        only_lapsed = (await api.get("/api/v1/arrears?state=nonaktif", headers=headers)).json()
        forgot = (await api.get("/api/v1/arrears?answer=lupa", headers=headers)).json()
        not_asked = (await api.get("/api/v1/arrears?answer=belum_ditanya", headers=headers)).json()
        elsewhere = (await api.get("/api/v1/arrears?regency=35.26", headers=headers)).json()
        bad = await api.get("/api/v1/arrears?state=lunas", headers=headers)
    assert found["counts"] == {"menunggak": 1, "nonaktif": 1} and found["today"] == "2027-02-01"
    by_reference = {i["reference"]: i for i in found["items"]}
    assert len(by_reference) == 2 and all(ref in page.text for ref in by_reference)
    states = sorted((i["state"], i["due_on"], i["months_unpaid"], i["answer"]) for i in found["items"])
    assert states == [("menunggak", "2027-01-15", 1, "lupa"), ("nonaktif", "2026-11-16", 3, None)]
    assert [i["state"] for i in only_lapsed["items"]] == ["nonaktif"]
    assert [i["answer_label"] for i in forgot["items"]] == ["Lupa"]
    assert [i["state"] for i in not_asked["items"]] == ["nonaktif"]
    assert elsewhere["items"] == []
    assert bad.status_code == 422
    assert lapsed  # listed above by reference


async def test_a_partner_sees_no_one(site: Site) -> None:
    await person(site.office.db, paid_until=date(2026, 12, 31))
    await account(site.office, "dinas", "mitra", None, regencies=["35.77"])
    token = await site.office.issue_token("test", "dinas")
    async with site.client() as api:
        answer = await api.get("/api/v1/arrears", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert T0 < NOW
