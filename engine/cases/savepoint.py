"""A savepoint as two plain statements, for the savepoint every step takes around its write.

``Connection.begin_nested()`` compiles a fresh ``SAVEPOINT`` and ``RELEASE`` clause each time
(they are not in SQLAlchemy's statement cache): measured with py-spy on the five-task bench, the
pair cost about 7 % of a step on SQLite, more than any single statement of the step itself. The
same statements sent as driver SQL cost a few microseconds. SQLAlchemy need not know of this
savepoint: it lives inside the command's transaction, which commits or rolls back as before, and
both SQLite and PostgreSQL nest savepoints, so a child case started inside its parent's write
takes its own (a unique name keeps each one's ``ROLLBACK TO`` its own).
"""
from __future__ import annotations

import itertools
from typing import Iterator

from sqlalchemy.engine import Connection

_names: Iterator[int] = itertools.count(1)


class Savepoint:
    """One savepoint on ``conn``: :meth:`release` keeps what was written since, :meth:`rollback`
    undoes it (the transaction goes on)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.name = f"step_{next(_names)}"
        conn.exec_driver_sql(f"SAVEPOINT {self.name}")

    def release(self) -> None:
        self.conn.exec_driver_sql(f"RELEASE SAVEPOINT {self.name}")

    def rollback(self) -> None:
        self.conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {self.name}")
        self.release()
