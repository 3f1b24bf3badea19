"""Migration 0011: the substitute table and ``event.on_behalf_of``, as the models describe them, and back."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine.store.database import make_engine
from engine.store.migrate import alembic_config, upgrade
from engine.store.models import Base
from tests.engine.store.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)


def test_0011_adds_substitutes_and_on_behalf_of_as_the_models_say_and_goes_back_down(empty_database):  # noqa: F811
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert [d for d in differences if "substitute" in repr(d) or "on_behalf_of" in repr(d)] == []
        with engine.begin() as conn:
            config = alembic_config(empty_database)
            config.attributes["connection"] = conn
            command.downgrade(config, "0010")
        inspector = inspect(engine)
        assert "substitute" not in inspector.get_table_names()
        assert "on_behalf_of" not in {c["name"] for c in inspector.get_columns("event")}
    finally:
        engine.dispose()
    upgrade(empty_database)  # and up again
