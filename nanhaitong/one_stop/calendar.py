"""Working days (工作日) in China: weekends, national holidays and the weekend days worked in
their place (调休), from the chinese-calendar package, which follows the State Council's
yearly notice. Nothing here is hard-coded.

For a year the package has no data for yet (the notice comes out each November), Monday
to Friday count as working days and ``known`` says so; each such use is logged once, so
operators update the package when the notice is out.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def _warn_unknown(year: int) -> None:
    log.warning("chinese-calendar has no holiday data for %s: counting Monday to Friday as working days", year)


def known(day: date) -> bool:
    """Whether the package holds that year's holiday notice."""
    years = chinese_calendar.holidays.keys()
    return min(years).year <= day.year <= max(years).year


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    if known(day):
        return chinese_calendar.is_workday(day)
    _warn_unknown(day.year)
    return day.weekday() < 5


def holiday_name(day: date) -> str | None:
    """The holiday a day off belongs to (English name as the package gives it), if any."""
    if not known(day):
        return None
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    return name if on_holiday else None


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (the day of acceptance does not count)."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end is before)."""
    if end < start:
        return -working_days_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n)))


def next_working_days(start: date, count: int) -> list[date]:
    """``start`` if it is a working day, then the working days after it: ``count`` in all."""
    days, day = [], start
    while len(days) < count:
        if is_working_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days
