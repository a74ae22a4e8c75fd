"""Figures for supervisors, the operator and partners: tables a chart or a CSV is made from.

Every table counts submissions in the caller's scope (`scope_figures`) created in the date
range: by week and status, by regency and district, by occupation, by attribution code; the
time to first contact and to `terdaftar`; the share first contacted within the promised
working days; the form's per-step drop-off (the drafts that named a regency in the scope:
one that stopped before saying where the person lives is in the operator's report only); and the
ways the form is filled, the chat or a native form, with their funnels and the messages a
person sends to enrol by each (`path_report.py`). For a mitra account, counts from 1 to 4 are
shown as "<5", and enough other cells of their column are hidden with them that no total gives
them back (`suppression`).
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from dashboard.service import path_report, road_report
from dashboard.service.access import Access, scope_figures
from dashboard.service.queue import day_start, today_wib
from dashboard.service.suppression import protect
from dashboard.service.texts import occupation_label, status_label
from handlers.branches import branch_map
from handlers.channels import Catalogue
from handlers.localtime import WIB
from storage.models import Submission
from storage.step_events import step_counts
from storage.submissions import ALL_STATUSES

DEFAULT_WEEKS = 12
SMALL = 5

Cell = int | float | str | None


@dataclass(frozen=True)
class ReportTable:
    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Report:
    date_from: date
    date_to: date
    tables: tuple[ReportTable, ...]

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)


def table_csv(table: ReportTable) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.columns)
    writer.writerows(table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def _suppress(value: Cell, access: Access) -> Cell:
    if access.suppresses_small_counts and isinstance(value, int) and 0 < value < SMALL:
        return "<5"
    return value


def _table(
    access: Access, key: str, title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], counts: int
) -> ReportTable:
    """`counts` is how many trailing columns are counts (suppressed for a mitra, with their
    complements: see `suppression`)."""
    if not access.suppresses_small_counts or not rows:
        return ReportTable(key, title, columns, tuple(tuple(row) for row in rows))
    first = len(rows[0]) - counts
    guarded = protect([[int(row[c] or 0) for row in rows] for c in range(first, len(rows[0]))])
    cleaned = tuple(tuple(row[:first]) + tuple(column[r] for column in guarded) for r, row in enumerate(rows))
    return ReportTable(key, title, columns, cleaned)


def _median_hours(deltas: list[timedelta]) -> float | None:
    if not deltas:
        return None
    return round(statistics.median(d.total_seconds() for d in deltas) / 3600, 1)


async def build(
    session: AsyncSession,
    access: Access,
    *,
    date_from: date | None,
    date_to: date | None,
    branch: str | None,
    now: datetime,
    channels: Catalogue | None = None,
) -> Report:
    date_to = date_to or today_wib(now)
    date_from = date_from or date_to - timedelta(weeks=DEFAULT_WEEKS)
    query = scope_figures(
        sa_select(
            col(Submission.created_at),
            col(Submission.status),
            col(Submission.regency_name),
            col(Submission.district_name),
            col(Submission.occupation),
            col(Submission.attribution_code),
            col(Submission.first_contact_at),
            col(Submission.registered_at),
            col(Submission.call_by),
        ),
        access,
    ).where(
        col(Submission.created_at) >= day_start(date_from),
        col(Submission.created_at) < day_start(date_to + timedelta(days=1)),
    )
    if branch and access.all_branches:
        query = query.where(col(Submission.branch_code) == branch)
    rows = (await session.exec(query)).all()  # type: ignore[call-overload]  # 9 columns: past sqlmodel's overloads

    weekly: Counter[tuple[date, str]] = Counter()
    regions: Counter[tuple[str, str]] = Counter()
    regions_done: Counter[tuple[str, str]] = Counter()
    jobs: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    sources_done: Counter[str] = Counter()
    to_contact: list[timedelta] = []
    to_register: list[timedelta] = []
    due = kept = 0
    today = today_wib(now)
    for created, status, regency, district, job, source, contacted, registered, call_by in rows:
        day = created.astimezone(WIB).date()
        weekly[(day - timedelta(days=day.weekday()), status)] += 1
        place = (regency or "-", district or "-")
        regions[place] += 1
        jobs[job] += 1
        sources[source or "-"] += 1
        if status == "terdaftar":
            regions_done[place] += 1
            sources_done[source or "-"] += 1
        if contacted:
            to_contact.append(contacted - created)
        if registered:
            to_register.append(registered - created)
        if call_by and (call_by < today or contacted):
            due += 1
            if contacted and contacted.astimezone(WIB).date() <= call_by:
                kept += 1

    weeks = sorted({week for week, _ in weekly})
    tables = [
        _table(
            access,
            "by_week",
            "Pendaftaran per minggu dan status",
            ("Minggu mulai", *(status_label(s) for s in ALL_STATUSES)),
            [(w.isoformat(), *(weekly[(w, s)] for s in ALL_STATUSES)) for w in weeks],
            len(ALL_STATUSES),
        ),
        _table(
            access,
            "by_region",
            "Per kabupaten/kota dan kecamatan",
            ("Kabupaten/kota", "Kecamatan", "Pendaftaran", "Terdaftar"),
            [(r, d, n, regions_done[(r, d)]) for (r, d), n in sorted(regions.items())],
            2,
        ),
        _table(
            access,
            "by_occupation",
            "Per pekerjaan",
            ("Pekerjaan", "Pendaftaran"),
            [(occupation_label(j), n) for j, n in jobs.most_common()],
            1,
        ),
        _table(
            access,
            "by_attribution",
            "Per kode sumber (sosialisasi, agen)",
            ("Kode sumber", "Pendaftaran", "Terdaftar"),
            [(s, n, sources_done[s]) for s, n in sources.most_common()],
            2,
        ),
        ReportTable(
            "timing",
            "Kecepatan tindak lanjut",
            ("Ukuran", "Nilai"),
            (
                (
                    "Median jam sampai kontak pertama",
                    None if _few(len(to_contact), access) else _median_hours(to_contact),
                ),
                (
                    "Median jam sampai terdaftar",
                    None if _few(len(to_register), access) else _median_hours(to_register),
                ),
                (
                    "Persen dihubungi dalam batas hari kerja yang dijanjikan",
                    round(100 * kept / due, 1) if due and not _few(due, access) else None,
                ),
                ("Pendaftaran yang sudah jatuh tempo", _suppress(due, access)),
            ),
        ),
        _table(
            access,
            "drop_off",
            "Formulir: yang sampai, selesai, dan berhenti di tiap langkah (semua kanal)",
            ("Langkah", "Sampai", "Selesai", "Berhenti"),
            await _steps(session, _step_scope(access, branch)),
            3,
        ),
        _table(
            access,
            "by_path",
            "Cara mengisi: pendaftaran dan pesan yang dikirim sampai terdaftar",
            ("Cara", "Kanal", "Pendaftaran", "Median pesan", "Rata-rata pesan"),
            await path_report.by_path(
                session,
                access,
                channels or Catalogue(()),
                day_start(date_from),
                day_start(date_to + timedelta(days=1)),
            ),
            0,
        ),
        _table(
            access,
            "funnel_by_path",
            "Cara mengisi: dibuka, tiap langkah atau layar, selesai, berhenti (semua cabang)",
            ("Cara", "Kanal", "Langkah", "Sampai", "Selesai", "Berhenti"),
            await path_report.funnel_by_path(session, channels or Catalogue(())),
            3,
        ),
    ]
    road = await road_report.road_tables(
        session,
        access,
        since=day_start(date_from),
        until=day_start(date_to + timedelta(days=1)),
        branch=branch,
        today=today,
    )
    tables += [_table(access, t.key, t.title, t.columns, t.rows, t.counts) for t in road]
    return Report(date_from, date_to, tuple(tables))


def _few(count: int, access: Access) -> bool:
    return access.suppresses_small_counts and 0 < count < SMALL


def _step_scope(access: Access, branch: str | None) -> list[str] | None:
    """The regencies whose drafts the caller's drop-off counts (None: every draft)."""
    if access.role == "mitra":
        return list(access.regencies)
    chosen = branch if access.all_branches else access.branch_code
    if access.all_branches and not branch:
        return None
    office = branch_map().branches.get(chosen or "")
    return list(office.regencies) if office is not None else []


async def _steps(session: AsyncSession, regencies: list[str] | None) -> list[tuple[Any, ...]]:
    from handlers.enrol.fields import FORM

    steps = FORM.steps
    counts = await step_counts(session, regencies=regencies)
    order = [s.name for s in steps if s.name in counts] + sorted(set(counts) - {s.name for s in steps})
    return [
        (name, counts[name]["reached"], counts[name]["completed"], counts[name]["abandoned"])
        for name in order
    ]
