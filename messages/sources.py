"""A public source of a fact in the data files: what it is, where, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    date: date | None = None
    note: str | None = None
    """Why the date is what it is (an event's date, or none shown)."""

    @property
    def site(self) -> str:
        """Where it was published, as a reader can look it up: "jatim.antaranews.com"."""
        return urlsplit(self.url).netloc.removeprefix("www.")


def parse_sources(entries: list[dict[str, Any]]) -> tuple[Source, ...]:
    return tuple(
        Source(title=s["title"], url=s["url"], date=s.get("date"), note=s.get("note")) for s in entries
    )
