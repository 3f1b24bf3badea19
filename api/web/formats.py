"""Numbers, shares, deadlines and typed dates as the reader writes them.

Vietnamese writes 71,5 and 11,7 %; English 71.5 and 11.7 %. The figures on the
pages (marks, totals, shares, an allowance's rate) go through :func:`number` and
:func:`percent` with the page's locale (Flask-Babel's, so outside a request —
e.g. a chart drawn for a given language — they take the locale they are given).

A deadline is said by the last day it allows (:func:`engine.time.clock.last_day`):
a due time at the city's midnight is the end of the day before, shown
"15/12/2026 23:59", never "16/12/2026 00:00", in every list and page that shows
one (:func:`deadline_local`).

People type dates as they read them, dd/mm/yyyy: :func:`parse_day` reads that
(and ISO, which browsers and scripts send) into a date for the form schema, so a
form's date field is a plain text input that shows dd/mm/yyyy back.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal, get_decimal_symbol
from flask import has_request_context
from flask_babel import get_locale

from engine.time.clock import CITY_ZONE, last_day

#: What a date input accepts, for its ``pattern`` attribute: d/m/yyyy (also with - or .) or ISO.
#: (browsers read it as a JavaScript pattern with the ``v`` flag: ``/`` and ``-`` escaped in a class).
DAY_PATTERN = r"\d{1,2}[\/.\-]\d{1,2}[\/.\-]\d{4}|\d{4}-\d{2}-\d{2}"
_DAY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s*$")
_ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*$")
#: The years a typed day may fall in: wide for birth dates and far deadlines, narrow enough to catch slips.
FIRST_YEAR, LAST_YEAR = 1900, 2100
_POINT_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _locale(locale: str | None) -> str:
    if locale:
        return locale
    return str(get_locale() or "vi") if has_request_context() else "vi"


def number(value: Any, decimals: int | None = None, locale: str | None = None) -> str:
    """A figure in the reader's locale: 71,5 (vi) or 71.5 (en), thousands grouped (1.250 / 1,250);
    ``decimals`` fixes the places shown (a mean to one place), else up to three, none for a whole
    number. Anything that is not a number is shown as it is; nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "" if decimals == 0 else ".###")
    return format_decimal(value, format=pattern, locale=_locale(locale))


def percent(share: float | None, locale: str | None = None) -> str:
    """A share (0..1) as a percentage to one place, a whole one without: "11,7 %", "20 %"."""
    if share is None:
        return "—"
    return format_decimal(round(share * 100, 1), format="#,##0.#", locale=_locale(locale)) + " %"


def decimal_text(value: float, locale: str | None = None) -> str:
    """A number as data reads on a page: whole numbers bare (80, 2026 — no grouping, so a year or a
    count stays as typed), others with the locale's decimal sign (71,5)."""
    if value.is_integer():
        return str(int(value))
    return format_decimal(value, format="0.######", locale=_locale(locale))


def deadline_local(value: Any) -> str:
    """A due time as the last day it allows: local midnight shows as the day before at 23:59, any
    other time as dd/mm/yyyy HH:MM in the city's zone; a day alone as dd/mm/yyyy."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.strftime("%d/%m/%Y %H:%M")
        local = value.astimezone(CITY_ZONE)
        if local.time() == datetime.min.time():
            return last_day(local).strftime("%d/%m/%Y") + " 23:59"
        return local.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


def parse_day(text: str) -> date | None:
    """The day typed as dd/mm/yyyy (d/m/yyyy, with / - or .) or as ISO yyyy-mm-dd; None when it is
    not a day of the calendar (31/02/2026) or not written so."""
    found = _DAY.match(text)
    if found:
        day, month, year = (int(part) for part in found.groups())
    else:
        found = _ISO_DAY.match(text)
        if not found:
            return None
        year, month, day = (int(part) for part in found.groups())
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None  # 01/01/0001 is a typing slip, and deadline arithmetic near year 1 or 9999 overflows
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dmy(day: date) -> str:
    """dd/mm/yyyy with the year in four digits (strftime's %Y does not pad years before 1000)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def day_typed(value: Any) -> str:
    """A stored day (ISO) as typed back into a date input (dd/mm/yyyy); what is not a day as it was."""
    if isinstance(value, date):
        return _dmy(value)
    text = "" if value is None else str(value)
    found = _ISO_DAY.match(text)
    if found:
        parsed = parse_day(text)
        return _dmy(parsed) if parsed else text
    return text


def number_typed(text: Any, locale: str | None = None) -> str:
    """A decimal as it is typed back into a number input: 71,5 on a Vietnamese page (the form reads
    either sign, :mod:`api.web.pages.formpost`); never grouped, so what is shown reads back the same.
    What is not a plain decimal (a mistyped "abc") is shown as it was typed."""
    shown = "" if text is None else str(text)
    if not _POINT_DECIMAL.match(shown):
        return shown
    return shown.replace(".", get_decimal_symbol(_locale(locale)))
