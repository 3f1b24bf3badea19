"""A call activity into another process of the same file, as SpiffWorkflow runs it.

Both processes are executable; the one no call activity calls is the one deployed
(``test_conformance_executable.py``), the called one is parsed with it. The called process's
person's task is a task of the case like any other; its data comes back to the caller, and its
error end event is caught by the error boundary event on the call activity. Each run is compared
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
