"""Finding cases by number, business key or a person's name, among the cases the reader may see.

People look a case up the way they speak of it: "#12", "TN-2026-004" or "Trần Thị Hoa", and
often type a name without its diacritics ("tran thi"), because a phone keyboard or a tired
hand leaves them out. :func:`search_key` folds both sides to the same key (NFD, combining marks
dropped, đ → d, case folded, spaces collapsed), so "nguyen" finds "Nguyễn".

Where the key lives: it is computed here, in Python, over a bounded set of candidates, not kept
in a column. A person's name on a case lives in the case's JSON data, under a key each process
chooses (``full_name``, ``nominee_name``, a council sheet's rows…), and what of that data a reader
may see is the process policy's ``visible_data`` — a column would have to copy the name out of
the data on every step and still could not say who may read it. So the name is matched against
the data *as the reader may see it*, never against data hidden from them: a search never reveals a
name through a case one may only partly read. The candidates are the newest :data:`SCAN` cases
the reader may see (the one WHERE clause of :meth:`Reader.visible_clause`, reading the data column
but not the workflow state); the number and the business key are found by SQL over every visible
case. Only keys named ``name`` or ending in ``_name`` hold names (the forms' convention), so a
search for "cong" does not list every case whose field is "Công nghệ".
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterator, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.views import Reader
from engine.errors import NotFound
from engine.people.actors import Actor
from engine.store.models import Case, RoleGrant

#: How many of the newest visible cases a name is looked for in.
SCAN = 1000
#: At most this many cases in one answer.
LIMIT = 50
_NUMBER = re.compile(r"#?\s*(\d{1,18})")
_COLUMNS = (Case.id, Case.process_key, Case.business_key, Case.status, Case.created_at, Case.unit_id)


def search_key(text: str | None) -> str:
    """``text`` folded for matching: no diacritics (đ too, which NFD does not split), lower case,
    one space between words. ``search_key("Trần  Thị Đào") == "tran thi dao"``."""
    # đ/Đ do not decompose; Ð/ð (Icelandic eth) is often typed for Đ
    folded = (text or "").replace("đ", "d").replace("Đ", "D").replace("ð", "d").replace("Ð", "D")
    decomposed = unicodedata.normalize("NFD", folded)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def names_in(data: Mapping[str, Any]) -> Iterator[str]:
    """The person names in case data: string values under ``name`` or ``*_name`` keys, at the top
    and in the rows of a list (a sheet of candidates) or an object one level down."""
    for key, value in data.items():
        if isinstance(value, str) and (key == "name" or key.endswith("_name")):
            yield value
        elif isinstance(value, Mapping):
            yield from (v for k, v in value.items() if isinstance(v, str) and (k == "name" or k.endswith("_name")))
        elif isinstance(value, list):
            for row in value:
                if isinstance(row, Mapping):
                    yield from (v for k, v in row.items()
                                if isinstance(v, str) and (k == "name" or k.endswith("_name")))


def find_cases(reader: Reader, session: Session, actor: Actor, query: str, *, scan: int = SCAN,
               limit: int = LIMIT) -> list[dict[str, Any]]:
    """Cases the actor may see whose number, business key or a person's name matches ``query``,
    newest first; each with ``matched`` ("number", "business_key" or "name") and, for a name, the
    ``name`` found."""
    text = " ".join((query or "").split())
    key = search_key(text)
    if not key:
        return []
    found: dict[int, dict[str, Any]] = {}
    visible = None if actor.is_any("auditor", "admin") else reader.visible_clause(session, actor)

    def rows(*where: Any, cap: int, data: bool = False) -> Any:
        columns = _COLUMNS + ((Case.data,) if data else ())
        statement = select(*columns).where(*where, *(() if visible is None else (visible,)))
        return session.execute(statement.order_by(Case.id.desc()).limit(cap)).all()

    number = _NUMBER.fullmatch(text)
    if number and int(number.group(1)) <= 2**63 - 1:
        try:
            reader.visible_case(session, actor, int(number.group(1)))
        except NotFound:
            pass
        else:
            for row in rows(Case.id == int(number.group(1)), cap=1):
                found[row.id] = _line(reader, session, row, "number")
    for row in rows(func.lower(Case.business_key).contains(text.lower(), autoescape=True), cap=limit):
        found.setdefault(row.id, _line(reader, session, row, "business_key"))
    if len(key) >= 2:
        scanned = rows(cap=scan, data=True)
        held = _roles_on(session, actor, [row.id for row in scanned])  # one query, not one per case
        for row in scanned:
            if row.id in found or len(found) >= limit:
                continue
            policy = reader.policy_for(row.process_key)
            roles = held.get(row.id, frozenset())
            name = next((n for n in names_in(policy.visible_data(row.data or {}, actor, roles))
                         if key in search_key(n)), None)
            if name is not None:
                found[row.id] = {**_line(reader, session, row, "name"), "name": name}
    return sorted(found.values(), key=lambda c: -c["id"])[:limit]


def _line(reader: Reader, session: Session, row: Any, matched: str) -> dict[str, Any]:
    return {"id": row.id, "process": row.process_key, "business_key": row.business_key, "status": row.status,
            "created_at": row.created_at, "unit": reader.unit_code(session, row.unit_id), "matched": matched,
            "name": None}


def _roles_on(session: Session, actor: Actor, case_ids: list[int]) -> dict[int, frozenset[str]]:
    """The roles ``actor`` holds on each of ``case_ids`` (a council seat…), read at once."""
    held: dict[int, set[str]] = {}
    if not actor.user_id:
        return {}
    for start in range(0, len(case_ids), 500):  # within every database's limit on bound parameters
        for case_id, role in session.execute(select(RoleGrant.case_id, RoleGrant.role).where(
                RoleGrant.user_id == actor.user_id, RoleGrant.case_id.in_(case_ids[start:start + 500]))):
            held.setdefault(case_id, set()).add(role)
    return {case_id: frozenset(roles) for case_id, roles in held.items()}
