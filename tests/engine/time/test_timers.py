"""Timers in the step transaction: due times recorded on the case, fired once, not before."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from engine.time.calendar import BusinessCalendar
from engine.store.models import Case, Event, Task
from tests.conftest import DATA


def deploy_deadline(auth) -> None:  # type: ignore[no-untyped-def]
    with open(DATA / "deadline.bpmn", "rb") as fh:
        assert auth.as_("admin").post("/api/v1/processes", data={"file": (fh, "deadline.bpmn")}).status_code == 201


def fired_events(store, case_id: int) -> int:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Event)
                              .where(Event.case_id == case_id, Event.type == "timer_fired")) or 0


def test_a_working_day_deadline_over_tet_fires_once_at_its_due_time_and_not_before(auth, store, service,
                                                                                   manual_clock):
    # Thursday 12 Feb 2026, 10:00 in Hai Phong; Tết holidays run 16-20 Feb.
    manual_clock.set(datetime(2026, 2, 12, 3, 0, tzinfo=timezone.utc))
    deploy_deadline(auth)
    case = auth.as_("head_khcn").post("/api/v1/cases", json={"process": "deadline", "data": {}}).get_json()
    due = BusinessCalendar().add_working_days(manual_clock.now(), 2)
    assert due == datetime(2026, 2, 23, 16, 59, 59, tzinfo=timezone.utc)  # Fri 13, then Mon 23 after Tết
    with store.read() as session:
        assert session.get(Case, case["id"]).next_timer_at == due

    manual_clock.set(due - timedelta(seconds=1))
    assert service.fire_due() == {}
    manual_clock.set(due)  # a timer fires only once its due time has passed
    assert service.fire_due() == {}
    manual_clock.set(due + timedelta(seconds=1))
    assert service.fire_due() == {case["id"]: ["supplement_deadline"]}
    assert service.fire_due() == {}
    assert service.fire_timers(case["id"]) == []

    with store.read() as session:
        row = session.get(Case, case["id"])
        assert (row.status, row.next_timer_at) == ("withdrawn", None)
        assert session.get(Task, case["tasks"][0]["id"]).status == "cancelled"
    assert fired_events(store, case["id"]) == 1


def test_a_task_done_in_time_clears_the_timer(auth, store, service, manual_clock):
    deploy_deadline(auth)
    case = auth.as_("head_khcn").post("/api/v1/cases", json={"process": "deadline", "data": {}}).get_json()
    done = auth.as_("head_khcn").post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", json={"data": {"ok": 1}})
    assert done.get_json()["status"] == "completed"
    manual_clock.advance(timedelta(days=30))
    assert service.fire_due() == {}
    assert fired_events(store, case["id"]) == 0
    with store.read() as session:
        assert session.get(Case, case["id"]).next_timer_at is None


def test_a_duration_timer_may_count_working_days(store, service, manual_clock):
    """``"P2WD"`` in a timeDuration: two working days, like ``working_days(2)`` in a timeDate."""
    from engine.definitions.specs import SourceFile
    from workflows import deploy_files
    from tests.engine.time.timer_support import actor

    source = (DATA / "deadline.bpmn").read_text().replace(
        '<timeDate xsi:type="tFormalExpression">working_days(2)</timeDate>',
        '<timeDuration xsi:type="tFormalExpression">"P2WD"</timeDuration>')
    assert "P2WD" in source
    with store.transaction() as session:
        deploy_files(session, [SourceFile("deadline.bpmn", source.encode())], "tests")
    manual_clock.set(datetime(2026, 2, 12, 3, 0, tzinfo=timezone.utc))  # Thursday before Tết 2026
    case_id = service.start(actor(store, "head_khcn"), "deadline", {})
    due = datetime(2026, 2, 23, 16, 59, 59, tzinfo=timezone.utc)  # Fri 13, then Mon 23 after Tết
    with store.read() as session:
        assert session.get(Case, case_id).next_timer_at == due
    manual_clock.set(due)
    assert service.fire_due() == {}
    manual_clock.set(due + timedelta(seconds=1))
    assert service.fire_due() == {case_id: ["supplement_deadline"]}
