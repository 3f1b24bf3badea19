"""Forms for any file: ``camunda:formData`` is the task's form; an unknown form key takes free data.

A file drawn elsewhere declares its forms in ``camunda:formData`` rather than naming a schema of
``forms/``; a form key with neither used to make the whole deployment refused. Now the fields the
file declares validate the task (422 with field messages) and are published as JSON Schema; a key
with no form deploys with a warning and takes free data, unless ``TALENTFLOW_STRICT_FORMS=1``.
"""
from __future__ import annotations

from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.definitions import form_data
from tests.api.conformance import deploy_file, drive, raw_run, source
from tests.api.support import API, deploy, error_of, get_case, start

GOOD = {"full_name": "Lan Anh", "age": 30, "code": "ABC", "agree": True, "since": "2024-05-01", "level": "senior"}


def test_form_data_is_the_tasks_form_with_its_validation(auth):
    ended, raw_data = raw_run("form_data.bpmn", "form_data_demo", {}, {"fill": GOOD}, parser=CamundaParser)
    assert ended

    body = deploy_file(auth, "form_data.bpmn")
    assert body["warnings"] == [] and body["dialect"] == "camunda"
    case = start(auth, "hr", "form_data_demo")
    [task] = case["tasks"]
    assert task["form_key"].startswith("formdata-")
    form = auth.as_("hr").get(f"{API}/tasks/{task['id']}").get_json()["form"]
    props = form["properties"]
    assert form["required"] == ["full_name"]
    assert props["full_name"]["title"] == "Full name"
    assert (props["full_name"]["minLength"], props["full_name"]["maxLength"]) == (2, 40)
    assert (props["age"]["type"], props["age"]["minimum"], props["age"]["maximum"]) == ("integer", 18, 70)
    assert props["code"]["pattern"] == "^(?:[A-Z]{3})$"
    assert props["agree"]["type"] == "boolean"
    assert props["since"]["format"] == "date"
    assert set(props["level"]["enum"]) >= {"junior", "senior"}
    assert props["level"]["x-enum-labels"]["senior"] == {"vi": "Senior", "en": "Senior"}

    bad = {"full_name": "X", "age": 12, "code": "abc", "level": "boss", "since": "yesterday", "extra": 1}
    error = error_of(auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": bad}), 422)
    fields = error["details"]
    assert {"full_name", "age", "code", "level", "since", "extra"} <= set(fields), fields
    error = error_of(auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": {"age": 30}}), 422)
    assert "full_name" in error["details"]

    case = drive(auth, case, {"fill": GOOD})
    assert case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data
    form_data._DESCRIPTIONS.clear()  # replay validates the recorded data again, on another worker too
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert (replayed["consistent"], replayed["divergence"]) == (True, None)


def test_an_unknown_form_key_deploys_with_a_warning_and_takes_free_data(auth):
    answers = {"fill": {"anything": "goes", "n": 3}}
    ended, raw_data = raw_run("unknown_form_key.bpmn", "unknown_form_demo", {}, answers, parser=CamundaParser)
    assert ended

    body = deploy_file(auth, "unknown_form_key.bpmn")
    [warning] = body["warnings"]
    assert warning["element_id"] == "fill" and "no_such_form_anywhere" in warning["message"]
    case = start(auth, "hr", "unknown_form_demo")
    form = auth.as_("hr").get(f"{API}/tasks/{case['tasks'][0]['id']}").get_json()["form"]
    assert "properties" not in form and form["type"] == "object"
    case = drive(auth, case, answers)
    assert case["status"] == "completed"
    assert get_case(auth, "hr", case["id"])["data"] == raw_data


def test_the_strict_setting_keeps_refusing_an_unknown_form_key(auth, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_STRICT_FORMS", "1")
    error = error_of(deploy(auth, "unknown_form_key.bpmn", source("unknown_form_key.bpmn")), 422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert problem["element_id"] == "fill" and "no_such_form_anywhere" in problem["message"]


def test_after_a_restart_the_files_form_still_validates(auth, service):
    deploy_file(auth, "form_data.bpmn")
    case = start(auth, "hr", "form_data_demo")
    task_id = case["tasks"][0]["id"]
    form_data._DESCRIPTIONS.clear()  # what a restarted worker knows: nothing in memory
    service.workflows._items.clear()
    service.specs._items.clear()
    error = error_of(auth.as_("hr").post(f"{API}/tasks/{task_id}/complete", json={"data": {"age": 5}}), 422)
    assert {"full_name", "age"} <= set(error["details"])
    form_data._DESCRIPTIONS.clear()
    form = auth.as_("hr").get(f"{API}/tasks/{task_id}").get_json()["form"]
    assert form["required"] == ["full_name"]
