"""Choices a form takes from the directory: units and people, by their names.

A form marks a free string with where its choices come from (``forms.label(..., choices=...)`` ->
``x-choices``): ``units`` (the unit of an exam plan, a nomination) or ``people`` (a council member, a
replacement). The form and the API still take the code or the username and the process still
checks it; the page only offers, as a select, what a person would otherwise have to type from
memory — a unit by its name, a colleague by their display name instead of a sign-in name.
A column of a list of rows is marked the same way and offered as ``"list.column"``.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from sqlalchemy import select

from api.web import services
from engine.cases.search import search_key
from engine.store.models import Unit, User


def marked(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(``key`` or ``list.column``, directory) for every field of ``schema`` marked ``x-choices``."""
    out = []
    for key, node in (schema.get("properties") or {}).items():
        if node.get("x-choices"):
            out.append((key, str(node["x-choices"])))
        items = node.get("items") or {}
        for col, col_node in (items.get("properties") or {}).items():
            if col_node.get("x-choices"):
                out.append((f"{key}.{col}", str(col_node["x-choices"])))
    return out


def people(db: Any) -> list[tuple[str, str]]:
    """Every active user as (username, display name), in the order of their names; two people of
    the same name are told apart by their sign-in names."""
    users = db.execute(select(User.username, User.display_name).where(User.active.is_(True))).all()
    names = Counter(name or username for username, name in users)
    shown = [(username, name or username if names[name or username] == 1 else f"{name} ({username})")
             for username, name in users]
    return sorted(shown, key=lambda person: (search_key(person[1]), person[0]))


def directory_choices(schema: dict[str, Any], policy: Any, actor: Any) -> dict[str, list[tuple[str, str]]]:
    """Choices of the fields marked ``x-choices``: for ``units``, the units the user may start a case
    of the process for (only on a start form, where ``policy`` is given), by their names; for
    ``people``, every active user by display name (the username is what is posted)."""
    fields = marked(schema)
    if not fields:
        return {}
    out: dict[str, list[tuple[str, str]]] = {}
    with services().store.read() as db:
        if any(kind == "units" for _key, kind in fields) and policy is not None:
            units = db.execute(select(Unit.code, Unit.name, Unit.path).order_by(Unit.path)).all()
            mine = [(code, name or code) for code, name, path in units if policy.may_start(actor, path)]
            out.update({key: mine for key, kind in fields if kind == "units"})
        if any(kind == "people" for _key, kind in fields):
            everyone = people(db)
            out.update({key: everyone for key, kind in fields if kind == "people"})
    return out
