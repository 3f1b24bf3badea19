"""A task's files named in the data it submits: the check a completion makes before it keeps them.

A form may ask for a file (a dossier's certificate, a member's review of an action plan); the file
is uploaded for the task first (:meth:`engine.files.CaseFiles.attach` with ``task_id``) and the
completion names it by id. Whoever wires the service gives the case steps a binder
(:data:`engine.cases.steps.FileBinder`) that finds those names in the validated data and asks
:func:`task_reference` for each, inside the completion's own transaction, with the case row
locked — so no attach or removal can slip between the check and the commit. What the data then
keeps is the full reference (:func:`full_reference`): the case data and the ``task_completed``
event on the hash chain name the exact content by its SHA-256, and ``access.file_visible`` shows
the file to whoever is shown that data.

Only files uploaded on *this* case for *this* task count: another case's or another task's file is
answered as unknown, the same as an id that never existed, so the check reveals nothing.
"""
from __future__ import annotations

from typing import Any, Collection

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.store.models import CaseFile

FILE = CaseFile.__table__


class Unusable(Exception):
    """Why a named file cannot stand in a task's data: ``reason`` is ``unknown`` (not a file
    uploaded on this case for this task), ``removed``, ``kind`` (not one the field accepts) or
    ``changed`` (a reference sent back whose SHA-256 is not the file's)."""

    def __init__(self, reason: str, file_id: Any) -> None:
        super().__init__(f"file {file_id}: {reason}")
        self.reason, self.file_id = reason, file_id


def full_reference(row: Any) -> dict[str, Any]:
    """How a task's data names a kept file: enough to find it, to check it, and to show it."""
    return {"file_id": row.id, "sha256": row.sha256, "name": row.name, "kind": row.kind, "size": row.size}


def task_reference(conn: Connection, case_id: int | None, task_id: str | None, file_id: int,
                   sha256: str | None = None, kinds: Collection[str] = ()) -> dict[str, Any]:
    """The full reference of file ``file_id`` if it was uploaded on case ``case_id`` for task
    ``task_id`` and may be named there now, else :class:`Unusable`. ``kinds``: the kinds accepted
    (empty: any); ``sha256``: the hash the caller says it has (a reference sent back)."""
    if case_id is None or task_id is None:  # a start form: no task yet, so no file of it
        raise Unusable("unknown", file_id)
    row = conn.execute(select(FILE).where(FILE.c.id == file_id, FILE.c.case_id == case_id,
                                          FILE.c.task_id == task_id)).first()
    if row is None:
        raise Unusable("unknown", file_id)
    if row.removed_at is not None:
        raise Unusable("removed", file_id)
    if kinds and row.kind not in kinds:
        raise Unusable("kind", file_id)
    if sha256 is not None and sha256 != row.sha256:
        raise Unusable("changed", file_id)
    return full_reference(row)
