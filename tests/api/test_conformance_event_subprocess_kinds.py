"""Event sub-processes started by messages (interrupting or not), a timer and an error, as in SpiffWorkflow.

A message sent to a case (``POST /cases/{id}/messages``) starts the event sub-process whose start event
catches it, with the payload in the start event's message variable, as in the library's own run
of the same file; each test runs once on one worker and once with every cache cleared before each
step (another worker, a restart); a timer-started one is fired by the service on the tests' manual
clock while the library's run is woken on the same clock. Two behaviours are SpiffWorkflow 3.2's and kept as they are:
an interrupting event sub-process does not cancel the main flow (the library implements
interruption only for boundary events), and an error start event is read as a none start event
(its start-event parser knows message, signal, timer and conditional definitions only), so an
"error-started" sub-process runs as soon as the process starts.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from SpiffWorkflow.util.task import TaskState

from tests.api.conformance import deploy_file, raw_result, raw_workflow, replays_consistent, runs_like_raw
from tests.api.conformance_timers import RawTimedRun, advance_both, fired_elements
from tests.api.conformance_events import complete_raw, deliver, deliver_raw
from tests.api.support import API, get_case, history, start

FILE = "event_subprocess_message.bpmn"
WORKERS = pytest.mark.parametrize("fresh_worker", [False, True], ids=["one worker", "caches cleared between steps"])


def forget(service: Any) -> None:
    """What another worker, or this one after a restart, knows: nothing in memory."""
    service.workflows._items.clear()
    service.specs._items.clear()


class Both:
    """One case through the API and the library's run of the same file, stepped together."""

    def __init__(self, auth: Any, service: Any, fresh_worker: bool) -> None:
        self.auth, self.service, self.fresh_worker = auth, service, fresh_worker
        deploy_file(auth, FILE)
        self.raw = raw_workflow(FILE, "event_subprocess_message")
        self.case = start(auth, "hr", "event_subprocess_message")

    def _fresh(self) -> None:
        if self.fresh_worker:
            forget(self.service)

    def complete(self, element: str, data: dict[str, Any]) -> None:
        complete_raw(self.raw, element, data)
        self._fresh()
        task = next(t for t in self.case["tasks"] if t["element_id"] == element)
        response = self.auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == 200, response.get_json()
        self.case = response.get_json()

    def send(self, message: str, payload: dict[str, Any]) -> None:
        deliver_raw(self.raw, message, payload)
        self._fresh()
        deliver(self.auth, self.case["id"], message, payload)
        self.case = get_case(self.auth, "hr", self.case["id"])

    def shown_data(self) -> dict[str, Any]:
        """The case's data now, which must be what the library's run holds: its last task's data,
        its ready human tasks' and the workflow's (what a case shows while it runs)."""
        raw = dict(self.raw.last_task.data) if self.raw.last_task is not None else {}
        for task in self.raw.get_tasks(state=TaskState.READY, manual=True):
            raw.update(task.data)
        raw.update(self.raw.data)
        assert self.case["data"] == raw
        return raw

    def ready(self) -> list[str]:
        return sorted(t["element_id"] for t in self.case["tasks"])

    def ends_alike(self) -> dict[str, Any]:
        ended, raw_data = raw_result(self.raw)
        self._fresh()
        shown = get_case(self.auth, "hr", self.case["id"])
        assert (shown["status"] == "completed") is ended and ended
        assert shown["data"] == raw_data
        replays_consistent(self.auth, self.case["id"])
        return raw_data


@WORKERS
def test_a_non_interrupting_message_event_sub_process_runs_beside_the_main_flow(auth, service, fresh_worker):
    both = Both(auth, service, fresh_worker)
    both.complete("prepare", {"prepared": True})
    both.send("note", {"text": "please hurry"})
    assert both.ready() == ["decide", "read_note"]
    assert both.shown_data()["note_body"] == {"text": "please hurry"}  # the start event's message variable
    both.complete("read_note", {"read": True})
    both.complete("decide", {"decision": "yes"})
    data = both.ends_alike()
    assert data["finished"] is True  # the sub-process's data stays in it, in the library too


@WORKERS
def test_an_interrupting_message_event_sub_process_runs_as_in_spiffworkflow(auth, service, fresh_worker):
    both = Both(auth, service, fresh_worker)
    both.complete("prepare", {"prepared": True})
    both.send("withdraw", {"reason": "moved away"})
    assert both.ready() == ["decide"]  # SpiffWorkflow 3.2 leaves the main flow running
    assert both.shown_data()["withdrawn_because"] == "moved away"
    both.complete("decide", {"decision": "no"})
    assert both.ends_alike()["finished"] is True


@WORKERS
def test_two_messages_start_both_event_sub_processes_in_one_case(auth, service, fresh_worker):
    both = Both(auth, service, fresh_worker)
    both.send("note", {"text": "first"})
    both.send("withdraw", {"reason": "second"})
    assert both.ready() == ["prepare", "read_note"]
    shown = both.shown_data()
    assert shown["note_body"] == {"text": "first"} and shown["withdrawn_because"] == "second"
    both.complete("prepare", {})
    both.complete("read_note", {})
    both.complete("decide", {})
    data = both.ends_alike()
    assert data["finished"] is True


@pytest.mark.parametrize("ok", [True, False], ids=["no error thrown", "error end event"])
def test_an_error_started_event_sub_process_runs_as_in_spiffworkflow(auth, ok):
    answers = {"check": {"ok": ok}, "explain": {"why": "incomplete file"}}
    shown, raw_data = runs_like_raw(auth, "event_subprocess_error.bpmn", "event_subprocess_error", answers=answers)
    assert shown["status"] == "completed" and raw_data["rejected"] is True
    assert raw_data.get("accepted_at_check", False) is ok


@WORKERS
def test_a_timer_started_event_sub_process_adds_its_task_when_due_like_raw_spiffworkflow(
        auth, service, manual_clock, fresh_worker):
    raw = RawTimedRun("event_subprocess_timer.bpmn", "event_subprocess_timer")
    deploy_file(auth, "event_subprocess_timer.bpmn")
    case = start(auth, "hr", "event_subprocess_timer")
    assert [t["element_id"] for t in case["tasks"]] == raw.ready() == ["decide"]

    if fresh_worker:
        forget(service)
    assert advance_both(manual_clock, service, raw, timedelta(hours=1)) == {}
    assert advance_both(manual_clock, service, raw, timedelta(hours=1, seconds=1)) == {case["id"]: ["two_hours_passed"]}
    case = get_case(auth, "hr", case["id"])
    assert sorted(t["element_id"] for t in case["tasks"]) == sorted(raw.ready()) == ["decide", "remind"]

    for element, data in (("remind", {"reminded": True}), ("decide", {"decision": "yes"})):
        if fresh_worker:
            forget(service)
        raw.complete(element, data)
        task = next(t for t in case["tasks"] if t["element_id"] == element)
        response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": data})
        assert response.status_code == 200, response.get_json()
        case = response.get_json()
    ended, raw_data = raw.result()
    shown = get_case(auth, "hr", case["id"])
    assert ended and shown["status"] == "completed" and shown["data"] == raw_data
    assert fired_elements(history(auth, "hr", case["id"])) == ["two_hours_passed"]
    replays_consistent(auth, case["id"])
