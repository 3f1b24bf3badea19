"""The progress of a case's child cases: their tasks of one kind counted per role and unit.

A parent that starts one child case per item (a yearly review: one assessment per talent) is
followed by how many of the children's tasks each unit has done, has open and has let pass their
due time. The count is the task projection's (the rows worklists read), so it costs one query
however many children there are and knows nothing of the process; which task is counted is the
process's ``ProcessPolicy.progress_of``, and who may read the figures the case view's rule
(``engine.cases.views.Reader.case_view``: the process's readers).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.store.models import Case, Task, Unit
from engine.time import clock


def child_task_progress(db: Session | Connection, case_id: int, element_id: str) -> list[dict[str, Any]]:
    """The tasks ``element_id`` of the child cases of ``case_id``, counted per role and unit they are
    for: ``done`` (completed), ``open`` (ready; ``overdue`` of them past their due time), ``closed``
    (cancelled: the child ended otherwise, e.g. its deadline passed), ``total``, and the earliest
    due time of the open ones (``due_at``), in the order of the units' tree."""
    now = clock.now()
    rows = db.execute(select(Task.role, Task.unit_path, Task.status, Task.due_at)
                      .join(Case, Case.id == Task.case_id)
                      .where(Case.parent_case_id == case_id, Task.element_id == element_id)).all()
    paths = {path for _, path, _, _ in rows if path}
    units = {path: (code, name) for code, name, path in db.execute(
        select(Unit.code, Unit.name, Unit.path).where(Unit.path.in_(paths)))} if paths else {}
    lines: dict[tuple[str, str], dict[str, Any]] = {}
    for role, path, status, due in rows:
        code, name = units.get(path, (None, None))
        line = lines.setdefault((role or "", path or ""), {
            "role": role, "unit": code, "unit_name": name, "unit_path": path,
            "done": 0, "open": 0, "overdue": 0, "closed": 0, "total": 0, "due_at": None})
        line["total"] += 1
        if status == "completed":
            line["done"] += 1
        elif status == "ready":
            line["open"] += 1
            if due is not None:
                line["overdue"] += due < now
                line["due_at"] = due if line["due_at"] is None else min(line["due_at"], due)
        else:
            line["closed"] += 1
    return [lines[key] for key in sorted(lines)]
