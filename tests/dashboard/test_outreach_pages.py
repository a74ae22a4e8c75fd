"""The session and broadcast pages in-process over the real app and database: creating a
session through the form (refusals in Indonesian that keep what was typed), its links, QR codes,
poster, funnel and CSV; the page without a configured channel; what a partner (mitra) sees;
composing a broadcast (count, preview, kirim uji, send) and pausing, resuming and cancelling it;
each action audited without personal data."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from handlers.types import Inbound
from storage.models import AuditLog, Contact, OutboxMessage
from storage.outreach_models import Broadcast, SessionParticipant, SocialSession
from storage.types import utcnow
from tests.dashboard.test_staff_pages import Site, csrf_of, log_in, running
from tests.support.backoffice_helpers import MADIUN, MADURA, account

OFFICER_CHAT = "5550777"
NOWHERE = "http://127.0.0.1:9"
"""Where the platforms would be: nothing here asks them (the addresses below are given)."""
LINKS = {
    "telegram_bot_token": "123456789:test-token",
    "telegram_api_url": NOWHERE,
    "telegram_bot_username": "BpuDaftarBot",
    "whatsapp_phone_number_id": "1234567890",
    "whatsapp_access_token": "test-token",
    "whatsapp_app_secret": "test-secret",
    "whatsapp_api_url": NOWHERE,
    "whatsapp_display_number": "6281200001111",
}
"""Both channels on, with the bot's addresses given."""
SESSION = {
    "title": "Sosialisasi BPJS Ketenagakerjaan Pasar Besar",
    "mode": "place",
    "place": "Balai Kelurahan Kartoharjo",
    "online_url": "",
    "regency_code": "35.77",
    "district": "Kartoharjo",
    "starts_at": "2030-03-05T09:00",
    "ends_at": "2030-03-05T11:00",
    "organiser": "Dinas Koperasi dan UKM Kota Madiun",
    "capacity": "120",
    "sponsor": "Pemerintah Kota Madiun",
    "sponsor_months": "6",
    "sponsor_quota": "100",
}


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url, **LINKS) as started:
        yield started


@asynccontextmanager
async def logged_in(
    site: Site, username: str, role: str = "staff", **kw: Any
) -> AsyncIterator[httpx.AsyncClient]:
    await account(site.office, username, role, **kw)
    async with site.client() as client:
        done = await log_in(client, username)
        assert done.status_code == 303, done.text
        yield client


async def create(client: httpx.AsyncClient, **changes: str) -> httpx.Response:
    form = await client.get("/staff/sessions")
    return await client.post("/staff/sessions", data={**SESSION, **changes, "csrf_token": csrf_of(form.text)})


async def audit_actions(site: Site) -> list[tuple[str, dict[str, Any]]]:
    async with site.office.db.reader() as session:
        rows = (await session.exec(select(AuditLog).order_by(col(AuditLog.id)))).all()
    return [(r.action, dict(r.details)) for r in rows]


async def test_create_a_session_and_everything_to_share(site: Site) -> None:
    async with logged_in(site, "ani") as client:
        form = await client.get("/staff/sessions")
        for label in ("Judul acara", "Tempat (untuk tatap muka)", "Kabupaten/kota", "Kapasitas (orang)"):
            assert label in form.text
        done = await create(client)
        assert done.status_code == 303, done.text
        code = done.headers["location"].split("/")[-1].split("?")[0]
        assert code.startswith("MAD0503")
        page = await client.get(done.headers["location"])
        assert page.status_code == 200
        assert f"https://t.me/BpuDaftarBot?start=s_{code}" in page.text
        assert f"https://wa.me/6281200001111?text=DAFTAR%20{code}" in page.text
        assert "Pemerintah Kota Madiun" in page.text
        # A new session: an empty state, not tables of zeros (charts come with the first figures).
        assert page.text.count("Belum ada angka") == 3 and "<svg" not in page.text
        png = await client.get(f"/staff/sessions/{code}/qr.png?kanal=telegram")
        assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
        svg = await client.get(f"/staff/sessions/{code}/qr.svg?kanal=whatsapp&unduh=1")
        assert svg.text.startswith("<svg") and "attachment" in svg.headers["content-disposition"]
        poster = await client.get(f"/staff/sessions/{code}/poster")
        assert poster.text.count("<svg") == 2 and poster.text.count("<li>") == 3
        assert "/staff/static/poster.css" in poster.text  # the CSP forbids inline styles
        assert "style-src 'self'" in poster.headers["content-security-policy"]
        table = await client.get(f"/staff/sessions/{code}/csv?tabel=funnel")
        rows = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
        assert rows[0] == ["tahap", "jumlah", "persen"] and rows[1][:2] == ["Mendaftar ikut", "0"]
        assert "Terdaftar" in rows[-1][0]
        listing = await client.get("/staff/sessions")
        assert code in listing.text
        api = (await client.get(f"/api/v1/sessions/{code}")).status_code
        assert api == 401  # the API needs a token, not the page's cookie
    created = [d for a, d in await audit_actions(site) if a == "session_created"]
    assert created == [{"code": code, "capacity": 120, "via": "session"}]


async def test_the_kecamatan_is_chosen_from_the_regencys_list(site: Site) -> None:
    async with logged_in(site, "ani") as client:
        form = (await client.get("/staff/sessions")).text
        assert '<select id="district" name="district"' in form
        assert '<optgroup label="Kota Madiun">' in form and '<option value="Manguharjo"' in form
        wrong = await create(client, regency_code="35.77", district="Sine")  # Sine is in Ngawi
        assert wrong.status_code == 422 and "Pilih kecamatan di kabupaten/kota yang dipilih" in wrong.text
        assert (await create(client, district="Taman")).status_code == 303


async def test_a_refused_form_says_why_in_indonesian_and_keeps_what_was_typed(site: Site) -> None:
    async with logged_in(site, "ani") as client:
        missing = await create(client, title="")
        assert missing.status_code == 422
        assert "Wajib diisi" in missing.text and "Balai Kelurahan Kartoharjo" in missing.text
        empty = await create(client, **dict.fromkeys(SESSION, ""))
        assert empty.status_code == 422
        for field in ("title", "place", "regency_code", "starts_at", "ends_at", "organiser", "capacity"):
            assert f'id="{field}-error"' in empty.text, field  # every problem at once
        online = await create(client, mode="online", online_url="zoom.us/j/1")
        assert online.status_code == 422 and "https://" in online.text
        backwards = await create(client, ends_at="2030-03-05T08:00")
        assert backwards.status_code == 422 and "Waktu selesai harus setelah waktu mulai" in backwards.text
        assert 'value="2030-03-05T08:00"' in backwards.text
        elsewhere = await create(client, regency_code="35.26")
        assert elsewhere.status_code == 422 and "bukan wilayah kantor cabang Anda" in elsewhere.text
        no_number = await create(client, capacity="banyak")
        assert no_number.status_code == 422 and "Isi dengan angka" in no_number.text
        no_csrf = await client.post("/staff/sessions", data=SESSION)
        assert no_csrf.status_code == 403
    assert not [a for a, _ in await audit_actions(site) if a == "session_created"]


async def test_without_channels_the_page_says_so(db_url: str) -> None:
    async with running(db_url) as bare, logged_in(bare, "ani") as client:
        done = await create(client)
        page = await client.get(done.headers["location"])
        assert "Tautan Telegram belum tersedia" in page.text
        assert "Tautan WhatsApp belum tersedia" in page.text
        assert "t.me/" not in page.text and "wa.me/" not in page.text
        code = done.headers["location"].split("/")[-1].split("?")[0]
        assert (await client.get(f"/staff/sessions/{code}/qr.png?kanal=telegram")).status_code == 404


async def reserve(site: Site, code: str, people: int) -> None:
    """`people` contacts reserve a place in the session."""
    async with site.office.db.transaction() as session:
        social = (await session.exec(select(SocialSession).where(SocialSession.code == code))).one()
        for n in range(people):
            contact = Contact(channel="telegram", chat_id=f"r{n}", created_at=utcnow())
            session.add(contact)
            await session.flush()
            assert social.id is not None and contact.id is not None
            session.add(SessionParticipant(session_id=social.id, contact_id=contact.id, reserved_at=utcnow()))


async def test_a_partner_sees_its_regencies_figures_only(site: Site) -> None:
    async with logged_in(site, "ani") as client:
        code = (await create(client)).headers["location"].split("/")[-1].split("?")[0]
        await reserve(site, code, 2)
        staff_csv = (await client.get(f"/staff/sessions/{code}/csv?tabel=funnel")).content.decode("utf-8-sig")
        assert "Mendaftar ikut,2,100" in staff_csv
    async with logged_in(site, "dinas", "mitra", where=None, regencies=["35.77"]) as partner:
        listing = await partner.get("/staff/sessions")
        assert code in listing.text and "Buat acara baru" not in listing.text
        page = await partner.get(f"/staff/sessions/{code}")
        assert page.status_code == 200 and '<td class="num">&lt;5</td>' in page.text
        partner_csv = (await partner.get(f"/staff/sessions/{code}/csv?tabel=funnel")).content.decode(
            "utf-8-sig"
        )
        assert "Mendaftar ikut,<5," in partner_csv and ",2," not in partner_csv
        regency_csv = (await partner.get(f"/staff/sessions/{code}/csv?tabel=regency")).content.decode(
            "utf-8-sig"
        )
        assert "Kota Madiun,<5,0,0,0" in regency_csv
        assert (await partner.get("/staff/broadcasts")).status_code == 403
        refused = await partner.post("/staff/sessions", data={**SESSION, "csrf_token": csrf_of(listing.text)})
        assert refused.status_code == 403
    async with logged_in(site, "pemda", "mitra", where=None, regencies=["35.26"]) as other:
        assert code not in (await other.get("/staff/sessions")).text
        assert (await other.get(f"/staff/sessions/{code}")).status_code == 404


def people() -> list[dict[str, Any]]:
    """Two of Madiun opted in (one on each channel), one said stop, one opted in elsewhere."""
    rows = [
        ("telegram", "1", True, MADIUN[1]),
        ("whatsapp", "62811", True, MADIUN[1]),
        ("telegram", "2", False, MADIUN[1]),
        ("telegram", "9", True, MADURA[1]),
    ]
    return [
        {"channel": c, "chat_id": chat, "announcements": on, "regency_code": r, "created_at": utcnow()}
        for c, chat, on, r in rows
    ]


async def test_compose_count_preview_test_send_and_control(site: Site) -> None:
    async with site.office.db.transaction() as session:
        await session.exec(insert(Contact).values(people()))
    async with logged_in(site, "ani") as client:
        page = await client.get("/staff/broadcasts")
        token = csrf_of(page.text)
        base = {"text": "Sosialisasi Selasa 10.00 di Balai Kelurahan.", "csrf_token": token}
        channels = {"channel_telegram": "1", "channel_whatsapp": "1"}
        counted = await client.post("/staff/broadcasts", data={**base, **channels, "aksi": "hitung"})
        assert counted.status_code == 200
        assert '<strong id="recipient-count">2</strong>' in counted.text
        assert "Balas STOP" in counted.text and "ada info sosialisasi" in counted.text  # template preview
        empty = await client.post("/staff/broadcasts", data={**base, **channels, "text": "", "aksi": "kirim"})
        assert empty.status_code == 422 and "wajib diisi" in empty.text
        # "Kirim uji" before linking a chat says how; the one-time code links the officer's chat.
        unlinked = await client.post("/staff/broadcasts", data={**base, **channels, "aksi": "uji"})
        assert unlinked.status_code == 422 and "Hubungkan dulu chat uji" in unlinked.text
        shown_code = await client.post(
            "/staff/broadcasts/test-chat", data={"aksi": "kode", "csrf_token": token}
        )
        found = re.search(r"Kirim <strong>UJI (\w{6})</strong> ke bot dari (.+) Anda", shown_code.text)
        assert found is not None, shown_code.text
        assert set(found.group(2).split(" atau ")) == {"Telegram", "WhatsApp"}  # the linkable channels
        engine = site.app.state.service.engine
        message = Inbound("telegram", OFFICER_CHAT, "m-link", utcnow(), text=f"UJI {found.group(1)}")
        assert "sudah terhubung" in (await engine.handle(message)).replies[0].text
        linked = await client.get("/staff/broadcasts")
        assert "Chat uji: Telegram ••••0777" in linked.text and OFFICER_CHAT not in linked.text
        tested = await client.post("/staff/broadcasts", data={**base, **channels, "aksi": "uji"})
        assert tested.status_code == 200 and "Pesan uji sudah masuk antrean" in tested.text
        assert "••••0777" in tested.text and OFFICER_CHAT not in tested.text
        # "Kirim siaran" asks first, with the count; the answer "Ya, kirim ke 1 orang" sends it.
        asked = await client.post(
            "/staff/broadcasts", data={**base, "channel_telegram": "1", "aksi": "kirim"}
        )
        assert asked.status_code == 200 and "Ya, kirim ke 1 orang" in asked.text
        async with site.office.db.reader() as session:
            assert (await session.exec(select(Broadcast))).first() is None  # not yet
        confirmed = {**base, "channel_telegram": "1", "aksi": "kirim_pasti", "jumlah": "1"}
        sent = await client.post("/staff/broadcasts", data=confirmed)
        assert sent.status_code == 303, sent.text
        url = sent.headers["location"].split("?")[0]
        shown = await client.get(url)
        assert "Sedang dikirim" in shown.text and "Penerima" in shown.text
        assert "Menyiapkan pesan: 0 dari 1 penerima" in shown.text  # the scheduler writes the rows
        for action, status in (("pause", "Dijeda"), ("resume", "Sedang dikirim"), ("cancel", "Dibatalkan")):
            moved = await client.post(f"{url}/{action}", data={"csrf_token": token})
            assert moved.status_code == 303, (action, moved.text)
            assert status in (await client.get(url)).text
        again = await client.post(f"{url}/pause", data={"csrf_token": token})
        assert again.status_code == 422  # a cancelled broadcast cannot be paused
        gone = await client.post("/staff/broadcasts/test-chat", data={"aksi": "lepas", "csrf_token": token})
        assert "Chat uji sudah dilepas" in gone.text and "Hubungkan chat uji" in gone.text
    async with site.office.db.reader() as session:
        test_rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == OFFICER_CHAT))
        ).all()
        broadcast = (await session.exec(select(Broadcast))).one()
    assert [r for r in test_rows if "UJI COBA" in str(r.payload)] == test_rows[1:]  # [0]: the bot's answer
    assert len(test_rows) == 2
    assert broadcast.recipients == 1 and broadcast.status == "cancelled"
    actions = await audit_actions(site)
    names = [a for a, _ in actions if a.startswith("broadcast")]
    steps = ["test", "created", "pause", "resume", "cancel"]
    assert names == [f"broadcast_{step}" for step in steps]
    for _, details in actions:
        assert OFFICER_CHAT not in str(details) and "Sosialisasi Selasa" not in str(details)


async def test_nobody_to_reach_cannot_be_sent_and_a_changed_count_is_asked_again(site: Site) -> None:
    async with logged_in(site, "ani") as client:
        token = csrf_of((await client.get("/staff/broadcasts")).text)
        data = {"text": "Info.", "channel_telegram": "1", "csrf_token": token}
        for action in ("kirim", "kirim_pasti"):  # even a forged "yes" with a count of 0
            refused = await client.post("/staff/broadcasts", data={**data, "aksi": action, "jumlah": "0"})
            assert "Tidak ada penerima yang cocok" in refused.text and "Ya, kirim" not in refused.text
        async with site.office.db.transaction() as session:
            await session.exec(insert(Contact).values(people()))
        stale = await client.post("/staff/broadcasts", data={**data, "aksi": "kirim_pasti", "jumlah": "5"})
        assert stale.status_code == 200 and "Jumlah penerima berubah" in stale.text
        assert "Ya, kirim ke 1 orang" in stale.text
    async with site.office.db.reader() as session:
        assert (await session.exec(select(Broadcast))).first() is None


async def test_another_branch_broadcast_is_not_found(site: Site) -> None:
    async with site.office.db.transaction() as session:
        await session.exec(insert(Contact).values(people()))
    async with logged_in(site, "ani") as ani:
        form = await ani.get("/staff/broadcasts")
        data = {"text": "Info.", "channel_telegram": "1", "aksi": "kirim_pasti", "jumlah": "1"}
        data["csrf_token"] = csrf_of(form.text)
        url = (await ani.post("/staff/broadcasts", data=data)).headers["location"].split("?")[0]
    async with logged_in(site, "bayu", where=MADURA) as bayu:
        theirs, missing = await bayu.get(url), await bayu.get("/staff/broadcasts/999999")
        assert theirs.status_code == missing.status_code == 404
        assert (await bayu.get("/staff/broadcasts/abc")).status_code == 404
