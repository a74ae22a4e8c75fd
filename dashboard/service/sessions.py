"""Socialization sessions for staff: create one, list and read them within the caller's branches,
and everything an organiser prints or shares (links, QR codes, the A4 poster).

A session's start and end are given in the local time of its regency (WIB/WITA/WIT by province)
unless they carry their own offset; they are stored in UTC. Its branch follows the branch map.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlmodel import col, select

from handlers.branches import branch_map
from handlers.channels import Catalogue
from handlers.flows.sessions import view
from handlers.localtime import zone, zone_name
from handlers.regions import bare_name, region
from messages.render import AUTO_RELOAD, render
from messages.render import environment as message_environment
from storage import outreach
from storage.db import Database
from storage.outreach_models import SocialSession

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O: codes are read aloud and typed


class Invalid(ValueError):
    """A field the caller gave cannot be used; `message` is for staff (Indonesian)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Sponsor:
    name: str
    months: int
    quota: int


@dataclass(frozen=True)
class SessionSpec:
    title: str
    starts_at: datetime
    ends_at: datetime
    regency_code: str
    organiser: str
    capacity: int
    place: str | None = None
    online_url: str | None = None
    district: str | None = None
    sponsor: Sponsor | None = None


def qr_png(url: str, scale: int = 10) -> bytes:
    import segno  # loaded by the first QR code (about 9 MB), not by every running service

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, scale: int = 10, *, sized: bool = True) -> str:
    """With `sized=False` the SVG has a viewBox only, so it fills the box a page gives it."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, omitsize=not sized
    )
    return out.getvalue().decode()


def _local(value: datetime, regency_code: str) -> datetime:
    return value.replace(tzinfo=zone(zone_name(regency_code))) if value.tzinfo is None else value


def _clean(spec: SessionSpec) -> SessionSpec:
    def text(field: str, value: str | None, limit: int, required: bool = True) -> str | None:
        value = (value or "").strip() or None
        if required and value is None:
            raise Invalid(field, "wajib diisi")
        if value is not None and len(value) > limit:
            raise Invalid(field, f"paling banyak {limit} huruf")
        return value

    title = text("title", spec.title, 200)
    organiser = text("organiser", spec.organiser, 200)
    place = text("place", spec.place, 300, required=False)
    online = text("online_url", spec.online_url, 500, required=False)
    if (place is None) == (online is None):
        raise Invalid("place", "isi tempat (tatap muka) atau tautan online, salah satu")
    if online is not None and not online.startswith(("https://", "http://")):
        raise Invalid("online_url", "tautan harus diawali https://")
    found = region(spec.regency_code or "")
    if found is None or found.kind not in ("kota", "kabupaten"):
        raise Invalid("regency_code", "kode kabupaten/kota tidak dikenal (contoh: 35.77)")
    start, end = _local(spec.starts_at, found.code), _local(spec.ends_at, found.code)
    if end <= start:
        raise Invalid("ends_at", "waktu selesai harus setelah waktu mulai")
    if not 1 <= spec.capacity <= 10_000:
        raise Invalid("capacity", "kapasitas 1 sampai 10.000 orang")
    sponsor = spec.sponsor
    if sponsor is not None:
        name = text("sponsor", sponsor.name, 200)
        if not 1 <= sponsor.months <= 24:
            raise Invalid("sponsor", "lama iuran dibayar: 1 sampai 24 bulan")
        if sponsor.quota < 1:
            raise Invalid("sponsor", "kuota minimal 1 orang")
        sponsor = Sponsor(name or "", sponsor.months, sponsor.quota)
    return SessionSpec(
        title=title or "",
        starts_at=start,
        ends_at=end,
        regency_code=found.code,
        organiser=organiser or "",
        capacity=spec.capacity,
        place=place,
        online_url=online,
        district=text("district", spec.district, 100, required=False),
        sponsor=sponsor,
    )


def _code_stem(regency_code: str, start: datetime) -> str:
    found = region(regency_code)
    letters = (
        "".join(c for c in bare_name(found.name, found.kind).upper() if c in CODE_ALPHABET) if found else ""
    )
    return f"{(letters + 'XXX')[:3]}{start:%d%m}"


async def create_session(
    db: Database, spec: SessionSpec, *, actor: str, branches: Collection[str] | None, now: datetime
) -> SocialSession:
    """Stores a new session with a short code (e.g. MAD2411, then MAD2411B ...).

    `branches` is the caller's scope (None: every branch); a regency outside it is refused.
    """
    spec = _clean(spec)
    branch = branch_map().for_regency(spec.regency_code)
    if branches is not None and branch.code not in branches:
        raise Invalid("regency_code", "kabupaten/kota ini bukan wilayah kantor cabang Anda")
    found = region(spec.regency_code)
    assert found is not None
    tz_name = zone_name(spec.regency_code)
    stem = _code_stem(spec.regency_code, spec.starts_at.astimezone(zone(tz_name)))
    async with db.transaction() as session:
        taken = set(
            (
                await session.exec(select(SocialSession.code).where(col(SocialSession.code).startswith(stem)))
            ).all()
        )
        code = next(
            (c for c in [stem, *(stem + letter for letter in CODE_ALPHABET)] if c not in taken),
            stem + "".join(secrets.choice(CODE_ALPHABET) for _ in range(3)),
        )
        social = SocialSession(
            code=code,
            title=spec.title,
            starts_at=spec.starts_at,
            ends_at=spec.ends_at,
            timezone=tz_name,
            place=spec.place,
            online_url=spec.online_url,
            regency_code=spec.regency_code,
            regency_name=found.label,
            district=spec.district,
            organiser=spec.organiser,
            capacity=spec.capacity,
            branch_code=branch.code,
            sponsor=spec.sponsor.name if spec.sponsor else None,
            sponsor_months=spec.sponsor.months if spec.sponsor else None,
            sponsor_quota=spec.sponsor.quota if spec.sponsor else None,
            created_by=actor,
            created_at=now,
        )
        session.add(social)
    return social


async def list_sessions(db: Database, branches: Collection[str] | None) -> Sequence[SocialSession]:
    query = select(SocialSession).order_by(col(SocialSession.starts_at).desc())
    if branches is not None:
        query = query.where(col(SocialSession.branch_code).in_(list(branches)))
    async with db.reader() as session:
        return (await session.exec(query)).all()


async def get_session(db: Database, code: str, branches: Collection[str] | None) -> SocialSession | None:
    """The session with this code, or None when it does not exist or is another branch's."""
    async with db.reader() as session:
        social = await outreach.session_by_code(session, code)
    if social is None or (branches is not None and social.branch_code not in branches):
        return None
    return social


async def reserved(db: Database, social: SocialSession) -> int:
    assert social.id is not None
    async with db.reader() as session:
        return await outreach.reserved_count(session, social.id)


@cache
def _poster_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), auto_reload=AUTO_RELOAD
    )
    env.filters.update(message_environment().filters)
    return env


def poster_html(
    social: SocialSession,
    links: Mapping[str, str | None],
    channels: Catalogue,
    *,
    stylesheet: str | None = None,
) -> str:
    """The printable A4 page: title, time, place, a QR code per channel with a link (`links` by
    channel name) and three lines of instructions.

    `stylesheet` is the URL of its CSS (dashboard/static/poster.css as the pages serve it)."""
    codes = [
        (info.display_name, url, qr_svg(url, scale=6, sized=False))
        for info in channels.with_sessions()
        if (url := links.get(info.name)) is not None
    ]
    instructions = render(
        "session_poster", s=view(social), code=social.code, sponsor=social.sponsor
    ).splitlines()
    return (
        _poster_environment()
        .get_template("poster.html")
        .render(
            s=view(social),
            codes=codes,
            missing=[info.display_name for info in channels.with_sessions()],
            instructions=instructions,
            sponsor=social.sponsor,
            stylesheet=stylesheet,
        )
    )
