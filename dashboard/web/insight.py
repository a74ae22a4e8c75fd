"""The reports page (charts and a CSV per table) and the audit page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from markupsafe import Markup

from dashboard.service import road_report
from dashboard.service.errors import NotFound
from dashboard.service.reports import Report, ReportTable, table_csv
from dashboard.web import charts
from dashboard.web.audit_details import AuditWords
from dashboard.web.context import StaffPages
from dashboard.web.filters import branch_options
from dashboard.web.labels import STATUS_LABELS, step_label
from messages.format import month_names
from storage.submissions import ALL_STATUSES

# The audit log's actions as a supervisor reads them.
AUDIT_ACTIONS = {
    "login": "Masuk",
    "login_failed": "Gagal masuk",
    "login_locked": "Masuk ditahan (terlalu banyak salah)",
    "detail_view": "Membuka pendaftaran",
    "nik_reveal": "Menampilkan NIK",
    "export": "Mengunduh antrean",
    "export_reveal_nik": "Mengunduh dengan NIK lengkap",
    "assign": "Mengambil pendaftaran",
    "reassign": "Mengalihkan pendaftaran",
    "call_recorded": "Mencatat panggilan",
    "status_change": "Mengubah status",
    "paid_said": 'Peserta membalas "sudah bayar"',
    "callback_view": "Membuka permintaan telepon",
    "callback_phone_reveal": "Menampilkan nomor HP permintaan telepon",
    "callback_assign": "Mengambil permintaan telepon",
    "callback_closed": "Menutup permintaan telepon",
    "export_callbacks": "Mengunduh permintaan telepon",
    "account_created": "Membuat akun",
    "account_disabled": "Menonaktifkan akun",
    "password_changed": "Mengganti kata sandi",
    "token_issued": "Membuat token API",
    "token_revoked": "Mencabut token API",
    "token_used": "Memakai token API",
    "session_created": "Membuat acara sosialisasi",
    "broadcast_created": "Membuat siaran",
    "broadcast_test": "Mengirim uji siaran",
    "test_chat_code": "Membuat kode chat uji",
    "test_chat_linked": "Menghubungkan chat uji",
    "test_chat_unlinked": "Melepaskan chat uji",
    "broadcast_pause": "Menjeda siaran",
    "broadcast_resume": "Melanjutkan siaran",
    "broadcast_cancel": "Membatalkan siaran",
    "conversation_viewed": "Membuka percakapan pekerja",
    "agent_message": "Menulis ke chat pekerja",
    "agent_closed": "Menyerahkan chat ke bot",
    "chat_handover": "Mengalihkan chat petugas yang dinonaktifkan",
    "saved_reply_saved": "Menyimpan balasan tersimpan",
    "saved_reply_removed": "Menghapus balasan tersimpan",
}


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


STEP_COLUMNS = {"drop_off": 0, "funnel_by_path": 2}
"""Report tables with a form step in a column, by its position: named in words for people."""


def worded(report: Report) -> Report:
    """The report with form steps named as people read them ("income_check" → "Pemeriksaan
    penghasilan"), on the page and in its CSV files alike."""

    def named(table: ReportTable) -> ReportTable:
        at = STEP_COLUMNS.get(table.key)
        if at is None:
            return table
        rows = tuple(
            tuple(step_label(str(v)) if i == at and v is not None else v for i, v in enumerate(row))
            for row in table.rows
        )
        return replace(table, rows=rows)

    return replace(report, tables=tuple(named(t) for t in report.tables))


def chart_for(table: ReportTable, report: Report) -> Markup | None:
    """The chart that suits a table, or None for tables better read as numbers."""
    if not table.rows:
        return None
    if table.key == "by_week":
        return _weekly_chart(table, report)
    if table.key == "by_region":
        rows = [(f"{r[1]}, {r[0]}", r[2]) for r in table.rows]
    elif table.key == "drop_off":
        rows = [(step_label(str(r[0])), r[1]) for r in table.rows]
    elif table.key in ("by_occupation", "by_attribution", "arrears_reasons"):
        rows = [(str(r[0]), r[1]) for r in table.rows]
    elif table.key.startswith("road_by_"):
        rows = _road_totals(table)
    else:
        return None
    return charts.bar_chart(_pairs(rows), title=table.title)


def _road_totals(table: ReportTable) -> list[tuple[str, Any]]:
    """The whole road as one funnel: each stage's people over the table's rows (hidden cells,
    "<5" for a partner, are left out of the sums)."""
    stages = len(road_report.STAGES)
    first = len(table.columns) - stages
    return [
        (name, sum(r[first + i] for r in table.rows if isinstance(r[first + i], int)))
        for i, name in enumerate(table.columns[first:])
    ]


def _weekly_chart(table: ReportTable, report: Report) -> Markup:
    """Every week of the period, quiet ones included, so the time axis is even."""
    by_week = {str(row[0]): row[1:] for row in table.rows}
    monday = report.date_from - timedelta(days=report.date_from.weekday())
    weeks = []
    while monday <= report.date_to:
        weeks.append(monday)
        monday += timedelta(days=7)
    empty = (0,) * len(ALL_STATUSES)
    series = {
        status: [by_week.get(week.isoformat(), empty)[i] for week in weeks]
        for i, status in enumerate(ALL_STATUSES)
    }
    months = month_names()
    columns = [f"{week.day} {months[week.month - 1][:3]}" for week in weeks]
    return charts.legend(list(ALL_STATUSES), STATUS_LABELS) + charts.stacked_columns(
        columns, _values(series), title=table.title, names=STATUS_LABELS
    )


def _values(series: dict[str, list[Any]]) -> dict[str, list[int | str]]:
    return {k: [v if isinstance(v, int | str) else 0 for v in vs] for k, vs in series.items()}


def _pairs(rows: list[tuple[str, Any]]) -> list[tuple[str, int | str]]:
    return [(label, value if isinstance(value, int | str) else 0) for label, value in rows]


def add_insight_routes(router: APIRouter, pages: StaffPages) -> None:
    backoffice = pages.backoffice

    async def load_report(request: Request) -> tuple[Any, Report, dict[str, str]]:
        staff = await pages.user(request)
        staff.account.require(staff.can_see_reports)
        params = request.query_params
        chosen = {
            "dari": params.get("dari", ""),
            "sampai": params.get("sampai", ""),
            "cabang": params.get("cabang", "") if staff.account.all_branches else "",
        }
        report = await backoffice.reports(
            staff.account,
            date_from=_date(chosen["dari"]),
            date_to=_date(chosen["sampai"]),
            branch=chosen["cabang"] or None,
        )
        return staff, worded(report), chosen

    async def reports_page(request: Request) -> Response:
        staff, report, chosen = await load_report(request)
        query = {k: v for k, v in chosen.items() if v}
        return pages.page(
            request,
            "reports.html",
            title="Laporan",
            staff=staff,
            nav="reports",
            report=report,
            chosen=chosen,
            branches=branch_options(),
            charts={t.key: chart_for(t, report) for t in report.tables},
            step_label=step_label,
            csv_links={t.key: urlencode({**query, "tabel": t.key}) for t in report.tables},
        )

    async def report_csv(request: Request) -> Response:
        _staff, report, _chosen = await load_report(request)
        key = request.query_params.get("tabel", "")
        tables = {t.key: t for t in report.tables}
        if key not in tables:
            raise NotFound("Tabel laporan tidak ditemukan.")
        filename = f"laporan-{key}-{report.date_from.isoformat()}-{report.date_to.isoformat()}.csv"
        return Response(
            table_csv(tables[key]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    async def audit_page(request: Request) -> Response:
        staff = await pages.user(request)
        staff.account.require(staff.can_see_audit)
        params = request.query_params
        chosen = {
            "aksi": params.get("aksi", ""),
            "pelaku": params.get("pelaku", ""),
            "dari": params.get("dari", ""),
            "sampai": params.get("sampai", ""),
        }
        cursor = params.get("sebelum") or None
        entries = await backoffice.audit(
            staff.account,
            action=chosen["aksi"] or None,
            actor=chosen["pelaku"] or None,
            date_from=_date(chosen["dari"]),
            date_to=_date(chosen["sampai"]),
            cursor=cursor if cursor and cursor.isdigit() else None,
        )
        query = {k: v for k, v in chosen.items() if v}
        return pages.page(
            request,
            "audit.html",
            title="Audit",
            staff=staff,
            nav="audit",
            entries=entries,
            chosen=chosen,
            actions=AUDIT_ACTIONS,
            details_of=AuditWords(pages.channels).describe,
            cursor=cursor,
            first_page_query=urlencode(query),
            next_page_query=urlencode({**query, "sebelum": entries.next_cursor or ""}),
        )

    router.add_api_route("/reports", reports_page, methods=["GET"])
    router.add_api_route("/reports/csv", report_csv, methods=["GET"])
    router.add_api_route("/audit", audit_page, methods=["GET"])
