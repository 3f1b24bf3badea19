"""A message about a task the step just made is written from the row the step wrote, not read back,
and says the same as one written from the stored row (engine/mail/outbox.py)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from engine.cases.views import TaskLine
from engine.mail.outbox import _new_task, task_data
from engine.time.clock import CITY_ZONE


def _case(*lines: TaskLine) -> SimpleNamespace:
    return SimpleNamespace(id=7, process_key="p", business_key="B-1", ready_tasks=list(lines))


def test_the_row_of_a_task_made_in_this_step_is_taken_from_the_step_and_only_for_task_created():
    line = TaskLine(id="t-1", name="Review", subject=None, due_at=None)
    case = _case(TaskLine(id="t-0", name="Other", subject=None, due_at=None), line)
    assert _new_task(case, {"type": "task_created", "task_id": "t-1"}) is line
    assert _new_task(case, {"type": "task_created", "task_id": "t-9"}) is None  # read from the table
    assert _new_task(case, {"type": "task_released", "task_id": "t-1"}) is None  # an older row: read it
    assert _new_task(SimpleNamespace(id=7), {"type": "task_created", "task_id": "t-1"}) is None


def test_a_due_date_in_the_city_zone_is_told_as_the_stored_utc_time():
    due_local = datetime(2027, 1, 5, 17, 0, tzinfo=CITY_ZONE)
    stored = due_local.astimezone(timezone.utc)  # what the table gives back
    from_step = task_data(_case(), TaskLine(id="t-1", name="Review", subject="S", due_at=due_local))
    from_table = task_data(_case(), SimpleNamespace(id="t-1", name="Review", subject="S", due_at=stored))
    assert from_step == from_table
    assert from_step["due_at"] == "2027-01-05T10:00:00+00:00"
    assert datetime.fromisoformat(from_step["due_at"]) - due_local == timedelta(0)
