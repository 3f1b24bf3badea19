"""The one clock of the service.

Every reading of the current time goes through :func:`now`, so tests can move
time instead of sleeping and a replay sees the times that were recorded.
SpiffWorkflow reads ``datetime.now`` inside its timer module;
:func:`engine.time.spiff_patches.install` points that name at this clock too.
"""
from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CITY_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """Real time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class ManualClock(Clock):
    """A clock that only moves when told to (tests, replay)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 1, 0, tzinfo=timezone.utc)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        if when.tzinfo is None:
            raise ValueError("clock times must be timezone-aware")
        with self._lock:
            self._now = when

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now = self._now + delta
            return self._now


_current: Clock = Clock()


def now() -> datetime:
    """The current time, UTC, from the installed clock."""
    return _current.now()


def current() -> Clock:
    return _current


def use(clock: Clock) -> Clock:
    """Install ``clock`` as the service clock; returns the previous one."""
    global _current
    previous, _current = _current, clock
    return previous


def last_day(deadline: datetime) -> date:
    """The last city day a ``deadline`` allows. A due time stored as the end of a day is often the
    next midnight (2026-12-16T00:00+07:00 closes 15 December), so a moment at local midnight
    belongs to the day before; any other moment to its own day. Pages and panels say deadlines by
    this one rule, so a worklist never says 16/12 where the diagram says 15/12."""
    if deadline.tzinfo is None:
        raise ValueError("deadline must be timezone-aware")
    return (deadline.astimezone(CITY_ZONE) - timedelta(microseconds=1)).date()
