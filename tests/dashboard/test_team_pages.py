"""The team page and the queue's new views in-process over the real app: an admin manages
accounts with the form (CSRF checked), a supervisor reads, staff get the 403 page; the queue
opens on what needs action with the oldest promise first, sorts, pages with a total, counts its
tabs under the filters, filters by officer; bulk actions answer per row and download the
selection."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlmodel import col, select

from storage.models import AuditLog, Submission
from tests.dashboard.test_staff_pages import Site, csrf_of, log_in, officer, running
from tests.support.backoffice_helpers import MADURA, PASSWORD, account, seed
from tests.support.helpers import VAULT

NEW_PASSWORD = "teh-poci-sore-hari-9"
_REF = re.compile(r'class="ref" href="/staff/submissions/([A-Z0-9-]+)"')


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        started.office.vault = VAULT
        yield started


def refs_in(html: str) -> list[str]:
    return _REF.findall(html)


async def admin(site: Site) -> httpx.AsyncClient:
    await account(site.office, "ani.admin", "admin", None)
    client = site.client()
    assert (await log_in(client, "ani.admin")).status_code == 303
    return client


async def test_an_admin_creates_disables_enables_resets_and_changes_a_role(site: Site) -> None:
    ani = await admin(site)
    page = await ani.get("/staff/accounts")
    assert page.status_code == 200 and "Tim dan akun" in page.text and "Akun baru" in page.text
    form = {"username": "dewi", "password": PASSWORD, "role": "staff", "branch": "KC-MADIUN"}
    refused = await ani.post("/staff/accounts", data=form)  # no CSRF token
    assert refused.status_code == 403 and "Formulir kedaluwarsa" in refused.text
    weak = await ani.post(
        "/staff/accounts", data=form | {"password": "rahasia", "csrf_token": csrf_of(page.text)}
    )
    assert weak.status_code == 422 and "minimal 15 karakter" in weak.text and 'value="dewi"' in weak.text
    made = await ani.post("/staff/accounts", data=form | {"csrf_token": csrf_of(page.text)})
    assert made.status_code == 303
    shown = await ani.get(made.headers["location"])
    assert "Akun dewi sudah dibuat." in shown.text and 'id="akun-dewi"' in shown.text
    dewi = site.client()
    assert (await log_in(dewi, "dewi")).status_code == 303

    reference = await seed(site.office.db)
    taken = await dewi.get(f"/staff/submissions/{reference}")
    assert (
        await dewi.post(f"/staff/submissions/{reference}/assign", data={"csrf_token": csrf_of(taken.text)})
    ).status_code == 303

    token = {"csrf_token": csrf_of(shown.text)}
    off = await ani.post("/staff/accounts/dewi/disable", data=token | {"hand_to": ""})
    said = await ani.get(off.headers["location"])
    assert "Akun dewi dinonaktifkan. 1 pendaftaran dan 0 permintaan telepon yang masih terbuka" in said.text
    assert "dikembalikan ke antrean" in said.text
    assert (await dewi.get("/staff")).status_code == 303  # her session ends
    async with site.office.db.reader() as session:
        row = (await session.exec(select(Submission).where(Submission.reference == reference))).one()
        handed = (await session.exec(select(AuditLog).where(col(AuditLog.action) == "handover"))).all()
    assert row.assigned_to_id is None and [h.details["reference"] for h in handed] == [reference]
    assert handed[0].actor == "staff:ani.admin"

    assert (await ani.post("/staff/accounts/dewi/enable", data=token)).status_code == 303
    reset = await ani.post("/staff/accounts/dewi/password", data=token | {"password": NEW_PASSWORD})
    assert "Kata sandi dewi sudah diganti" in (await ani.get(reset.headers["location"])).text
    assert (await log_in(site.client(), "dewi", NEW_PASSWORD)).status_code == 303
    role = await ani.post(
        "/staff/accounts/dewi/role", data=token | {"role": "supervisor", "branch": "KC-MADIUN"}
    )
    assert "Peran dewi sudah diubah." in (await ani.get(role.headers["location"])).text
    own = await ani.post("/staff/accounts/ani.admin/disable", data=token)
    assert own.status_code == 422 and "Akun sendiri" in own.text
    missing = await ani.post("/staff/accounts/tidak.ada/enable", data=token)
    assert missing.status_code == 404


async def test_a_supervisor_reads_the_team_and_staff_get_the_403_page(site: Site) -> None:
    await account(site.office, "made", "staff", MADURA)
    boss = await officer(site, "bayu.kabid", "supervisor")
    siti = await officer(site, "siti")
    page = await boss.get("/staff/accounts")
    assert page.status_code == 200
    assert 'id="akun-siti"' in page.text and 'id="akun-made"' not in page.text
    assert "Akun baru" not in page.text and "/disable" not in page.text
    assert '<a href="/staff/accounts"' in page.text  # in the menu
    refused = await boss.post("/staff/accounts/siti/disable", data={"csrf_token": csrf_of(page.text)})
    assert refused.status_code == 403 and "tidak berhak" in refused.text
    forbidden = await siti.get("/staff/accounts")
    assert forbidden.status_code == 403 and "Tidak berhak" in forbidden.text and "<html" in forbidden.text
    assert '<a href="/staff/accounts"' not in (await siti.get("/staff")).text


async def test_the_queue_opens_on_what_needs_action_oldest_promise_first(site: Site) -> None:
    db = site.office.db
    t = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    old_done = await seed(db, created_at=datetime(2024, 3, 5, 2, 0, tzinfo=UTC), vault=VAULT)
    later = await seed(db, created_at=t, call_by=date(2026, 11, 20), vault=VAULT)
    sooner = await seed(db, created_at=t + timedelta(hours=1), call_by=date(2026, 11, 4), vault=VAULT)
    siti = await officer(site, "siti")
    boss = await officer(site, "bayu.kabid", "supervisor")
    page = await boss.get("/staff")
    await boss.post(
        f"/staff/submissions/{old_done}/status",
        data={"csrf_token": csrf_of(page.text), "status": "dibatalkan"},
    )

    queue = await siti.get("/staff")
    assert refs_in(queue.text) == [sooner, later]  # finished work is not in the default view
    assert 'aria-current="page">Perlu tindakan<span class="count">2</span>' in queue.text
    assert "Janji telepon paling awal di atas." in queue.text and "1–2 dari 2." in queue.text
    everything = await siti.get("/staff?status=semua&urut=menunggu")
    assert refs_in(everything.text) == [old_done, later, sooner]
    assert "5 Mar 2024" in everything.text  # another year says so
    by_status = await siti.get("/staff?status=semua&urut=status")
    assert refs_in(by_status.text)[-1] == old_done
    # The "Semua" tab and the downloads carry the view.
    assert 'href="?status=semua"' in queue.text
    export = await siti.get("/staff/export?format=csv&status=semua")
    assert len(list(csv.reader(io.StringIO(export.text)))) == 4


async def test_pages_totals_tab_counts_and_the_officer_filter(site: Site) -> None:
    db = site.office.db
    refs = [
        await seed(db, vault=VAULT, created_at=datetime(2026, 11, 2, 2, n, tzinfo=UTC)) for n in range(53)
    ]
    siti = await officer(site, "siti")
    dewi = await officer(site, "dewi")
    for reference in refs[:3]:
        page = await dewi.get(f"/staff/submissions/{reference}")
        await dewi.post(f"/staff/submissions/{reference}/assign", data={"csrf_token": csrf_of(page.text)})

    first = await siti.get("/staff?urut=menunggu")
    assert len(refs_in(first.text)) == 50 and "Halaman 1 dari 2 · 53 pendaftaran" in first.text
    assert 'rel="prev"' not in first.text
    second = await siti.get("/staff?urut=menunggu&halaman=2")
    assert (
        refs_in(second.text) == refs[50:] and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    )
    assert "51–53 dari 53." in second.text

    mine = await siti.get("/staff?petugas=dewi")
    assert sorted(refs_in(mine.text)) == sorted(refs[:3])
    # The tabs count under the filter: 3 of Dewi's, all in Diproses.
    assert 'Perlu tindakan<span class="count">3</span>' in mine.text
    assert (
        'Semua<span class="count">3</span>' in mine.text and 'Baru<span class="count">0</span>' in mine.text
    )
    assert '<option value="dewi" selected>dewi</option>' in mine.text


async def test_bulk_actions_answer_per_row_and_download_the_selection(site: Site) -> None:
    db = site.office.db
    refs = [await seed(db, vault=VAULT) for _ in range(3)]
    theirs = await seed(db, where=MADURA, vault=VAULT)
    siti = await officer(site, "siti")
    dewi = await officer(site, "dewi")
    page = await dewi.get(f"/staff/submissions/{refs[0]}")
    await dewi.post(f"/staff/submissions/{refs[0]}/assign", data={"csrf_token": csrf_of(page.text)})
    queue = await siti.get("/staff")
    token = csrf_of(queue.text)
    picked = [*refs, theirs]
    base = {"csrf_token": token}
    done = await siti.post("/staff/bulk", data=base | {"tindakan": "assign", "ref": picked})
    assert done.status_code == 200 and "2 berhasil, 2 tidak dapat diproses" in done.text
    assert "sudah ditangani dewi" in done.text and "Pendaftaran tidak ditemukan." in done.text
    status = await siti.post(
        "/staff/bulk", data=base | {"tindakan": "status", "status": "dihubungi", "ref": picked[1:3]}
    )
    assert "2 berhasil" in status.text and "Status sekarang: Dihubungi" in status.text
    reassign = {"tindakan": "reassign", "bulk_petugas": "dewi", "ref": picked}
    assert (await siti.post("/staff/bulk", data=base | reassign)).status_code == 403
    download = await siti.post("/staff/bulk", data=base | {"tindakan": "export_csv", "ref": picked})
    rows = list(csv.reader(io.StringIO(download.text)))
    assert download.status_code == 200 and len(rows) == 4 and theirs not in download.text
    no_csrf = await siti.post("/staff/bulk", data={"tindakan": "assign", "ref": picked})
    assert no_csrf.status_code == 403
