"""Migration 0015 (review of int7): down to 0014 leaves child_start exactly as 0014 had it, and up again."""
from __future__ import annotations

from typing import Any

from alembic import command
from sqlalchemy import inspect

from engine.store.database import make_engine
from engine.store.migrate import alembic_config, upgrade
from tests.engine.store.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)


def _migrate(url: str, down_to: str | None = None) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            config = alembic_config(url)
            config.attributes["connection"] = conn
            if down_to is None:
                command.upgrade(config, "head")
            else:
                command.downgrade(config, down_to)
    finally:
        engine.dispose()


def _child_start(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        found = inspect(engine)
        return {"columns": sorted(c["name"] for c in found.get_columns("child_start")),
                "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                                  for ix in found.get_indexes("child_start")),
                "foreign_keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"])
                                       for fk in found.get_foreign_keys("child_start")),
                "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints("child_start"))}
    finally:
        engine.dispose()


def test_0015_adds_who_skipped_a_planned_child_and_goes_back_to_0014_unchanged(empty_database):  # noqa: F811
    upgrade(empty_database)
    _migrate(empty_database, "0014")
    at_0014 = _child_start(empty_database)
    _migrate(empty_database)
    at_head = _child_start(empty_database)
    assert set(at_head["columns"]) - set(at_0014["columns"]) == {"skipped_at", "skipped_by"}
    assert {k: v for k, v in at_head.items() if k != "columns"} == {k: v for k, v in at_0014.items() if k != "columns"}
    _migrate(empty_database, "0014")
    assert _child_start(empty_database) == at_0014
