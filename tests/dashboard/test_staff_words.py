"""What officers read is Indonesian: unknown staff addresses are pages (the API stays JSON), a
form's address opened as a page goes to its page, every form step has a name, audit details
and numbers are written in words and the Indonesian way."""

from __future__ import annotations

from decimal import Decimal

from fastapi.routing import iter_route_contexts

from dashboard.web.audit_details import AuditWords
from dashboard.web.labels import step_label
from dashboard.web.render import number
from handlers.enrol.fields import FORM
from tests.dashboard.test_staff_pages import Site, officer, site  # noqa: F401 - the fixture
from tests.support.backoffice_helpers import CATALOGUE, seed
from tests.support.helpers import VAULT


async def test_unknown_staff_addresses_are_indonesian_pages(site: Site) -> None:  # noqa: F811
    reference = await seed(site.office.db, vault=VAULT)
    client = await officer(site, "siti")
    unknown = await client.get("/staff/tidak-ada/sama-sekali")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert "Tidak ditemukan" in unknown.text and "Halaman ini tidak ada" in unknown.text
    assert "Keluar" in unknown.text  # the officer's menu is there
    # A form's address opened as a page (a log-in that came back to it, a reload): its page.
    for action in ("status", "calls", "assign", "nik"):
        moved = await client.get(f"/staff/submissions/{reference}/{action}")
        assert moved.status_code == 303 and moved.headers["location"] == f"/staff/submissions/{reference}"
    assert "Method Not Allowed" not in (await client.get(f"/staff/submissions/{reference}/status")).text
    api = await client.get("/api/v1/tidak-ada")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
    anonymous = site.client()
    page = await anonymous.get("/staff/tidak-ada")
    assert page.status_code == 404 and "Tidak ditemukan" in page.text


def test_every_form_step_has_an_indonesian_name() -> None:
    unnamed = [step.name for step in FORM.steps if step_label(step.name) == step.name]
    assert not unnamed, unnamed
    assert step_label("income_check") == "Pemeriksaan penghasilan"
    assert step_label("current_address") == "Alamat domisili"


def test_audit_details_in_words() -> None:
    words = AuditWords(CATALOGUE)
    assert words.describe("reassign", {"reference": "K7XQ-M4DA", "to": "rudi", "via": "session"}) == [
        ("Dialihkan ke", "rudi"),
        ("Lewat", "halaman petugas"),
    ]
    assert words.describe("status_change", {"to": "dihubungi", "via": "token"}) == [
        ("Status baru", "Dihubungi"),
        ("Lewat", "API (token)"),
    ]
    exported = words.describe(
        "export", {"rows": 1234, "format": "csv", "filters": {"status": "baru", "channel": "whatsapp"}}
    )
    assert exported == [("Baris", "1.234"), ("Format", "CSV"), ("Saringan", "Status Baru, Kanal WhatsApp")]
    text = str(words.describe("export", {"filters": {"overdue": "True", "flag": "age_over_limit"}}))
    assert "{" not in text and "overdue" not in text and "age_over_limit" not in text


def test_numbers_the_indonesian_way() -> None:
    assert number(12345) == "12.345" and number(5.0) == "5" and number(Decimal("7")) == "7"
    assert number(12.5) == "12,5" and number(1234.5) == "1.234,5"
    assert number(None) == "None" and number("–") == "–"


def test_the_unknown_page_route_comes_after_every_staff_page(site: Site) -> None:  # noqa: F811
    """It matches any /staff address: a page added after it would never be reached. Add new
    pages' routes before `add_fallback_routes` in dashboard/web/router.py."""
    paths = [str(context.path) for context in iter_route_contexts(site.app.routes)]
    staff = [path for path in paths if path.startswith("/staff")]
    assert staff[-1] == "/staff/{rest:path}", staff[-3:]
