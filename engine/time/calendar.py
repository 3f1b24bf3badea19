"""Working days in the city's calendar.

Legal time limits count working days: weekends and Vietnamese public holidays
(the ``holidays`` package, lunar Tết included) do not count. Extra days off and
swapped working days (a Saturday worked to bridge a holiday) are configured per
year (:func:`load_file`, e.g. from ``TALENTFLOW_CALENDAR_FILE``). A deadline of
*n* working days ends at the end of the *n*-th working day after the start, in
the city's time zone.

Diagrams write working days as the expression ``working_days(n)`` (a timer's
``timeDate`` or a task's due date), calendar days as ``"P10D"`` (a
``timeDuration``) or ``days_from_now(n)``. Every process reads the same file,
so every process computes the same due times.
"""
from __future__ import annotations

import json
import tomllib
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import holidays

from engine.time import clock

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

    def working_days_before(self, deadline: datetime, days: int, at: time = time(8, 0)) -> datetime:
        """The start of office hours (``at``, local) on the ``days``-th working day before the last
        day a ``deadline`` allows (a deadline at local midnight allows the day before): when to
        remind someone of it."""
        if deadline.tzinfo is None:
            raise ValueError("deadline must be timezone-aware")
        if days < 0:
            raise ValueError("days must not be negative")
        day = (deadline.astimezone(self.zone) - timedelta(microseconds=1)).date()
        counted = 0
        while counted < days:
            day -= timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return datetime.combine(day, at, self.zone).astimezone(timezone.utc)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count


class CalendarFileError(ValueError):
    """The calendar file cannot be used; the message says where and why."""


def _dates(year: str, kind: str, values: Any) -> list[date]:
    if not isinstance(values, list):
        raise CalendarFileError(f"{year}.{kind} must be a list of dates (YYYY-MM-DD)")
    days = []
    for value in values:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            day = None
        if day is None:
            raise CalendarFileError(f"{year}.{kind}: {value!r} is not a date (YYYY-MM-DD)")
        if str(day.year) != year:
            raise CalendarFileError(f"{year}.{kind}: {value} is not in {year}")
        days.append(day)
    return days


def parse_config(config: Any) -> BusinessCalendar:
    """``{"2027": {"days_off": [...], "working_days": [...]}}`` -> a calendar with those changes."""
    if not isinstance(config, dict):
        raise CalendarFileError("the calendar file must map years to {days_off, working_days}")
    days_off: list[date] = []
    working: list[date] = []
    for year, changes in config.items():
        if not (isinstance(year, str) and year.isdigit() and len(year) == 4):
            raise CalendarFileError(f"{year!r} is not a year")
        if not isinstance(changes, dict) or set(changes) - {"days_off", "working_days"}:
            raise CalendarFileError(f"{year}: only 'days_off' and 'working_days' may be given")
        days_off += _dates(year, "days_off", changes.get("days_off", []))
        working += _dates(year, "working_days", changes.get("working_days", []))
    both = sorted(set(days_off) & set(working))
    if both:
        raise CalendarFileError(f"{both[0]} is both a day off and a working day")
    return BusinessCalendar(days_off, working)


def load_file(path: str | Path) -> BusinessCalendar:
    """Read a JSON or TOML calendar file (by its suffix)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise CalendarFileError(f"cannot read calendar file {path}: {err.strerror}") from None
    try:
        config = tomllib.loads(raw.decode("utf-8")) if path.suffix.lower() == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise CalendarFileError(f"calendar file {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {err}") from None
    try:
        return parse_config(config)
    except CalendarFileError as err:
        raise CalendarFileError(f"calendar file {path}: {err}") from None


def configure(path: str | Path | None) -> BusinessCalendar:
    """Install the calendar of ``path`` (or the plain one) as the service calendar."""
    calendar = load_file(path) if path else BusinessCalendar()
    use(calendar)
    return calendar


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


def working_days_before(deadline: str, days: int) -> str:
    """Script helper: 08:00 (city time) on the ``days``-th working day before an ISO deadline (reminders)."""
    return _calendar.working_days_before(datetime.fromisoformat(str(deadline)), int(days)).isoformat()


def days_from_now(days: int) -> str:
    """Script helper: calendar days from now, at the end of that local day, ISO (for timers)."""
    local = clock.now().astimezone(_calendar.zone).date() + timedelta(days=int(days))
    return datetime.combine(local, END_OF_DAY, _calendar.zone).astimezone(timezone.utc).isoformat()
