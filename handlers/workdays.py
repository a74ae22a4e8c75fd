"""Working days in Indonesia: Monday to Friday except national public holidays.

The holidays come from the maintained `holidays` package (country "ID"), which follows the
government's yearly decree (Surat Keputusan Bersama on national holidays), lunar and Islamic
calendar dates included.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import holidays


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    # Imported on the first callback or submission: `holidays` and its calendars (~3 MB) are
    # not part of an idle service.
    import holidays

    return holidays.country_holidays("ID", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current
