"""Migration 0013: the ``child_start`` table exactly as the models declare it, and back to 0012 without it."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine.store.database import make_engine
from engine.store.migrate import alembic_config, upgrade
from engine.store.models import Base
from tests.engine.store.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)


def _about_child_start(difference: object) -> bool:
    """Whether one of alembic's differences (a tuple, or a list of column ones) touches child_start."""
    return "child_start" in repr(difference)


def test_0013_makes_the_child_start_table_the_models_declare_and_goes_back_down(empty_database):  # noqa: F811
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert [d for d in differences if _about_child_start(d)] == []
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes("child_start")}
        assert indexes["ix_child_start_pending"] == ["case_id", "parent_case_id"]
        with engine.begin() as conn:
            config = alembic_config(empty_database)
            config.attributes["connection"] = conn
            command.downgrade(config, "0012")
        assert "child_start" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    upgrade(empty_database)  # and up again
