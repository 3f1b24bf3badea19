"""Working days in the city's calendar.

Legal time limits count working days: weekends and Vietnamese public holidays
(the ``holidays`` package, lunar Tết included) do not count. Extra days off and
swapped working days (a Saturday worked to bridge a holiday) are configured per
year. A deadline of *n* working days ends at the end of the *n*-th working day
after the start, in the city's time zone.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterable

import holidays

from engine import clock

END_OF_DAY = time(23, 59, 59)


class BusinessCalendar:
    def __init__(self, days_off: Iterable[date] = (), working_days: Iterable[date] = (),
                 country: str = "VN", zone=clock.CITY_ZONE) -> None:  # type: ignore[no-untyped-def]
        self.days_off = frozenset(days_off)
        self.working_days = frozenset(working_days)
        self.country = country
        self.zone = zone

    @lru_cache(maxsize=64)
    def _holidays(self, year: int) -> frozenset[date]:
        return frozenset(holidays.country_holidays(self.country, years=year))

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        if day in self.days_off or day.weekday() >= 5:
            return False
        return day not in self._holidays(day.year)

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """End (UTC) of the ``days``-th working day after ``start``'s local date."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        day = start.astimezone(self.zone).date()
        counted = 0
        while counted < days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, END_OF_DAY, self.zone).astimezone(timezone.utc)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


_calendar = BusinessCalendar()


def current() -> BusinessCalendar:
    return _calendar


def use(calendar: BusinessCalendar) -> BusinessCalendar:
    global _calendar
    previous, _calendar = _calendar, calendar
    return previous


def working_days(days: int) -> str:
    """Script helper: the deadline ``days`` working days from now, as an ISO string (for timers)."""
    return _calendar.add_working_days(clock.now(), int(days)).isoformat()


def days_from_now(days: int) -> str:
    """Script helper: calendar days from now, at the end of that local day, ISO (for timers)."""
    local = clock.now().astimezone(_calendar.zone).date() + timedelta(days=int(days))
    return datetime.combine(local, END_OF_DAY, _calendar.zone).astimezone(timezone.utc).isoformat()
