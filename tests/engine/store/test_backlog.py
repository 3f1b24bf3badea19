"""The open-work counter per unit (engine/store/backlog.py) always equals a fresh count of the task rows.

Each test runs the product through its API and services -- start, complete, claim and release,
cancel (with child cases in other units), a failed step, a migration that cancels one
task and creates the next, an imported history -- and after every command compares the counter with a
GROUP BY over the ready tasks, and what the dashboard reads (:func:`backlog.open_and_overdue`) with the
query the dashboard used to run on every view. Then a counter changed by hand: the check names it, the
recount (engine function and ``talentflow db recount-backlog``) repairs it; and migration 0014 fills it
from the tasks a database already holds.
"""
from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import Any

from click.testing import CliRunner
from sqlalchemy import case, func, select, text, update

from api.cli import main
from engine.audit import events as audit
from engine.cases.migration import Selection
from engine.store import backlog
from engine.store.database import make_engine
from engine.store.migrate import upgrade
from engine.store.models import Case, Task, Unit, UnitBacklog
from engine.time import clock
from tests.api.support import DATA, deployed, start
from tests.engine.cases.migration_cases import actor, forget_cached, migrations
from tests.engine.store.test_migrations import empty_database  # noqa: F401  (the fixture, per backend)
from tests.helpers import complete, ready_task, start_training
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent


def fresh_figures(conn: Any) -> dict[str | None, tuple[int, int]]:
    """{unit code: (ready tasks, overdue)} counted from every task row, as the dashboard once did."""
    late = func.sum(case((Task.due_at < clock.now(), 1), else_=0))
    query = (select(Unit.code, func.count(), late).select_from(Task).join(Case, Case.id == Task.case_id)
             .outerjoin(Unit, Unit.id == Case.unit_id).where(Task.status == "ready").group_by(Unit.code))
    return {code: (int(n), int(o or 0)) for code, n, o in conn.execute(query)}


def exact(store: Any) -> dict[str | None, tuple[int, int]]:
    """Assert the counter equals the task rows, slot by slot, and the dashboard's read equals a fresh
    count; return the figures by unit code."""
    with store.read() as session:
        conn = session.connection()
        assert backlog.mismatches(conn) == {}
        codes = dict(conn.execute(select(Unit.id, Unit.code)).all())
        read = {codes.get(unit_id) if unit_id is not None else None: figures
                for unit_id, figures in backlog.open_and_overdue(conn, clock.now()).items()}
        assert read == fresh_figures(conn)
        return read


def test_the_counter_follows_starts_completions_claims_and_cancels_and_counts_overdue_work_by_time(
        auth, store, service, manual_clock):
    assert exact(store) == {}
    first = start_training(auth)  # SKHCN, mentor_assessment for expert1
    second = start_training(auth, talent_name="Trần Thị Mai")
    other = start_training(auth, "head_gddt", unit="SGDDT", talent_name="Lê Văn Nam")
    assert exact(store) == {"SKHCN": (2, 0), "SGDDT": (1, 0)}
    # completing one task and opening the next leaves the count as it was
    first = complete(auth, "expert1", ready_task(first, "mentor_assessment")["id"],
                     {"recommendation": "support", "mentor_comment": "ok"})
    assert [t["element_id"] for t in first["tasks"]] == ["unit_head_approval"]
    approval = ready_task(first, "unit_head_approval")["id"]
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{approval}/claim").status_code == 200
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{approval}/release").status_code == 200
    assert exact(store) == {"SKHCN": (2, 0), "SGDDT": (1, 0)}
    # a rejection ends the case: one fewer
    complete(auth, "head_khcn", approval, {"decision": "reject", "decision_reason": "Chưa phù hợp"})
    assert exact(store) == {"SKHCN": (1, 0), "SGDDT": (1, 0)}
    cancelled = auth.as_("head_gddt").post(f"/api/v1/cases/{other['id']}/cancel", json={"reason": "Nhập sai"})
    assert cancelled.status_code == 200, cancelled.get_json()
    assert exact(store) == {"SKHCN": (1, 0)}
    with store.command() as conn:  # overdue follows the clock, the open count does not
        conn.execute(update(Task).where(Task.case_id == second["id"]).values(due_at=clock.now() + timedelta(days=1)))
    assert exact(store) == {"SKHCN": (1, 0)}
    manual_clock.advance(timedelta(days=1, minutes=1))
    assert exact(store) == {"SKHCN": (1, 1)}
    service.cancel(actor(store, "head_khcn"), second["id"], "Hết hạn")  # (the day-old tokens have expired)
    assert exact(store) == {}


def test_cancelling_a_review_takes_its_childrens_tasks_off_their_own_units(auth, store):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    talent(store, "Phạm Thu Hà", "SKHCN-QLKH", date(2021, 3, 1))
    review = start_review(auth)
    opened = exact(store)
    assert opened["SGDDT"] == (1, 0) and opened["SKHCN-QLKH"] == (2, 0)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", review["id"])[0]["id"], PLAIN)
    assert "SGDDT" not in exact(store)
    response = auth.as_("hr").post(f"/api/v1/cases/{review['id']}/cancel", json={"reason": "Làm lại"})
    assert response.status_code == 200, response.get_json()
    assert exact(store) == {}


def test_a_failed_step_changes_no_count_and_a_migration_that_replaces_a_task_keeps_it(auth, store, service):
    with open(DATA / "script_fails.bpmn", "rb") as fh:
        assert auth.as_("admin").post("/api/v1/processes", data={"file": (fh, "script_fails.bpmn")}).status_code == 201
    failing = start(auth, "admin", "script_fails")
    before = exact(store)
    answer = auth.as_("admin").post(f"/api/v1/tasks/{failing['tasks'][0]['id']}/complete", json={"data": {"value": 1}})
    assert answer.status_code == 422, answer.get_json()
    assert exact(store) == before  # the case is in error; its task is still open
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v1.bpmn").read_bytes())
    paper = start(auth, "hr", "paper_review")
    during = exact(store)
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v2.bpmn").read_bytes())
    report = migrations(service).migrate(actor(store, "admin"), Selection("paper_review", 2, case_ids=[paper["id"]]))
    assert report["counts"]["migrated"] == 1, report
    forget_cached(service, [paper["id"]])
    assert exact(store) == during  # check_paper cancelled, sign_paper created
    paper = auth.as_("hr").get(f"/api/v1/cases/{paper['id']}").get_json()
    complete(auth, "hr", ready_task(paper, "sign_paper")["id"], {})
    assert sum(n for n, _ in exact(store).values()) == sum(n for n, _ in during.values()) - 1


def test_an_imported_history_counts_its_open_tasks(auth, store):
    """A running case exported and imported again as another case (new ids): its open task counts twice."""
    case = start_training(auth)
    with store.read() as session:
        history = audit.export_history(session.connection(), case["id"])
        definition_id = session.scalar(select(Case.definition_id).where(Case.id == case["id"]))
    history["case"]["id"] = case["id"] + 1000
    for task in history["tasks"]:
        task["id"] = str(uuid.uuid4())
    with store.command() as conn:
        audit.import_history(conn, history, definition_id)
    assert exact(store) == {"SKHCN": (2, 0)}


def test_a_counter_changed_by_hand_is_named_by_the_check_and_repaired_by_the_recount(
        auth, store, app, database_url, monkeypatch):
    start_training(auth)
    start_training(auth, talent_name="Trần Thị Mai")
    with store.command() as conn:
        conn.execute(update(UnitBacklog).values(open_count=UnitBacklog.open_count + 5))
        wrong = backlog.mismatches(conn)
    assert len(wrong) in (1, 2) and all(counted == actual + 5 for counted, actual in wrong.values())
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    checked = runner.invoke(main, ["db", "recount-backlog", "--check"])
    assert checked.exit_code == 1 and "counted" in checked.output, checked.output
    with store.read() as session:  # the check changed nothing
        assert backlog.mismatches(session.connection()) == wrong
    repaired = runner.invoke(main, ["db", "recount-backlog"])
    assert repaired.exit_code == 0 and f"{len(wrong)} slots corrected" in repaired.output, repaired.output
    assert exact(store) == {"SKHCN": (2, 0)}
    again = runner.invoke(main, ["db", "recount-backlog", "--check"])
    assert again.exit_code == 0 and "matches" in again.output, again.output
    with store.command() as conn:  # the engine function repairs a row that is missing too
        conn.execute(UnitBacklog.__table__.delete())
        assert sum(actual for _, actual in backlog.recount(conn).values()) == 2
    assert exact(store) == {"SKHCN": (2, 0)}


def test_0014_fills_the_counter_from_the_tasks_a_database_already_holds(empty_database):  # noqa: F811
    upgrade(empty_database, "0012")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO unit (id, code, name, parent_id, path) VALUES (1, 'HP', 'Thành phố', "
                              "NULL, '/1/'), (2, 'SKHCN', 'Sở KH&CN', 1, '/1/2/')"))
            conn.execute(text("INSERT INTO process_definition (id, key, version, name, dialect, sources, spec, sha256, "
                              "deployed_at, deployed_by) VALUES (1, 'p', 1, 'p', 'bpmn', :sources, '', 'x', :at, 'a')"),
                         {"sources": json.dumps([]), "at": "2026-03-02 02:00:00+00:00"})
            for case_id, unit in ((1, 2), (2, 2), (17, 2), (3, None), (4, 1)):
                conn.execute(text(
                    'INSERT INTO "case" (id, definition_id, process_key, status, state, data, unit_id, version, '
                    "event_seq, last_event_hash, created_by, created_at, updated_by, updated_at) VALUES (:id, 1, "
                    "'p', 'running', :state, :data, :unit, 1, 0, '0', 'a', :at, 'a', :at)"),
                    {"id": case_id, "unit": unit, "state": json.dumps({}), "data": json.dumps({}),
                     "at": "2026-03-02 02:00:00+00:00"})
            tasks = [(1, "ready"), (1, "ready"), (1, "completed"), (2, "ready"), (17, "ready"), (3, "ready"),
                     (4, "cancelled")]
            for n, (case_id, status) in enumerate(tasks):
                conn.execute(text("INSERT INTO task (id, case_id, process_key, element_id, name, status, created_at) "
                                  "VALUES (:id, :case_id, 'p', 'e', 'n', :status, :at)"),
                             {"id": f"t{n}", "case_id": case_id, "status": status, "at": "2026-03-02 02:00:00+00:00"})
        upgrade(empty_database)
        with engine.connect() as conn:
            rows = conn.execute(select(UnitBacklog.unit_id, UnitBacklog.slot, UnitBacklog.open_count)
                                .order_by(UnitBacklog.unit_id, UnitBacklog.slot)).all()
            assert [tuple(r) for r in rows] == [(0, 3, 1), (2, 1, 3), (2, 2, 1)]  # case 17 shares slot 1 with 1
            assert backlog.mismatches(conn) == {}
            assert backlog.open_and_overdue(conn, clock.now()) == {None: (1, 0), 2: (4, 0)}
    finally:
        engine.dispose()
