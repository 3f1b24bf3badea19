"""Dates and times in scripts: every way to the wall clock leads to the service clock.

A replay re-runs a case's scripts later, so a script must read the time the case's step had:
``clock.now()``. Handing scripts a ``datetime`` subclass whose ``now`` reads that clock is not
enough: ``datetime.min``, any date in the task data and ``clock.now()`` itself are instances of the
real class, whose ``now``/``today``/``utcnow`` read the wall clock, and ``datetime.mro()[1]`` is the
real class. So the sandbox's attribute guard asks :func:`clock_attribute` first, for every object.

C's ``strftime``/``strptime`` import ``time``/``_strptime`` through the calling frame's builtins,
which in a script are the sandbox's (imports refused); called from this module they find Python's.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from engine.definitions.script_limits import refuse
from engine.time import clock


def _as(cls: type, value: datetime) -> Any:
    return cls(value.year, value.month, value.day, value.hour, value.minute, value.second,
               value.microsecond, value.tzinfo, fold=value.fold)


class ClockDatetime(datetime):
    """``datetime`` whose ``now``/``today``/``utcnow`` read the service clock (replay stays exact)."""

    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        value = clock.now()
        return _as(cls, value.astimezone(tz) if tz is not None else value)

    @classmethod
    def today(cls):  # type: ignore[override]
        return cls.now()

    @classmethod
    def utcnow(cls):  # type: ignore[override]
        """Naive UTC, as Python's ``utcnow`` (SpiffWorkflow's default engine) gives."""
        return _as(cls, clock.now().astimezone(timezone.utc).replace(tzinfo=None))


class ClockDate(date):
    """``date`` whose ``today`` is the city's date on the service clock."""

    @classmethod
    def today(cls):  # type: ignore[override]
        day = clock.now().astimezone(clock.CITY_ZONE).date()
        return cls(day.year, day.month, day.day)


ClockDatetime.min = ClockDatetime(1, 1, 1)  # type: ignore[misc]
ClockDatetime.max = ClockDatetime(9999, 12, 31, 23, 59, 59, 999999)  # type: ignore[misc]
ClockDate.min = ClockDate(1, 1, 1)  # type: ignore[misc]
ClockDate.max = ClockDate(9999, 12, 31)  # type: ignore[misc]

_CLOCK_NAMES = frozenset({"now", "today", "utcnow"})
_C_IMPORTING = frozenset({"strftime", "strptime"})
_MISSING = object()


def _is_date_kind(obj: Any) -> bool:
    return isinstance(obj, date) or (isinstance(obj, type) and issubclass(obj, date))


def clock_attribute(obj: Any, name: str) -> Any:
    """What ``obj.name`` is in a script when the clock decides it, else a marker: the service
    clock's ``now``/``today``/``utcnow`` on any date or datetime (class or instance), a refusal for
    ``mro``, and ``strftime``/``strptime`` called from here."""
    if name == "mro" and isinstance(obj, type):
        refuse("attribute 'mro' is not allowed")
    if not _is_date_kind(obj):
        return _MISSING
    is_datetime = isinstance(obj, datetime) or (isinstance(obj, type) and issubclass(obj, datetime))
    if name in _CLOCK_NAMES:
        return getattr(ClockDatetime if is_datetime else ClockDate, name)
    if name in _C_IMPORTING:
        method = getattr(obj, name)
        return lambda *args, **kwargs: method(*args, **kwargs)
    return _MISSING


def decided(value: Any) -> bool:
    return value is not _MISSING
