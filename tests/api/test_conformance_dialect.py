"""The parser is chosen by the extensions a file uses, not by the namespaces it declares.

Camunda Modeler adds ``camunda:versionTag`` (and the namespace) to any file it saves. Such a file
whose meaning is in ``spiffworkflow:`` extensions was read by the Camunda parser, which silently
dropped them (here a post-script); now it is read by the Spiff parser, like raw SpiffWorkflow.
"""
from __future__ import annotations

import io

from tests.api.conformance import deploy_file, drive, raw_run, source
from tests.api.support import API, error_of, get_case, start

FILE = "spiff_with_version_tag.bpmn"
ANSWERS = {"enter_amount": {"amount": 4}}


def test_a_spiff_file_with_a_camunda_version_tag_runs_its_spiff_extensions(auth):
    ended, raw_data = raw_run(FILE, "spiff_with_version_tag", {}, ANSWERS)
    assert ended and raw_data["tripled"] == 12

    body = deploy_file(auth, FILE)
    assert body["dialect"] == "spiff"
    case = drive(auth, start(auth, "hr", "spiff_with_version_tag"), ANSWERS)
    assert case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data


def test_a_file_whose_meaning_is_in_both_extensions_is_refused_naming_them(auth):
    mixed = source(FILE).replace(b'<bpmn:userTask id="enter_amount" name="Enter the amount">',
                                 b'<bpmn:userTask id="enter_amount" name="Enter the amount" camunda:formKey="x">')
    error = error_of(auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                            data={"file": (io.BytesIO(mixed), FILE)}), 422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert "formKey" in problem["message"] and "postScript" in problem["message"]


def test_a_camunda_file_stays_camunda_and_a_plain_one_plain(auth):
    listed = {p["key"]: p for p in auth.as_("hr").get(f"{API}/processes").get_json()}
    assert listed["training_nomination"]["versions"][0]["dialect"] == "camunda"  # camunda:formKey and properties
    tagged_only = source("no_executable_flag.bpmn").replace(
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"',
        b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        b'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"').replace(
        b'name="No executable flag"', b'name="No executable flag" camunda:versionTag="3"')
    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(tagged_only), "tagged.bpmn")})
    assert response.status_code == 201 and response.get_json()["dialect"] == "bpmn"
