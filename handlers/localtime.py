"""Local time in Indonesia: WIB, WITA or WIT by province (messages/timezones.toml), quiet hours.

A region code's first two digits name its province; the province decides the zone. Quiet hours
("21:00-07:00") are read in the recipient's local time: a broadcast falling inside them waits for
the morning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone, tzinfo
from functools import cache

from messages.data import data


@cache
def _table() -> tuple[dict[str, timezone], dict[str, str], str]:
    raw = data("timezones")
    zones = {name: timezone(timedelta(hours=hours), name) for name, hours in raw["zones"].items()}
    provinces = {code: zone for zone, codes in raw["provinces"].items() for code in codes}
    return zones, provinces, raw["default"]


def zone_name(region_code: str | None) -> str:
    """ "35.77" → "WIB", "51.71" → "WITA", "91.01" → "WIT"; unknown → the default (WIB)."""
    _, provinces, default = _table()
    digits = (region_code or "").replace(".", "")[:2]
    return provinces.get(digits, default)


def zone(name: str) -> tzinfo:
    zones, _, default = _table()
    return zones.get(name, zones[default])


def zone_of(region_code: str | None) -> tzinfo:
    return zone(zone_name(region_code))


WIB = zone("WIB")
"""Western Indonesia Time, where every branch of the branch map is: staff dates and times."""


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time, possibly across midnight, when broadcasts do not go out."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError("must look like 21:00-07:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError("hours 00-23, minutes 00-59")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, local: datetime) -> bool:
        now = local.time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def next_allowed(self, moment: datetime, tz: tzinfo) -> datetime:
        """`moment` itself when outside quiet hours, else when they end (in UTC like `moment`)."""
        local = moment.astimezone(tz)
        if not self.contains(local):
            return moment
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(moment.tzinfo)

    def starts_within(self, moment: datetime, tz: tzinfo, lead: timedelta) -> bool:
        """Quiet now, or from some time in the next `lead`."""
        return self.contains(moment.astimezone(tz)) or self.contains((moment + lead).astimezone(tz))
