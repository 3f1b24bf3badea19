"""A call activity into another process of the same file, as SpiffWorkflow runs it.

Both processes are executable; the one no call activity calls is the one deployed
(``test_conformance_executable.py``), the called one is parsed with it. The called process's
person's task is a task of the case like any other; its data comes back to the caller, and its
error end event is caught by the error boundary event on the call activity. A signal thrown in
the called process is heard by a signal boundary event on the call activity, and a send task's
message by a catch event of the caller. Each run is compared
with the library's own run of the same file.
"""
from __future__ import annotations

import pytest

from tests.api.conformance import deploy_file, runs_like_raw
from tests.api.support import API, start


@pytest.mark.parametrize("points,ends_with", [(3, "published"), (-1, "archived")],
                         ids=["called process ends normally", "called process throws an error"])
def test_a_call_activity_within_the_file_runs_like_raw_spiffworkflow(auth, points, ends_with):
    answers = {"propose": {"title": "Cloud"}, "vet": {"points": points}}
    shown, raw_data = runs_like_raw(auth, "call_activity.bpmn", "call_activity", answers=answers)
    assert shown["status"] == "completed" and ends_with in raw_data
    if points > 0:
        assert raw_data["vetted_score"] == 8 and raw_data["published"] == 16


def test_the_called_process_s_task_is_in_the_case_s_worklist(auth):
    body = deploy_file(auth, "call_activity.bpmn")
    assert body["key"] == "call_activity"
    case = start(auth, "hr", "call_activity")
    case = auth.as_("hr").post(f"{API}/tasks/{case['tasks'][0]['id']}/complete",
                               json={"data": {"title": "Cloud"}}).get_json()
    assert [t["element_id"] for t in case["tasks"]] == ["vet"]


@pytest.mark.parametrize("order", [["first_half", "check_in", "second_half"], ["first_half", "second_half", "check_in"]])
def test_a_signal_and_a_send_task_in_a_called_process_reach_the_caller_like_raw_spiffworkflow(auth, order):
    answers = {"first_half": {"h1": 1}, "second_half": {"h2": 2}, "check_in": {"c": 3}}
    deploy_file(auth, "signal_across_call.bpmn")
    case = start(auth, "hr", "signal_across_call")
    case = auth.as_("hr").post(f"{API}/tasks/{case['tasks'][0]['id']}/complete", json={"data": {"h1": 1}}).get_json()
    assert sorted(t["element_id"] for t in case["tasks"]) == ["check_in", "second_half"]  # the caller heard it

    shown, raw_data = runs_like_raw(auth, "signal_across_call.bpmn", "signal_across_call", answers=answers,
                                    order=order, deploy=False)
    assert shown["status"] == "completed" and raw_data == {"h1": 1, "h2": 2, "c": 3}
