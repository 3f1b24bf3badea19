"""Anything SpiffWorkflow raises while a step is written becomes an incident on the case, never a 500.

Writing a step still asks the engine (a new task's due date is evaluated by its script engine).
A failure there answered 500 and left nothing to retry; now the step rolls back to a savepoint and
the case goes to ``error`` on its last good state, with the command kept for an admin's retry.
"""
from __future__ import annotations

import io

from tests.api.conformance import deploy_file, raw_run, source
from tests.api.support import API, case_row, error_of, events, get_case, start, task_row
from tests.helpers import ready_task

FILE = "due_date_fails.bpmn"


def test_a_due_date_that_fails_to_evaluate_is_an_incident_with_the_last_good_state(auth, store):
    ended, _ = raw_run(FILE, "due_date_fails")
    assert ended  # SpiffWorkflow itself knows no due dates

    deploy_file(auth, FILE)
    case = start(auth, "hr", "due_date_fails")
    first = ready_task(case, "first")
    before = case_row(store, case["id"])

    error = error_of(auth.as_("hr").post(f"{API}/tasks/{first['id']}/complete", json={"data": {"x": 1}}),
                     422, "case_error")
    assert "deadline_missing" in error["details"]["message"]

    after = case_row(store, case["id"])
    assert after.status == "error" and after.state == before.state and after.data == before.data
    assert after.incident["command"]["type"] == "complete" and after.incident["command"]["task_id"] == first["id"]
    assert task_row(store, first["id"]).status == "ready"  # the completion was rolled back to the savepoint
    kinds = [e.type for e in events(store, case["id"])]
    assert kinds[-1] == "case_failed" and "task_completed" not in kinds and kinds.count("task_created") == 1
    assert get_case(auth, "hr", case["id"])["status"] == "error"

    again = error_of(auth.as_("admin").post(f"{API}/cases/{case['id']}/retry"), 422, "case_error")
    assert "deadline_missing" in again["details"]["message"]
    assert case_row(store, case["id"]).status == "error"
    audit = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert audit["ok"] is True, audit


def test_a_first_task_whose_due_date_fails_makes_the_started_case_an_incident(auth, store):
    content = (source(FILE).replace(b'<userTask id="first" name="First">', b'<userTask id="first" name="First" camunda:dueDate="nope">'))
    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(content), FILE)})
    assert response.status_code == 201, response.get_json()
    error = error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "due_date_fails", "data": {}}),
                     422, "case_error")
    assert case_row(store, error["details"]["case_id"]).status == "error"
