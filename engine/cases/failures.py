"""A step the engine fails: the savepoint that undoes its half-written save, and the answer.

:meth:`engine.cases.steps.CaseSteps.save_or_fail` writes a step inside a :class:`Savepoint` and,
when SpiffWorkflow raises there, rolls back to it and records the incident; the command then
answers :func:`case_failed`, which names the element and says what went wrong
(:func:`describe_failure`, which replay uses too).

Why a savepoint of our own: ``Connection.begin_nested()`` compiles a fresh ``SAVEPOINT`` and
``RELEASE`` clause each time (they are not in SQLAlchemy's statement cache): measured with py-spy
on the five-task bench, the pair cost about 5 % of a step on SQLite (3 % still through
``exec_driver_sql``, which builds an execution context per statement). Sent on the DB-API
connection itself they cost a microsecond or two.
SQLAlchemy need not know of this savepoint: it lives inside the command's transaction, which
commits or rolls back as before, and both SQLite and PostgreSQL nest savepoints, so a child
case started inside its parent's write takes its own (a unique name keeps each one's
``ROLLBACK TO`` its own). What SQLAlchemy's events would do for its own savepoints is done here:
the open-task counter's differences noted since (engine/store/backlog.py) go back with the rows.
"""
from __future__ import annotations

import itertools
from typing import Iterator

from sqlalchemy.engine import Connection

from engine.cases.records import Loaded
from engine.errors import CaseFailed
from engine.store import backlog


def case_failed(case_id: int, err: Exception, loaded: Loaded | None = None) -> CaseFailed:
    """The error a command answers with after its step was recorded as an incident."""
    element_id, message = describe_failure(err)
    if loaded is not None and loaded.case.incident:
        element_id = loaded.case.incident.get("element_id") or element_id
    return CaseFailed(f"case {case_id} failed at '{element_id}': {message}",
                      {"case_id": case_id, "element_id": element_id, "message": message})


def describe_failure(err: Exception) -> tuple[str, str]:
    """(element id, readable message) of an engine failure."""
    task = getattr(err, "task", None)
    spec = task.task_spec if task is not None else getattr(err, "task_spec", None)
    element_id = (getattr(spec, "bpmn_id", None) or getattr(spec, "name", "")) if spec is not None else ""
    inner = getattr(err, "error_type", None) or type(err).__name__
    message = str(err)  # SpiffWorkflow's exceptions already append their notes
    if inner and inner not in message:
        message = f"{inner}: {message}"
    return element_id, message


_names: Iterator[int] = itertools.count(1)


class Savepoint:
    """One savepoint on ``conn``: :meth:`release` keeps what was written since, :meth:`rollback`
    undoes it (the transaction goes on)."""

    def __init__(self, conn: Connection) -> None:
        self.dbapi = conn.connection.dbapi_connection  # the transaction's own DB-API connection
        self.conn = conn
        self.name = f"step_{next(_names)}"
        self._send(f"SAVEPOINT {self.name}")
        self.backlog = backlog.snapshot(conn)

    def release(self) -> None:
        self._send(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self) -> None:
        self._send(f"ROLLBACK TO SAVEPOINT {self.name}")
        backlog.restore(self.conn, self.backlog)
        self.release()

    def _send(self, statement: str) -> None:
        cursor = self.dbapi.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()
