"""Errors and escalations thrown and caught as SpiffWorkflow does.

An error end event inside a sub-process is caught by the error boundary event with its code, the
thrown payload in the catcher's variable (SpiffWorkflow's dialect); escalations thrown inside a
sub-process are caught by a non-interrupting boundary event (the sub-process goes on) or an
interrupting one (its open task is cancelled). An error end event that nothing catches is, in
SpiffWorkflow 3.2, an end event like any other: the library's workflow completes, and so does
the case (no incident: nothing failed). Each run is compared with the library's own run.
"""
from __future__ import annotations

import pytest

from tests.api.conformance import deploy_file, runs_like_raw
from tests.api.support import API, get_case, history, start


@pytest.mark.parametrize("amount", [5000, 50], ids=["error thrown and caught", "no error"])
def test_an_error_end_event_is_caught_by_the_boundary_event_with_its_code_like_raw_spiffworkflow(auth, amount):
    answers = {"estimate": {"estimated": True}, "ask_for_more": {"more": 1}}
    shown, raw_data = runs_like_raw(auth, "error_boundary.bpmn", "error_boundary", {"amount": amount}, answers)
    assert shown["status"] == "completed"
    if amount > 1000:
        assert raw_data["budget_error"] == {"asked": 5000, "limit": 1000} and raw_data["error_asked"] == 5000
        assert "booked" not in raw_data
    else:
        assert raw_data["booked"] is True and "budget_error" not in raw_data


def test_a_non_interrupting_escalation_runs_its_path_beside_the_sub_process_like_raw_spiffworkflow(auth):
    answers = {"first_look": {"outcome": "late"}, "remind": {"reminded": True}, "second_look": {"looked": 2}}
    deploy_file(auth, "escalation_boundary.bpmn")
    case = start(auth, "hr", "escalation_boundary")
    case = auth.as_("hr").post(f"{API}/tasks/{case['tasks'][0]['id']}/complete",
                               json={"data": answers["first_look"]}).get_json()
    assert sorted(t["element_id"] for t in case["tasks"]) == ["remind", "second_look"]

    shown, raw_data = runs_like_raw(auth, "escalation_boundary.bpmn", "escalation_boundary", answers=answers,
                                    deploy=False)
    assert shown["status"] == "completed" and raw_data["closed"] is True and raw_data["reminded"] is True


def test_an_interrupting_escalation_leaves_the_sub_process_like_raw_spiffworkflow(auth):
    answers = {"first_look": {"outcome": "stop"}, "second_look": {"looked": 2}}
    shown, raw_data = runs_like_raw(auth, "escalation_boundary.bpmn", "escalation_boundary", answers=answers)
    assert shown["status"] == "completed" and raw_data == {"stopped": True}
    assert "task_created" in [e["type"] for e in history(auth, "hr", shown["id"])]
    assert "second_look" not in [e["data"].get("element_id") for e in history(auth, "hr", shown["id"])
                                 if e["type"] == "task_created"]


def test_an_escalation_that_does_not_happen_lets_the_sub_process_end_normally(auth):
    answers = {"first_look": {"outcome": "fine"}, "second_look": {"looked": 2}}
    shown, raw_data = runs_like_raw(auth, "escalation_boundary.bpmn", "escalation_boundary", answers=answers)
    assert shown["status"] == "completed" and raw_data == {"outcome": "fine", "looked": 2, "closed": True}


@pytest.mark.parametrize("papers", [False, True], ids=["uncaught error end event", "normal end"])
def test_an_uncaught_error_end_event_ends_the_case_as_it_ends_raw_spiffworkflow(auth, papers):
    shown, raw_data = runs_like_raw(auth, "uncaught_error.bpmn", "uncaught_error",
                                    answers={"check_papers": {"papers": papers}})
    assert shown["status"] == "completed" and raw_data == {"papers": papers}
    assert get_case(auth, "hr", shown["id"])["status"] != "error"
