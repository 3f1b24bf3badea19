"""Migration 0012: the lists' indexes, exactly as the models declare them, and back to 0011's."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from engine.store.database import make_engine
from engine.store.migrate import alembic_config, upgrade
from engine.store.models import Base
from tests.engine.store.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)

NEW = {"task": {"ix_task_queue", "ix_task_due_order", "ix_task_claimed_order", "ix_task_candidate_order"},
       "case": {"ix_case_status_id", "ix_case_id_unit"}}
OLD = {"task": {"ix_task_status_role", "ix_task_due", "ix_task_claimed", "ix_task_candidate"},
       "case": {"ix_case_status"}}


def _indexes(engine, table: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    return {ix["name"]: ix["column_names"] for ix in inspect(engine).get_indexes(table)}


def test_0012_replaces_the_list_indexes_as_the_models_say_and_goes_back_down(empty_database):  # noqa: F811
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert [d for d in differences if d[0] in ("add_index", "remove_index")
                    and d[1].table.name in ("task", "case")] == []
        for table in NEW:
            assert NEW[table] <= set(_indexes(engine, table)) and not OLD[table] & set(_indexes(engine, table))
        assert _indexes(engine, "task")["ix_task_queue"] == [
            "status", "role", "claimed_by_id", "candidate_user_id", "due_at", "created_at", "id", "unit_path"]
        with engine.begin() as conn:
            config = alembic_config(empty_database)
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
        for table in NEW:
            assert OLD[table] <= set(_indexes(engine, table)) and not NEW[table] & set(_indexes(engine, table))
    finally:
        engine.dispose()
    upgrade(empty_database)  # and up again
