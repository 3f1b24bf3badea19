"""Upgrading a database that already holds data: what the rows become, on SQLite and PostgreSQL.

Each test starts from an empty database of its own at an older revision, writes rows as the
product of that revision wrote them (plain SQL: today's models have more columns), upgrades to
the head and reads the rows back through the registry, as the API would.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from engine.store.database import make_engine
from engine.store.migrate import alembic_config, upgrade
from engine.store.models import Base
from tests.conftest import BACKENDS, _postgres_database
from workflows.programme import registry, reports


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        yield from _postgres_database()


def written_at_0006(url: str) -> None:
    """A department, two appointments of 2025 (one by exam) and a talent, as revision 0006 stored them."""
    upgrade(url, "0006")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO unit (id, code, name, parent_id, path) VALUES "
                              "(1, 'HP', 'Thành phố', NULL, '/1/'), (2, 'SKHCN', 'Sở KH&CN', 1, '/1/2/')"))
            conn.execute(text(
                "INSERT INTO appointment (post, level, unit_id, person_name, appointed_on, via_exam, decision_no, "
                "term_years, recorded_by, created_at) VALUES "
                "('Giám đốc Sở', 'giam_doc_so', 2, 'Chu Thị Châu', '2025-05-15', :yes, '1/QĐ', 5, 'hr', :at), "
                "('Trưởng phòng', 'truong_phong', 2, 'Lê Văn Bình', '2025-06-01', :no, '2/QĐ', 5, 'hr', :at)"),
                {"yes": True, "no": False, "at": "2025-06-01 01:00:00+00:00"})
            conn.execute(text(
                "INSERT INTO talent (full_name, unit_id, category, field, status, recognised_on, decision_no, "
                "allowance_from, created_at) VALUES ('Trần Thị Minh Anh', 2, 'young_scientist', 'health', "
                "'active', '2025-04-15', '512/QĐ-UBND', '2025-04-15', :at)"), {"at": "2025-04-15 01:00:00+00:00"})
    finally:
        engine.dispose()


def test_0007_makes_every_recorded_appointment_a_first_one_and_every_allowance_150_percent(empty_database):
    written_at_0006(empty_database)
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            listed = registry.list_appointments(conn, year=2025)["items"]
            assert [(a["person_name"], a["via_exam"], a["first_appointment"]) for a in listed] == [
                ("Chu Thị Châu", True, True), ("Lê Văn Bình", False, True)]
            city = reports.exam_share(conn, 2025)["city"]
            assert (city["exam"], city["total"], city["share"], city["reappointments"]) == (1, 2, 0.5, 0)
            [talent] = registry.list_talents(conn)["items"]
            assert (talent["allowance_percent"], talent["allowance_from"]) == (150, date(2025, 4, 15))
        with engine.begin() as conn:  # the columns are there for new rows too, with their defaults
            registry.record_appointment(conn, post="Phó Trưởng phòng", level="pho_truong_phong", unit="SKHCN",
                                        person_name="Vũ Minh Hòa", appointed_on=date(2025, 7, 1), via_exam=False,
                                        first_appointment=False, recorded_by="hr")
            assert reports.exam_share(conn, 2025)["city"]["reappointments"] == 1
    finally:
        engine.dispose()


def test_0007_leaves_the_schema_as_the_models_describe_it_and_goes_back_down(empty_database):
    upgrade(empty_database)
    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            ours = [d for d in differences if "first_appointment" in repr(d) or "allowance_percent" in repr(d)]
            assert ours == []
        with engine.begin() as conn:
            config = alembic_config(empty_database)
            config.attributes["connection"] = conn
            command.downgrade(config, "0006")
        columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in ("appointment", "talent")}
        assert "first_appointment" not in columns["appointment"] and "allowance_percent" not in columns["talent"]
    finally:
        engine.dispose()
    upgrade(empty_database)  # and up again
