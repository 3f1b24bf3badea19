"""The register of document numbers: one counter per register and year, never reused.

Decree 30/2020 numbers a body's documents from 1 each year. A number is taken by one atomic
``UPDATE … SET last_number = last_number + 1 … RETURNING`` inside the transaction that writes the
document and its event: on PostgreSQL the UPDATE locks the counter row, so a second generation at
the same moment waits for the first to commit and then reads the next number; on SQLite the
command already holds the database's write lock. A generation that fails rolls its number back
with everything else, so the number goes to the next document that *is* issued: a number on a
paper is never given to a second paper, and no number is lost to a failure. The year's row is
made by an ``INSERT … ON CONFLICT DO NOTHING`` first, so two first issues of a year do not clash.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.store.models import DocumentNumber

NUMBERS = DocumentNumber.__table__


def _insert(conn: Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(NUMBERS)


def peek(db: Any, register: str, year: int) -> int:
    """The number the next document of ``register`` in ``year`` would get, if nobody takes one first."""
    last = db.execute(select(NUMBERS.c.last_number).where(NUMBERS.c.register == register,
                                                          NUMBERS.c.year == year)).scalar()
    return int(last or 0) + 1


def take(conn: Connection, register: str, year: int) -> int:
    """Issue the next number of ``register`` in ``year``, inside the caller's transaction."""
    conn.execute(_insert(conn).values(register=register, year=year, last_number=0)
                 .on_conflict_do_nothing(index_elements=["register", "year"]))
    taken = conn.execute(update(NUMBERS)
                         .where(NUMBERS.c.register == register, NUMBERS.c.year == year)
                         .values(last_number=NUMBERS.c.last_number + 1)
                         .returning(NUMBERS.c.last_number)).scalar_one()
    return int(taken)
