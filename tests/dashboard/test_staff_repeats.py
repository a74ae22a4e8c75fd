"""The same thing twice counts once: a reload of the NIK reveal, the page shown again after each
action, two call-record POSTs at once; and a conflict of the officer with themselves says so."""

from __future__ import annotations

import asyncio
import re

from sqlmodel import col, func, select

from storage.models import AuditLog, CallAttempt
from tests.dashboard.test_staff_pages import Site, csrf_of, officer, site  # noqa: F401 - the fixture
from tests.support.backoffice_helpers import nik_for, seed
from tests.support.helpers import VAULT


async def count(site: Site, action: str) -> int:  # noqa: F811
    async with site.office.db.reader() as session:
        query = select(func.count()).select_from(AuditLog).where(col(AuditLog.action) == action)
        return int((await session.exec(query)).one())


async def test_a_reload_after_the_nik_reveal_posts_nothing_again(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, n=7, vault=VAULT)
    siti = await officer(site, "siti")
    page = await siti.get(f"/staff/submissions/{reference}")
    revealed = await siti.post(f"/staff/submissions/{reference}/nik", data={"csrf_token": csrf_of(page.text)})
    assert revealed.status_code == 303  # POST-redirect-GET
    location = revealed.headers["location"]
    for _ in range(2):  # the page, then a reload of it
        shown = await siti.get(location)
        assert shown.status_code == 200 and nik_for(7) in shown.text
    assert await count(site, "nik_reveal") == 1
    # The address is this session's: in another session (or forged) it shows the NIK masked.
    other = await officer(site, "dewi")
    assert nik_for(7) not in (await other.get(location)).text
    forged = re.sub(r"nik=\d+\.", "nik=99999999999.", location)
    assert nik_for(7) not in (await siti.get(forged)).text
    assert await count(site, "nik_reveal") == 1


async def test_one_opened_entry_for_an_action_and_its_page(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    page = await siti.get(f"/staff/submissions/{reference}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    taken = await siti.post(
        f"/staff/submissions/{reference}/assign",
        data={"csrf_token": csrf_of(page.text), "version": version.group(1)},
    )
    page = await siti.get(taken.headers["location"])
    called = await siti.post(
        f"/staff/submissions/{reference}/calls",
        data={"csrf_token": csrf_of(page.text), "outcome": "berhasil"},
    )
    await siti.get(called.headers["location"])
    assert await count(site, "detail_view") == 1


async def test_two_call_posts_at_once_make_one_entry(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    token = csrf_of((await siti.get(f"/staff/submissions/{reference}")).text)
    form = {"csrf_token": token, "outcome": "tidak_diangkat", "note": "Tidak aktif"}
    answers = await asyncio.gather(
        *(siti.post(f"/staff/submissions/{reference}/calls", data=form) for _ in range(2))
    )
    assert [a.status_code for a in answers] == [303, 303]
    async with site.office.db.reader() as session:
        assert (await session.exec(select(func.count()).select_from(CallAttempt))).one() == 1
    # Another outcome is another call.
    await siti.post(f"/staff/submissions/{reference}/calls", data=form | {"outcome": "berhasil"})
    async with site.office.db.reader() as session:
        assert (await session.exec(select(func.count()).select_from(CallAttempt))).one() == 2


async def test_a_conflict_with_yourself_in_another_tab_says_so(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    tab_one = (await siti.get(f"/staff/submissions/{reference}")).text
    tab_two = (await siti.get(f"/staff/submissions/{reference}")).text
    version = re.search(r'name="version" value="(\d+)"', tab_one)
    assert version is not None
    data = {"csrf_token": csrf_of(tab_one), "version": version.group(1), "status": "diproses"}
    assert (await siti.post(f"/staff/submissions/{reference}/status", data=data)).status_code == 303
    again = await siti.post(
        f"/staff/submissions/{reference}/status", data=data | {"csrf_token": csrf_of(tab_two)}
    )
    assert again.status_code == 409 and "Anda ubah sendiri di tab lain" in again.text
    dewi = await officer(site, "dewi")
    stale = await dewi.post(
        f"/staff/submissions/{reference}/status",
        data={
            "csrf_token": csrf_of((await dewi.get("/staff")).text),
            "version": version.group(1),
            "status": "dibatalkan",
        },
    )
    assert stale.status_code == 409 and "oleh petugas lain" in stale.text
