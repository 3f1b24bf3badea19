"""Data objects and I/O specifications, as SpiffWorkflow handles them.

A data object written through a data object reference is kept in the workflow's data objects
(``data_objects`` in the case data, as in the library's workflow data) and read back by a later
task's input association; a task's own I/O specification lets its script see only its inputs and
hands back only its outputs; the process's output specification decides what the finished case
keeps. A required process input that was not given fails where the library fails (an incident
on the case naming the task, not a 500). Each run is compared with the library's own run.
"""
from __future__ import annotations

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from tests.api.conformance import deploy_file, raw_run, runs_like_raw
from tests.api.support import API, case_row, error_of


@pytest.mark.parametrize("approved", [True, False])
def test_data_objects_and_io_specifications_run_like_raw_spiffworkflow(auth, approved):
    shown, raw_data = runs_like_raw(auth, "data_objects.bpmn", "data_objects", {"headcount": 4},
                                    {"approve": {"approved": approved}})
    verdict = "go" if approved else "stop"
    assert shown["status"] == "completed"
    assert raw_data["plan"] == {"budget": 400, "verdict": verdict} and raw_data["data_objects"] == {"budget": 400}
    assert "scratch" not in raw_data  # not an output of the task's I/O specification


def test_a_missing_process_input_fails_where_raw_spiffworkflow_fails(auth, store):
    with pytest.raises(WorkflowTaskException, match="headcount"):
        raw_run("data_objects.bpmn", "data_objects")

    deploy_file(auth, "data_objects.bpmn")
    error = error_of(auth.as_("hr").post(f"{API}/cases", json={"process": "data_objects", "data": {}}),
                     422, "case_error")
    assert error["details"]["element_id"] == "set_budget" and "headcount" in error["details"]["message"]
    assert case_row(store, error["details"]["case_id"]).status == "error"
