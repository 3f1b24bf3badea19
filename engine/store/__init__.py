"""Where everything is kept: the database connection, the typed models and their migrations.

Every other package reads and writes through :class:`Store` (one transaction per command,
SQLite or PostgreSQL) and the models of :mod:`engine.store.models`; the schema changes only
through the Alembic migrations under ``migrations/``, run by :func:`upgrade`.
"""
from engine.store.database import Store, make_engine
from engine.store.migrate import upgrade

__all__ = ["Store", "make_engine", "upgrade"]
