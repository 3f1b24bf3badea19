"""A parallel flow through the same task (a Signavio export) runs as in SpiffWorkflow, never a 500.

When an inclusive merge fires a second time, SpiffWorkflow drops the tasks its first firing made
ready: here the ready "done" leaves the tree. The task projection looked the gone task up with
``get_task_from_id``, which raises ``TaskNotFoundException`` in SpiffWorkflow 3.2, and every try
answered 500. Now a task gone from the tree is a cancelled row, and the new "done" a new one.
"""
from __future__ import annotations

import pytest

from tests.api.conformance import deploy_file, drive, raw_run
from tests.api.support import API, events, get_case, start
from tests.helpers import complete

FILE = "parallel_same_task.bpmn"
YES = {"choose": {"choice": "yes"}}
#: the second "repeated" is done while the "done" of the first is ready: the merge fires again
SECOND_MERGE = ["choose", "yes_task", "repeated", "repeated", "done"]


@pytest.mark.parametrize("order", [SECOND_MERGE, ["choose", "yes_task", "repeated", "done", "repeated", "done"],
                                   ["repeated", "done", "choose", "yes_task", "repeated", "done"]])
def test_a_parallel_flow_through_the_same_task_ends_as_raw_spiffworkflow_does(auth, store, order):
    ended, raw_data = raw_run(FILE, "parallel_same_task", {}, YES, order=order)
    assert ended

    deploy_file(auth, FILE)
    case = drive(auth, start(auth, "hr", "parallel_same_task"), YES, order=order)

    assert case["status"] == "completed" and case["tasks"] == []
    assert get_case(auth, "hr", case["id"])["data"] == raw_data
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replayed["consistent"] is True, replayed


def test_the_ready_task_spiffworkflow_drops_is_cancelled_in_the_worklist(auth, store):
    deploy_file(auth, FILE)
    case = start(auth, "hr", "parallel_same_task")
    for element in SECOND_MERGE[:3]:
        task = next(t for t in case["tasks"] if t["element_id"] == element)
        case = complete(auth, "hr", task["id"], YES.get(element, {}))
    first_done = next(t["id"] for t in case["tasks"] if t["element_id"] == "done")
    second_repeated = next(t["id"] for t in case["tasks"] if t["element_id"] == "repeated")

    response = auth.as_("hr").post(f"{API}/tasks/{second_repeated}/complete", json={"data": {}})
    assert response.status_code == 200, response.get_json()
    after = response.get_json()
    [done] = after["tasks"]
    assert done["element_id"] == "done" and done["id"] != first_done
    cancelled = [e for e in events(store, case["id"], "task_cancelled") if e.task_id == first_done]
    assert [e.data["element_id"] for e in cancelled] == ["done"]
