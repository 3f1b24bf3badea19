"""The remaining timers: boundary timers on a call activity, timer start events of a process and of
event sub-processes, fired by the service as raw SpiffWorkflow fires them.

As in ``test_conformance_timers.py``: a small file deployed through the API, a case started, the
manual clock moved and due timers fired by the executor or ``fire_due``, raw SpiffWorkflow run on
the same clock; end state, final data, ``timer_fired`` events and ``/healthz``'s count compared.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from api.server import make_executor
from tests.api.conformance_timers import RawTimedRun, advance_both, fired_elements
from tests.api.support import API, get_case, history
from tests.api.test_conformance_event_subprocess import forget
from tests.api.test_conformance_timers import begin, ends_like_raw, next_timer_at


def complete(auth: Any, case_id: int, element_id: str, data: dict[str, Any]) -> dict[str, Any]:
    [task] = [t for t in get_case(auth, "hr", case_id)["tasks"] if t["element_id"] == element_id]
    response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": data})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.mark.parametrize("fresh_worker", [False, True], ids=["one worker", "caches cleared between steps"])
def test_boundary_timers_on_a_call_activity_fire_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock, fresh_worker):
    raw, case = begin(auth, "call_activity_timers.bpmn")
    assert [t["element_id"] for t in case["tasks"]] == ["answer"] == raw.ready()
    assert next_timer_at(store, case["id"]) is not None
    executor = make_executor(app)
    if fresh_worker:
        forget(service)

    manual_clock.advance(timedelta(hours=1, seconds=1))  # the non-interrupting reminder: the work goes on
    assert executor.run_once() == 1
    raw.wake()
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "running" and [t["element_id"] for t in shown["tasks"]] == ["answer"] == raw.ready()
    assert fired_elements(history(auth, "hr", case["id"])) == ["an_hour_passed"]

    assert advance_both(manual_clock, service, raw, timedelta(hours=1)) == {}
    manual_clock.advance(timedelta(hours=1))  # three hours: the interrupting one cancels the call
    if fresh_worker:
        forget(service)
    assert executor.run_once() == 1
    raw.wake()

    data = ends_like_raw(auth, raw, case["id"], ["an_hour_passed", "three_hours_passed"])
    assert data["escalated"] is True and data["reminded"] is True and "closed" not in data
    assert "task_cancelled" in [e["type"] for e in history(auth, "hr", case["id"])]
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 2


def test_a_call_activity_answered_before_its_timers_ends_like_raw_spiffworkflow(app, auth, store, service, manual_clock):
    raw, case = begin(auth, "call_activity_timers.bpmn")
    assert advance_both(manual_clock, service, raw, timedelta(hours=1, seconds=1)) == {case["id"]: ["an_hour_passed"]}
    complete(auth, case["id"], "answer", {"answered": "yes"})
    raw.complete("answer", {"answered": "yes"})
    assert next_timer_at(store, case["id"]) is None
    data = ends_like_raw(auth, raw, case["id"], ["an_hour_passed"])
    assert data["closed"] is True and data["answered"] == "yes"


def test_a_case_of_a_process_with_a_timer_start_event_waits_for_it_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock):
    raw, case = begin(auth, "timer_start_duration.bpmn", {"asked": 1})
    assert case["status"] == "running" and case["tasks"] == [] and raw.ready() == []
    due = next_timer_at(store, case["id"])
    assert due is not None and due == manual_clock.now() + timedelta(hours=1)

    assert advance_both(manual_clock, service, raw, timedelta(minutes=59)) == {}
    manual_clock.advance(timedelta(minutes=1, seconds=1))
    executor = make_executor(app)
    assert executor.run_once() == 1
    raw.wake()
    assert [t["element_id"] for t in get_case(auth, "hr", case["id"])["tasks"]] == ["check"] == raw.ready()
    assert next_timer_at(store, case["id"]) is None

    complete(auth, case["id"], "check", {"checked": True})
    raw.complete("check", {"checked": True})
    data = ends_like_raw(auth, raw, case["id"], ["in_an_hour"])
    assert data["ran"] is True and data["asked"] == 1
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 1


def test_a_timer_start_event_on_a_date_waits_until_it_has_passed(app, auth, store, service, manual_clock):
    start_at = manual_clock.now() + timedelta(hours=5)
    raw, case = begin(auth, "timer_start_date.bpmn", {"start_at": start_at.isoformat()})
    assert case["status"] == "running" and next_timer_at(store, case["id"]) == start_at

    assert advance_both(manual_clock, service, raw, timedelta(hours=5)) == {}  # fires when due < now
    assert raw.result()[0] is False
    assert advance_both(manual_clock, service, raw, timedelta(seconds=1)) == {case["id"]: ["on_the_date"]}
    assert ends_like_raw(auth, raw, case["id"], ["on_the_date"])["ran"] is True


@pytest.mark.parametrize("fresh_worker", [False, True], ids=["one worker", "caches cleared between steps"])
def test_timer_start_events_of_event_sub_processes_fire_like_raw_spiffworkflow(
        app, client, auth, store, service, manual_clock, fresh_worker):
    raw, case = begin(auth, "event_subprocess_timers.bpmn")
    assert [t["element_id"] for t in case["tasks"]] == ["work"] == raw.ready()
    executor = make_executor(app)

    manual_clock.advance(timedelta(hours=1, seconds=1))  # non-interrupting: the work stays
    if fresh_worker:
        forget(service)
    assert executor.run_once() == 1
    raw.wake()
    assert [t["element_id"] for t in get_case(auth, "hr", case["id"])["tasks"]] == raw.ready() == ["work"]

    manual_clock.advance(timedelta(hours=2))  # interrupting
    if fresh_worker:
        forget(service)
    assert executor.run_once() == 1
    raw.wake()
    ended, raw_data = raw.result()
    shown = get_case(auth, "hr", case["id"])
    assert [t["element_id"] for t in shown["tasks"]] == raw.ready()
    assert fired_elements(history(auth, "hr", case["id"])) == ["after_an_hour", "after_three_hours"]
    assert client.get("/healthz").get_json()["scheduler"]["this_process"]["fired_total"] == 2

    while raw.ready():  # whatever the library left to do, done alike on both sides
        element = raw.ready()[0]
        if fresh_worker:
            forget(service)
        complete(auth, case["id"], element, {"done": element})
        raw.complete(element, {"done": element})
    ended, raw_data = raw.result()
    shown = get_case(auth, "hr", case["id"])
    assert ended is True and shown["status"] == "completed" and shown["data"] == raw_data
    assert raw_data["timed_out"] is True
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replayed["consistent"] is True, replayed
