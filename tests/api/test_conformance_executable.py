"""Which process of a file is deployed: ``isExecutable`` defaults to true, as BPMN says.

Bonita and Signavio leave the attribute out; the engine refused such files although SpiffWorkflow
runs them. Only ``isExecutable="false"`` rules a process out now. In a file with several top-level
processes the deployer names one (multipart field ``process``); else the one no other calls is it.
"""
from __future__ import annotations

import io

from tests.api.conformance import deploy_file, drive, raw_run, source
from tests.api.support import API, error_of, get_case, start


def test_a_process_without_is_executable_deploys_and_runs_like_raw_spiffworkflow(auth):
    ended, raw_data = raw_run("no_executable_flag.bpmn", "no_executable_flag", {}, {"enter_amount": {"amount": 4}})
    assert ended and raw_data["doubled"] == 8

    body = deploy_file(auth, "no_executable_flag.bpmn")
    assert (body["key"], body["created"]) == ("no_executable_flag", True)
    case = drive(auth, start(auth, "hr", "no_executable_flag"), {"enter_amount": {"amount": 4}})
    assert case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data


def test_in_a_multi_process_file_the_process_no_other_calls_is_deployed(auth):
    ended, raw_data = raw_run("caller_and_called.bpmn", "caller_main", {}, {"enter_amount": {"amount": 5}})
    assert ended and raw_data["total"] == 15

    assert deploy_file(auth, "caller_and_called.bpmn")["key"] == "caller_main"
    case = drive(auth, start(auth, "hr", "caller_main"), {"enter_amount": {"amount": 5}})
    assert case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data


def test_with_two_top_level_processes_the_deployer_names_one(auth):
    error = error_of(auth.as_("admin").post(
        f"{API}/processes", content_type="multipart/form-data",
        data={"file": (io.BytesIO(source("two_top_processes.bpmn")), "two.bpmn")}), 422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert "first_flow, second_flow" in problem["message"] and "'process'" in problem["message"]

    unknown = error_of(auth.as_("admin").post(
        f"{API}/processes", content_type="multipart/form-data",
        data={"file": (io.BytesIO(source("two_top_processes.bpmn")), "two.bpmn"), "process": "third_flow"}),
        422, "invalid_definition")
    assert unknown["details"]["problems"][0]["element_id"] == "third_flow"

    ended, raw_data = raw_run("two_top_processes.bpmn", "second_flow")
    assert deploy_file(auth, "two_top_processes.bpmn", process="second_flow")["key"] == "second_flow"
    case = drive(auth, start(auth, "hr", "second_flow"))
    assert ended and case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data == {"noted": "second"}


def test_is_executable_false_still_hides_a_process(auth):
    hidden = source("no_executable_flag.bpmn").replace(b'name="No executable flag"',
                                                         b'name="No executable flag" isExecutable="false"')
    error = error_of(auth.as_("admin").post(
        f"{API}/processes", content_type="multipart/form-data",
        data={"file": (io.BytesIO(hidden), "hidden.bpmn")}), 422, "invalid_definition")
    assert "no executable process" in error["details"]["problems"][0]["message"]
