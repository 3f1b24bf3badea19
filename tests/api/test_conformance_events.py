"""Boundary message events, a receive task and a terminate end event, as SpiffWorkflow runs them.

A message sent to a case waiting in a person's task is caught by the task's boundary events: a
non-interrupting one adds its path beside the task, an interrupting one cancels the task; a
receive task waits for its message like a catch event. A terminate end event reached on one
parallel branch ends the whole process, the other branch's open task (inside an embedded
sub-process) included. A conditional catch event is evaluated on its own task's data, as in the
library: true when its branch starts, it fires; made true later by another branch, it waits on
(the case stays ``running`` where the library's workflow does not complete). Each run is compared with the library's own run of the same file.
"""
from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from tests.api.conformance import deploy_file, drive, raw_result, raw_workflow, replays_consistent, runs_like_raw
from tests.api.conformance_events import complete_raw, deliver, deliver_raw
from tests.api.support import API, get_case, history, start

FILE = "message_boundary.bpmn"


def ready(case: dict[str, Any]) -> list[str]:
    return sorted(t["element_id"] for t in case["tasks"])


def raw_ready(workflow: Any) -> list[str]:
    return sorted(t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True))


def ends_like(auth: Any, case_id: int, raw: Any) -> dict[str, Any]:
    ended, raw_data = raw_result(raw)
    shown = get_case(auth, "hr", case_id)
    assert ended and shown["status"] == "completed" and shown["tasks"] == [] and shown["data"] == raw_data
    replays_consistent(auth, case_id)
    return raw_data


def test_a_non_interrupting_message_boundary_and_a_receive_task_run_like_raw_spiffworkflow(auth):
    raw = raw_workflow(FILE, "message_boundary")
    deploy_file(auth, FILE)
    case = start(auth, "hr", "message_boundary")

    deliver_raw(raw, "reminder", {"text": "hurry"})
    deliver(auth, case["id"], "reminder", {"text": "hurry"})
    case = get_case(auth, "hr", case["id"])
    assert ready(case) == raw_ready(raw) == ["answer_reminder", "collect_documents"]

    answers = {"answer_reminder": {"answered": True}, "collect_documents": {"docs": 3}}
    for element in ("answer_reminder", "collect_documents"):
        complete_raw(raw, element, answers[element])
    case = drive(auth, case, answers, order=["answer_reminder", "collect_documents"])
    assert case["tasks"] == [] and case["status"] == "running"  # the receive task waits

    deliver_raw(raw, "confirmation", {"ok": 1})
    deliver(auth, case["id"], "confirmation", {"ok": 1})
    data = ends_like(auth, case["id"], raw)
    assert data["closed"] is True and data["reminder"] == {"text": "hurry"}


def test_an_interrupting_message_boundary_cancels_the_task_like_raw_spiffworkflow(auth):
    raw = raw_workflow(FILE, "message_boundary")
    deploy_file(auth, FILE)
    case = start(auth, "hr", "message_boundary")
    [task] = case["tasks"]

    deliver_raw(raw, "withdrawn", {"by": "ann"})
    deliver(auth, case["id"], "withdrawn", {"by": "ann"})
    assert ends_like(auth, case["id"], raw)["withdrawn_by"] == "ann"
    cancelled = [e for e in history(auth, "hr", case["id"]) if e["type"] == "task_cancelled"]
    assert [e["task_id"] for e in cancelled] == [task["id"]]
    response = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": {}})
    assert response.status_code == 409


@pytest.mark.parametrize("stop", [True, False], ids=["terminated", "both branches run"])
def test_a_terminate_end_event_ends_every_branch_like_raw_spiffworkflow(auth, stop):
    answers = {"urgent": {"stop": stop}, "routine_task": {"r": 1}}
    shown, raw_data = runs_like_raw(auth, "terminate_end.bpmn", "terminate_end", answers=answers, order=["urgent"])
    assert shown["status"] == "completed" and ("r" in raw_data) is (not stop)
    created = [e["data"]["element_id"] for e in history(auth, "hr", shown["id"]) if e["type"] == "task_created"]
    assert sorted(created) == ["routine_task", "urgent"]


@pytest.mark.parametrize("budget", [5, 0], ids=["true when reached", "made true by another branch"])
def test_a_conditional_catch_event_fires_or_waits_like_raw_spiffworkflow(auth, budget):
    answers = {"fill_in": {"budget": 5}, "review": {"ok": 1}}
    shown, raw_data = runs_like_raw(auth, "conditional_event.bpmn", "conditional_event", {"budget": budget}, answers)
    assert (shown["status"] == "completed") is (budget > 0)
    if budget > 0:
        assert raw_data["reserved"] == 5
    else:
        assert shown["status"] == "running" and shown["tasks"] == [] and "reserved" not in raw_data
