"""Data objects and I/O specifications, as SpiffWorkflow handles them.

A data object written through a data object reference is kept in the workflow's data objects
(``data_objects`` in the case data, as in the library's workflow data) and read back by a later
task's input association; a task's own I/O specification lets its script see only its inputs and
hands back only its outputs; the process's output specification decides what the finished case
keeps. A required process input that was not given fails where the library fails (an incident
on the case naming the task, not a 500). A data store needs a class registered with the
library's parser, and none is: such a file is refused at deployment as the library refuses to
read it. Each run is compared with the library's own run.
"""
from __future__ import annotations

import io

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from tests.api.conformance import deploy_file, raw_run, runs_like_raw, source
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


def test_a_data_store_is_refused_at_deployment_as_spiffworkflow_refuses_to_read_it(auth):
    with pytest.raises(ValidationException, match="talent_registry"):
        raw_run("data_store.bpmn", "data_store")

    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(source("data_store.bpmn")), "data_store.bpmn")})
    error = error_of(response, 422, "invalid_definition")
    assert "talent_registry" in str(error["details"])
    assert auth.as_("hr").get(f"{API}/processes/data_store").status_code == 404
