"""Paging of the lists (cases, tasks) so that a page costs the same at 1 000 and at 100 000 rows.

Three things made a list grow with the database, and each has its answer here:

- *Offset paging* (``page=180``) makes the database read and throw away every row before the
  page. The answer is keyset paging: each page carries ``next``, an opaque cursor naming the last
  row shown, and ``after=<next>`` asks for the rows that follow it in the list's order — an index
  seek, whatever the depth. ``page`` still works (old clients, the pager of the web pages) but
  only down to :data:`MAX_OFFSET` rows; deeper, the answer says to use ``after``.
- *Counting every row* for ``total``. The answer counts at most :data:`TOTAL_CAP` rows: below
  that ``total`` is exact; above it ``total`` is :data:`TOTAL_CAP` and ``total_exact`` is false
  ("more than"). ``total=exact`` asks for the exact count (it costs what counting every row
  costs). The count is taken over the very rows the caller may see, so it never reveals a hidden
  case.
- Filters no index serves: see :mod:`engine.cases.tasklist` and
  :func:`engine.cases.worklist.participant_clause`.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
import re
from datetime import datetime, timezone
from typing import Any

from engine.errors import Invalid

MAX_PAGE_SIZE = 200
#: ``total`` counts at most this many rows unless ``total=exact`` is asked.
TOTAL_CAP = 500
#: ``page`` reaches at most this many rows deep; deeper pages are asked with ``after``.
MAX_OFFSET = 10_000
#: A task id as the engine makes them (a UUID): anything else in a cursor is refused, never sent to SQL.
_ID = re.compile(r"[0-9a-f-]{1,36}")


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    next: str | None = None
    total_exact: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """``next`` only when there is a next page, ``total_exact`` only when false: an answer of
        a short list keeps the shape it always had."""
        out: dict[str, Any] = {"items": self.items, "total": self.total, "page": self.page, "per_page": self.per_page}
        if self.next is not None:
            out["next"] = self.next
        if not self.total_exact:
            out["total_exact"] = False
        return out


def offset_of(page: int, per_page: int, after: str | None) -> int:
    """The rows to skip for ``page`` (none when a cursor is given); refuses bad or too deep pages."""
    if page < 1:
        raise Invalid("page starts at 1", {"page": ["must be at least 1"]})
    if not 1 <= per_page <= MAX_PAGE_SIZE:
        raise Invalid("bad page size", {"per_page": [f"between 1 and {MAX_PAGE_SIZE}"]})
    if after is not None:
        if page != 1:
            raise Invalid("page and after do not go together", {"page": ["leave it out when after is given"]})
        return 0
    offset = (page - 1) * per_page
    if offset > MAX_OFFSET:
        raise Invalid("page too deep: follow the next cursor with after=",
                      {"page": [f"page * per_page may reach at most {MAX_OFFSET} rows; use after"]})
    return offset


def count_mode(total: str | None) -> bool:
    """Whether the exact total is asked (``total=exact``)."""
    if total in (None, ""):
        return False
    if total != "exact":
        raise Invalid("bad total", {"total": ["exact, or leave it out"]})
    return True


def encode(values: list[Any]) -> str:
    """An opaque cursor of the sort key of the last row shown (datetimes as ISO text)."""
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The sort key in ``cursor``, each value of the kind in ``kinds`` (the first may be None: a task
    without a due date); a cursor that was not made by :func:`encode` for this list is refused."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(raw, list) or len(raw) != len(kinds):
            raise ValueError("wrong length")
        out: list[Any] = []
        for position, (value, kind) in enumerate(zip(raw, kinds)):
            if value is None and kind is datetime and position == 0:  # only the due date may be missing
                out.append(None)
            elif kind is datetime and isinstance(value, str):
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError("naive datetime")
                out.append(moment.astimezone(timezone.utc))  # out of range (year 1 at +14:00) raises here
            elif kind is int and isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
                out.append(value)
            elif kind is str and isinstance(value, str) and _ID.fullmatch(value):  # task ids are UUIDs
                out.append(value)
            else:
                raise ValueError("wrong kind")
        return out
    except (ValueError, TypeError, OverflowError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Invalid("bad cursor", {"after": ["not a cursor of this list (use the next value of a page)"]}) from exc


__all__ = ["MAX_OFFSET", "MAX_PAGE_SIZE", "Page", "TOTAL_CAP", "count_mode", "decode", "encode", "offset_of"]
