"""Jinja2 for the staff pages (autoescaped), their formatting filters and static asset URLs."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from handlers.localtime import WIB
from messages.format import format_rupiah, format_short_date, month_names
from messages.render import AUTO_RELOAD

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
STATIC_PREFIX = "/staff/static"
# The branches in the branch map are all in Western Indonesia Time. A branch elsewhere would
# carry its own zone; until then times are shown in WIB and say so.
LOCAL_ZONE_NAME = "WIB"


@cache
def static_url(name: str) -> str:
    """The URL of a vendored asset, with a content hash so a new version is not cached stale."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:10]
    return f"{STATIC_PREFIX}/{name}?v={digest}"


def local_time(value: datetime | None, *, with_zone: bool = True) -> str:
    """A UTC time as the branch reads it: "21 November 2026 10.00 WIB"."""
    if value is None:
        return "–"
    local = value.astimezone(WIB)
    text = f"{format_short_date(local.date())} {local:%H.%M}"
    return f"{text} {LOCAL_ZONE_NAME}" if with_zone else text


def short_time(value: datetime | None, now: datetime | None = None) -> str:
    """ "21 Nov 10.00": compact, for tables; "21 Nov 2024 10.00" when not this year (WIB)."""
    if value is None:
        return "–"
    local = value.astimezone(WIB)
    this_year = (now or datetime.now(WIB)).astimezone(WIB).year
    year = f" {local.year}" if local.year != this_year else ""
    return f"{local.day} {month_names()[local.month - 1][:3]}{year} {local:%H.%M}"


def long_date(value: date | None) -> str:
    return "–" if value is None else format_short_date(value)


def rupiah(value: int | None) -> str:
    return "–" if value is None else format_rupiah(value)


def number(value: Any) -> str:
    """A number as Indonesians write it: 12.345 and 12,5 (a count never shows ",0")."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if value == int(value):
        return f"{int(value):,}".replace(",", ".")
    return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=AUTO_RELOAD,
    )
    env.globals["static_url"] = static_url
    env.filters.update(
        local_time=local_time, short_time=short_time, long_date=long_date, rupiah=rupiah, number=number
    )
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)
