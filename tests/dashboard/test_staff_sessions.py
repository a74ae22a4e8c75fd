"""Staff sessions kept on the server: Keluar ends every copy of the cookie (the NIK reveal
included), "log out everywhere", a changed password and a disabled account end them, and so do
the idle limit and the absolute lifetime; the log-in page always says why it appears; a form
posted after the idle end leads back to its page after the log-in, with its text shown again.
The real app in-process over HTTP."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import unquote

import httpx
from sqlmodel import select

from dashboard.web.session import COOKIE_NAME
from storage.models import AuditLog, StaffAccount
from storage.security_models import StaffLogin
from tests.dashboard.test_staff_pages import Site, age_logins, csrf_of, log_in, officer, site  # noqa: F401
from tests.support.backoffice_helpers import seed
from tests.support.helpers import VAULT

NOTE = "Sudah ditelepon, ibu minta formulir dikirim lewat WhatsApp sore ini."


def copy_of(web: Site, client: httpx.AsyncClient) -> httpx.AsyncClient:
    stolen = web.client()
    stolen.cookies.set(COOKIE_NAME, client.cookies[COOKIE_NAME], path="/staff")
    return stolen


async def reveals(web: Site) -> int:
    async with web.office.db.reader() as session:
        rows = (await session.exec(select(AuditLog).where(AuditLog.action == "nik_reveal"))).all()
    return len(rows)


async def test_a_copy_of_the_cookie_opens_nothing_after_keluar(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    stolen = copy_of(site, siti)
    detail = await stolen.get(f"/staff/submissions/{reference}")
    assert detail.status_code == 200
    token = csrf_of(detail.text)
    out = await siti.post("/staff/logout", data={"csrf_token": csrf_of((await siti.get("/staff")).text)})
    assert out.status_code == 303
    assert (await stolen.get("/staff")).status_code == 303
    nik = await stolen.post(f"/staff/submissions/{reference}/nik", data={"csrf_token": token})
    assert nik.status_code == 303 and nik.headers["location"].startswith("/staff/login")
    assert await reveals(site) == 0
    login_page = await stolen.get(nik.headers["location"])
    assert "Bapak/Ibu sudah keluar" in login_page.text


async def test_log_out_everywhere_ends_the_other_devices(site: Site) -> None:  # noqa: F811
    laptop = await officer(site, "siti")
    phone = site.client()
    assert (await log_in(phone, "siti")).status_code == 303
    queue = await laptop.get("/staff")
    assert "Keluar di semua perangkat" in queue.text
    done = await laptop.post("/staff/logout", data={"csrf_token": csrf_of(queue.text), "everywhere": "1"})
    assert done.headers["location"] == "/staff/login?reason=everywhere"
    answer = await phone.get("/staff")
    assert answer.status_code == 303
    page = await phone.get(answer.headers["location"])
    assert "Semua sesi akun ini sudah diakhiri" in page.text


async def test_the_log_in_page_says_why_it_appears(site: Site) -> None:  # noqa: F811
    fresh = await site.client().get("/staff/login")
    assert "Silakan masuk dengan akun petugas" in fresh.text

    siti = await officer(site, "siti")
    async with site.office.db.transaction() as session:  # 13 hours in, busy all along
        for row in (await session.exec(select(StaffLogin))).all():
            row.created_at -= timedelta(hours=13)
        for account in (await session.exec(select(StaffAccount))).all():
            assert account.password_changed_at is not None
            account.password_changed_at -= timedelta(hours=14)
    ended = await siti.get("/staff")
    assert "reason=lifetime" in ended.headers["location"]
    assert "sudah terlalu lama sejak masuk" in (await siti.get("/staff/login")).text

    assert (await log_in(siti, "siti")).status_code == 303
    await site.office.set_password("cli:admin", "siti", "teh-manis-dingin-sekali-42")
    assert (
        "kata sandi akun ini diganti" in (await siti.get((await siti.get("/staff")).headers["location"])).text
    )

    assert (await log_in(siti, "siti", "teh-manis-dingin-sekali-42")).status_code == 303
    await site.office.disable_account("cli:admin", "siti")
    assert "akun ini dinonaktifkan" in (await siti.get((await siti.get("/staff")).headers["location"])).text


async def test_a_note_posted_after_the_idle_end_comes_back_after_logging_in(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    siti = await officer(site, "siti")
    page_url = f"/staff/submissions/{reference}"
    detail = await siti.get(page_url)
    await age_logins(site, minutes=31)  # the officer typed for half an hour, then pressed Simpan
    posted = await siti.post(
        f"{page_url}/calls",
        data={"csrf_token": csrf_of(detail.text), "outcome": "berhasil", "note": NOTE, "version": "0"},
        headers={"Referer": f"http://bot.test{page_url}"},
    )
    assert posted.status_code == 303
    location = posted.headers["location"]
    assert "reason=idle" in location and unquote(location.split("next=")[1].split("&")[0]) == page_url
    login_page = await siti.get(location)
    assert "lama tidak ada kegiatan" in login_page.text and "ditampilkan lagi" in login_page.text
    back = await siti.post(
        "/staff/login",
        data={
            "username": "siti",
            "password": "kopi-tubruk-pagi-hari",
            "csrf_token": csrf_of(login_page.text),
            "next": page_url,
        },
    )
    assert back.status_code == 303 and back.headers["location"] == page_url  # not the POST URL
    shown = await siti.get(back.headers["location"])
    assert shown.status_code == 200 and "Method Not Allowed" not in shown.text
    assert NOTE in shown.text
    assert NOTE not in (await siti.get(page_url)).text  # shown once
    async with site.office.db.reader() as session:
        assert all(NOTE not in (row.kept_enc or "") for row in (await session.exec(select(StaffLogin))).all())
