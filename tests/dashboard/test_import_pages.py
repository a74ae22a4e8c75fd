"""The import page (/staff/imports) in-process: upload, the preview (refused rows with why,
changes), apply with the sealed file, the templates, branch scope, and a sealed file that is
someone else's, altered or old."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlmodel import select

from dashboard.service.imports.sealed import SEAL_MINUTES
from storage.models import OutboxMessage, Submission
from tests.dashboard.test_staff_pages import Site, officer, running
from tests.support.helpers import VAULT, FixedClock
from tests.support.import_files import NOW, scenario

_SEALED = 'name="sealed" value="'


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async with running(db_url) as started:
        started.office.vault = VAULT
        started.office.clock = FixedClock(NOW)
        yield started


def _csrf(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _sealed(html: str) -> str:
    return html.split(_SEALED, 1)[1].split('"', 1)[0]


async def test_upload_preview_apply(site: Site) -> None:
    case = await scenario(site.office.db)
    client = await officer(site, "ani")
    page = await client.get("/staff/imports")
    assert page.status_code == 200 and "Unggah berkas" in page.text and 'href="/staff/imports"' in page.text
    files = {"file": ("sistem.csv", case.csv.encode(), "text/csv")}
    preview = await client.post("/staff/imports/preview", data={"csrf_token": _csrf(page.text)}, files=files)
    assert preview.status_code == 200
    html = preview.text
    assert "Pratinjau" in html and "Terapkan 4 perubahan" in html
    assert "14 baris dibaca" in html and "10 baris ditolak" in html
    for word in ("sudah final", "11 angka", "masa depan", "tidak ditemukan", "Baris ganda"):
        assert word in html, word
    # The sealed file is not readable, not even base64-decoded (the header and a NIK of the file).
    sealed = _sealed(html)
    opened = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
    header, nik = case.csv.splitlines()[0], case.csv.splitlines()[2].split(";")[1]
    assert len(nik) == 16 and nik not in sealed
    assert header.encode() not in opened and nik.encode() not in opened
    for reference in case.good:
        assert reference in html
    async with site.office.db.reader() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []

    done = await client.post(
        "/staff/imports/apply", data={"csrf_token": _csrf(html), "sealed": _sealed(html)}
    )
    assert done.status_code == 200 and "4 perubahan sudah diterapkan" in done.text
    assert "Impor terakhir" in done.text and "sistem.csv" in done.text
    async with site.office.db.reader() as session:
        statuses = {s.reference: s.status for s in (await session.exec(select(Submission))).all()}
        assert len((await session.exec(select(OutboxMessage))).all()) == case.notified
    assert {r: statuses[r] for r in case.good} == case.good

    # The same preview applied again changes nothing and offers nothing more to apply.
    again = await client.post(
        "/staff/imports/apply", data={"csrf_token": _csrf(html), "sealed": _sealed(html)}
    )
    assert "0 perubahan sudah diterapkan" in again.text
    repeat = await client.post("/staff/imports/preview", data={"csrf_token": _csrf(html)}, files=files)
    assert _SEALED not in repeat.text and "4 baris sudah sesuai" in repeat.text


async def test_a_sealed_file_is_only_its_uploaders_and_not_for_long(site: Site) -> None:
    case = await scenario(site.office.db)
    ani = await officer(site, "ani")
    page = await ani.get("/staff/imports")
    files = {"file": ("sistem.csv", case.csv.encode(), "text/csv")}
    html = (await ani.post("/staff/imports/preview", data={"csrf_token": _csrf(page.text)}, files=files)).text
    sealed = _sealed(html)
    siti = await officer(site, "siti")
    theirs = (await siti.get("/staff/imports")).text
    for client, csrf, token in (
        (siti, _csrf(theirs), sealed),  # another officer's
        (ani, _csrf(html), sealed[:-4] + "AAAA"),  # altered
        (ani, _csrf(html), ""),
    ):
        answer = await client.post("/staff/imports/apply", data={"csrf_token": csrf, "sealed": token})
        assert answer.status_code == 422 and "Unggah berkasnya lagi" in answer.text
    site.office.clock = FixedClock(NOW + timedelta(minutes=SEAL_MINUTES + 1))
    late = await ani.post("/staff/imports/apply", data={"csrf_token": _csrf(html), "sealed": sealed})
    assert late.status_code == 422
    async with site.office.db.reader() as session:
        assert (await session.exec(select(OutboxMessage))).all() == []


async def test_no_file_or_a_wrong_one_is_explained(site: Site) -> None:
    client = await officer(site, "ani")
    csrf = _csrf((await client.get("/staff/imports")).text)
    empty = await client.post(
        "/staff/imports/preview", data={"csrf_token": csrf}, files={"file": ("", b"", "text/csv")}
    )
    assert empty.status_code == 422 and "Pilih berkas" in empty.text
    wrong = await client.post(
        "/staff/imports/preview",
        data={"csrf_token": csrf},
        files={"file": ("foto.csv", b"abc;def\n1;2\n", "text/csv")},
    )
    assert wrong.status_code == 422 and "Baris judul tidak dikenali" in wrong.text


async def test_the_templates_download(site: Site) -> None:
    client = await officer(site, "ani")
    csv_file = await client.get("/staff/imports/templat.csv")
    assert csv_file.status_code == 200 and csv_file.content.decode("utf-8-sig").startswith(
        "reference,nik,status"
    )
    xlsx = await client.get("/staff/imports/templat.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    assert (await client.get("/staff/imports/templat.pdf")).status_code == 404
