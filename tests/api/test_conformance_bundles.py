"""Deployment bundles: several BPMN and DMN files deployed as one version, and call activities
that reach into other files, or into processes deployed before, pinned at deployment.

Each run is compared with raw SpiffWorkflow's own run of the same files (one parser reading them
all, as the engine's), on final data and end state; cases that went through a call activity into
another file replay consistent and the audit chains verify.
"""
from __future__ import annotations

import io
import zipfile
from typing import Any, Mapping

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.store.models import Event, ProcessDefinition
from tests.api.conformance import drive, source
from tests.api.support import API, error_of, get_case, history, start, unchanged

BUNDLE = ("bundle_caller.bpmn", "bundle_grading.bpmn", "bundle_grade.dmn")
ANSWERS = {"enter_score": {"score": 70}, "confirm_grade": {"confirmed": True}}


def raw_bundle_run(files: Mapping[str, bytes], process: str, answers: Mapping[str, Mapping[str, Any]],
                   parser: Any = CamundaParser) -> tuple[bool, dict[str, Any]]:
    """SpiffWorkflow's own run of ``process`` with every file of the bundle in one parser."""
    reader = parser()
    for name, content in files.items():
        if name.endswith(".dmn"):
            reader.add_dmn_str(content, filename=name)
    for name, content in files.items():
        if name.endswith(".bpmn"):
            reader.add_bpmn_str(content, filename=name)
    workflow = BpmnWorkflow(reader.get_spec(process), reader.get_subprocess_specs(process))
    workflow.do_engine_steps()
    while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
        ready[0].data.update(answers.get(ready[0].task_spec.bpmn_id, {}))
        ready[0].run()
        workflow.do_engine_steps()
    data = dict(workflow.last_task.data)
    data.update(workflow.data)
    return workflow.is_completed(), data


def post_files(auth: Any, files: Mapping[str, bytes], **fields: str) -> Any:
    parts = [(io.BytesIO(content), name) for name, content in files.items()]
    return auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                  data={"file": parts, **fields})


def zipped(members: Mapping[str, bytes], name: str = "bundle.zip") -> dict[str, bytes]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return {name: buffer.getvalue()}


def definitions(store: Any, key: str) -> list[ProcessDefinition]:
    with store.read() as session:
        rows = list(session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key)
                                    .order_by(ProcessDefinition.version)))
        for row in rows:
            session.expunge(row)
        return rows


def replays_and_verifies(auth: Any, case_id: int) -> None:
    replayed = auth.as_("auditor").post(f"{API}/cases/{case_id}/replay").get_json()
    assert replayed["consistent"] is True, replayed
    # the case as it was while it waited inside the called process of the other file
    [inside] = [e["seq"] for e in history(auth, "auditor", case_id)
                if e["type"] == "task_created" and e["data"].get("element_id") == "confirm_grade"]
    at = auth.as_("auditor").get(f"{API}/cases/{case_id}/state?at={inside}")
    assert at.status_code == 200, at.get_json()
    assert [t["element_id"] for t in at.get_json()["tasks"] if t["status"] == "ready"] == ["confirm_grade"]
    verified = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert verified["ok"] is True, verified


def runs_like_raw(auth: Any, files: Mapping[str, bytes]) -> dict[str, Any]:
    ended, raw_data = raw_bundle_run(files, "bundle_caller", ANSWERS)
    assert ended is True and raw_data["grade"] == "pass" and raw_data["bonus"] == 80
    case = drive(auth, start(auth, "hr", "bundle_caller"), ANSWERS)
    shown = get_case(auth, "hr", case["id"])
    assert shown["status"] == "completed" and shown["data"] == raw_data and shown["data"]["summary"] == "pass:80"
    replays_and_verifies(auth, case["id"])
    return shown


def test_a_bundle_of_two_bpmn_files_and_a_dmn_file_deploys_as_one_version_and_calls_across_files(auth, store):
    files = {name: source(name) for name in BUNDLE}
    response = post_files(auth, files)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["key"], body["version"], body["dialect"]) == ("bundle_caller", 1, "camunda")
    assert sorted(body["files"]) == sorted(BUNDLE)
    assert body["calls"] == [{"process": "bundle_grading", "from": "bundle", "version": 1,
                              "definition_id": body["id"]}]
    with store.read() as session:
        deployed = session.scalars(select(Event).where(Event.type == "process_deployed")
                                   .order_by(Event.id.desc())).first()
    assert deployed.data["calls"] == body["calls"] and sorted(deployed.data["files"]) == sorted(BUNDLE)

    shown = runs_like_raw(auth, files)
    # the called process's human task was a task of the case like any other
    done = [e["data"].get("element_id") for e in history(auth, "hr", shown["id"]) if e["type"] == "task_completed"]
    assert done == ["enter_score", "confirm_grade"]

    diagram = auth.as_("admin").get(f"{API}/processes/bundle_caller/diagram.svg")
    assert diagram.status_code == 200 and b"call_grading" in diagram.data  # drawn from the caller's file

    again = post_files(auth, dict(reversed(list(files.items()))))  # the same bundle, in another order
    assert again.status_code == 200 and again.get_json()["version"] == 1 and again.get_json()["created"] is False


def test_the_same_bundle_as_a_zip_deploys_the_same_version(auth):
    files = {name: source(name) for name in BUNDLE}
    response = post_files(auth, zipped({f"models/{name}": content for name, content in files.items()}))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert sorted(body["files"]) == sorted(f"models/{name}" for name in BUNDLE)
    runs_like_raw(auth, files)
    # the content is what counts, not the names or the packing
    assert post_files(auth, files).status_code == 200


def test_with_two_top_level_processes_in_a_bundle_the_deployer_names_one(auth, store):
    files = {"bundle_grading.bpmn": source("bundle_grading.bpmn"), "bundle_grade.dmn": source("bundle_grade.dmn"),
             "two_top_processes.bpmn": source("two_top_processes.bpmn")}
    with unchanged(store):
        error = error_of(post_files(auth, files), 422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert "bundle_grading (bundle_grading.bpmn)" in problem["message"] and "'process'" in problem["message"]
    body = post_files(auth, files, process="bundle_grading").get_json()
    assert body["key"] == "bundle_grading" and body["calls"] == []


def test_a_caller_deployed_alone_uses_the_latest_deployed_callee_pinned_for_its_version_and_cases(auth, store):
    grading_v1 = {"bundle_grading.bpmn": source("bundle_grading.bpmn"), "bundle_grade.dmn": source("bundle_grade.dmn")}
    assert post_files(auth, grading_v1).get_json()["version"] == 1
    caller = {"bundle_caller.bpmn": source("bundle_caller.bpmn")}
    body = post_files(auth, caller).get_json()
    grading = definitions(store, "bundle_grading")[0]
    assert body["created"] is True and body["files"] == ["bundle_caller.bpmn"]
    assert body["calls"] == [{"process": "bundle_grading", "from": "deployed", "version": 1,
                              "definition_id": grading.id}]
    running = start(auth, "hr", "bundle_caller")  # waits before the call activity

    # version 2 of the callee: a bigger bonus
    grading_v2 = dict(grading_v1, **{"bundle_grading.bpmn": source("bundle_grading.bpmn").replace(
        b"score + 10", b"score + 1000")})
    assert post_files(auth, grading_v2).get_json()["version"] == 2
    ended, raw_v1 = raw_bundle_run({**caller, **grading_v1}, "bundle_caller", ANSWERS)
    _, raw_v2 = raw_bundle_run({**caller, **grading_v2}, "bundle_caller", ANSWERS)

    # the running case and the deployed caller keep version 1 of the callee
    case = drive(auth, running, ANSWERS)
    assert case["status"] == "completed" and get_case(auth, "hr", case["id"])["data"] == raw_v1
    replays_and_verifies(auth, case["id"])
    later = drive(auth, start(auth, "hr", "bundle_caller"), ANSWERS)
    assert get_case(auth, "hr", later["id"])["data"]["bonus"] == raw_v1["bonus"] == 80

    # a new deployment of the same caller file picks version 2, as a new version of the caller
    redeployed = post_files(auth, caller).get_json()
    assert (redeployed["version"], redeployed["created"]) == (2, True)
    assert redeployed["calls"][0]["version"] == 2 and redeployed["calls"][0]["from"] == "deployed"
    newest = drive(auth, start(auth, "hr", "bundle_caller"), ANSWERS)
    assert get_case(auth, "hr", newest["id"])["data"] == raw_v2 and raw_v2["bonus"] == 1070
    replays_and_verifies(auth, newest["id"])
    assert post_files(auth, caller).status_code == 200  # nothing changed since: the same version


def test_a_call_activity_to_a_process_found_nowhere_is_refused_and_nothing_is_stored(auth, store):
    with unchanged(store):
        error = error_of(post_files(auth, {"bundle_caller.bpmn": source("bundle_caller.bpmn")}),
                         422, "invalid_definition")
    [problem] = error["details"]["problems"]
    assert (problem["element_id"], problem["file"]) == ("call_grading", "bundle_caller.bpmn")
    assert "'bundle_grading'" in problem["message"]
    assert definitions(store, "bundle_caller") == []


def test_a_callee_read_by_another_parser_family_is_refused_naming_the_call_activity(auth, store):
    plain = source("bundle_grading.bpmn").replace(b' camunda:decisionRef="bundle_grade"', b"") \
        .replace(b"businessRuleTask", b"scriptTask").replace(b'name="Grade the score">',
                                                              b'name="Grade the score"><script>grade = "pass"</script>')
    assert post_files(auth, {"bundle_grading.bpmn": plain}).get_json()["dialect"] == "bpmn"
    camunda_caller = source("bundle_caller.bpmn").replace(
        b'<userTask id="enter_score" name="Enter the score">',
        b'<userTask id="enter_score" name="Enter the score" camunda:formKey="">').replace(
        b'<definitions ', b'<definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')
    with unchanged(store):
        error = error_of(post_files(auth, {"bundle_caller.bpmn": camunda_caller}), 422, "invalid_definition")
    assert error["details"]["problems"][0]["element_id"] == "call_grading"


def bad_zip_problems(auth: Any, store: Any, members: Mapping[str, bytes], **options: Any) -> list[dict[str, str]]:
    with unchanged(store):
        error = error_of(post_files(auth, zipped(members, **options)), 422, "invalid_definition")
    return error["details"]["problems"]


def test_bad_zips_are_refused_naming_each_member_and_nothing_is_stored(auth, store):
    good = {name: source(name) for name in BUNDLE}
    problems = bad_zip_problems(auth, store, {**good, "../evil.bpmn": good["bundle_caller.bpmn"],
                                              "notes.txt": b"hello", "inner.zip": zipped(good)["bundle.zip"]})
    by_file = {p["file"]: p["message"] for p in problems}
    assert set(by_file) == {"bundle.zip:../evil.bpmn", "bundle.zip:notes.txt", "bundle.zip:inner.zip"}
    assert "leaves the bundle" in by_file["bundle.zip:../evil.bpmn"]
    assert "neither a .bpmn nor a .dmn" in by_file["bundle.zip:notes.txt"]
    assert "archive inside the archive" in by_file["bundle.zip:inner.zip"]

    disguised = bad_zip_problems(auth, store, {**good, "inner.bpmn": zipped(good)["bundle.zip"]})
    assert disguised[0]["file"] == "bundle.zip:inner.bpmn" and "archive" in disguised[0]["message"]

    bomb = bad_zip_problems(auth, store, {**good, "big.bpmn": b"<" + b" " * (3 * 1024 * 1024)})
    assert bomb[0]["file"] == "bundle.zip:big.bpmn" and "2 MiB" in bomb[0]["message"]

    absolute = bad_zip_problems(auth, store, {"/etc/x.bpmn": good["bundle_caller.bpmn"]})
    assert "absolute path" in absolute[0]["message"]

    broken = error_of(post_files(auth, {"bundle.zip": b"PK\x03\x04 not really"}), 422, "invalid_definition")
    assert "not a readable zip" in broken["details"]["problems"][0]["message"]
    assert definitions(store, "bundle_caller") == []


def test_two_files_with_a_human_task_of_the_same_id_are_refused(auth, store):
    clash = source("bundle_grading.bpmn").replace(b'id="confirm_grade"', b'id="enter_score"').replace(
        b'targetRef="confirm_grade"', b'targetRef="enter_score"').replace(b'sourceRef="confirm_grade"',
                                                                          b'sourceRef="enter_score"')
    with unchanged(store):
        error = error_of(post_files(auth, {"bundle_caller.bpmn": source("bundle_caller.bpmn"),
                                           "bundle_grading.bpmn": clash, "bundle_grade.dmn": source("bundle_grade.dmn")}),
                         422, "invalid_definition")
    assert error["details"]["problems"][0]["element_id"] == "enter_score"


def test_the_spiff_parser_reads_a_bundle_of_plain_files_as_the_library_does(auth):
    caller = source("caller_and_called.bpmn")
    ended, raw_data = raw_bundle_run({"caller_and_called.bpmn": caller}, "caller_main",
                                     {"enter_amount": {"amount": 5}}, SpiffBpmnParser)
    body = post_files(auth, {"caller_and_called.bpmn": caller}).get_json()
    assert body["calls"] == [{"process": "called_helper", "from": "bundle", "version": 1, "definition_id": body["id"]}]
    case = drive(auth, start(auth, "hr", "caller_main"), {"enter_amount": {"amount": 5}})
    assert ended and get_case(auth, "hr", case["id"])["data"] == raw_data


def test_the_cli_deploys_a_bundle_of_files_or_a_zip_and_says_what_it_calls(app, database_url, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from api.cli import main

    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    paths = []
    for name in BUNDLE:
        (tmp_path / name).write_bytes(source(name))
        paths.append(str(tmp_path / name))
    result = CliRunner().invoke(main, ["deploy", *paths])
    assert result.exit_code == 0, result.output
    assert "deployed: bundle_caller v1" in result.output and "calls bundle_grading v1 (bundle)" in result.output

    (tmp_path / "bundle.zip").write_bytes(zipped({name: source(name) for name in BUNDLE})["bundle.zip"])
    again = CliRunner().invoke(main, ["deploy", str(tmp_path / "bundle.zip")])
    assert again.exit_code == 0 and "unchanged, already: bundle_caller v1" in again.output

    (tmp_path / "bad.zip").write_bytes(zipped({"x/../../y.bpmn": source("bundle_caller.bpmn")})["bundle.zip"])
    refused = CliRunner().invoke(main, ["deploy", str(tmp_path / "bad.zip")])
    assert refused.exit_code == 2 and "bad.zip:x/../../y.bpmn" in refused.output
    assert "nothing was deployed" in refused.output


def test_a_called_process_of_another_file_takes_in_and_gives_back_only_its_declared_data(auth):
    files = {name: source(name) for name in ("bundle_io_caller.bpmn", "bundle_io_doubler.bpmn")}
    answers = {"enter_values": {"amount": 4, "secret": "kept here"}}
    ended, raw_data = raw_bundle_run(files, "bundle_io_caller", answers, SpiffBpmnParser)
    assert ended and raw_data == {"amount": 4, "secret": "kept here", "doubled": 8}  # no "scratch"

    assert post_files(auth, files).get_json()["calls"][0]["from"] == "bundle"
    case = drive(auth, start(auth, "hr", "bundle_io_caller"), answers)
    assert case["status"] == "completed" and get_case(auth, "hr", case["id"])["data"] == raw_data
    assert auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()["consistent"] is True


def test_the_lanes_of_a_called_process_decide_who_does_its_tasks(auth, store):
    laned = source("bundle_grading.bpmn").replace(
        b'<startEvent id="grading_start">',
        b'<laneSet id="grading_lanes"><lane id="lane_reviewer" name="reviewer">'
        b'<flowNodeRef>confirm_grade</flowNodeRef></lane></laneSet>\n    <startEvent id="grading_start">')
    files = {"bundle_caller.bpmn": source("bundle_caller.bpmn"), "bundle_grading.bpmn": laned,
             "bundle_grade.dmn": source("bundle_grade.dmn")}
    assert post_files(auth, files).status_code == 201
    [first] = start(auth, "hr", "bundle_caller")["tasks"]
    case = auth.as_("hr").post(f"{API}/tasks/{first['id']}/complete", json={"data": ANSWERS["enter_score"]}).get_json()
    [task] = case["tasks"]
    assert task["element_id"] == "confirm_grade" and task["role"] == "reviewer"
    refused = auth.as_("hr").post(f"{API}/tasks/{task['id']}/complete", json={"data": ANSWERS["confirm_grade"]})
    assert refused.status_code in (403, 404)
    case = drive(auth, case, ANSWERS, user="reviewer")
    ended, raw_data = raw_bundle_run(files, "bundle_caller", ANSWERS)
    assert ended and case["status"] == "completed" and get_case(auth, "hr", case["id"])["data"] == raw_data


MIDDLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="Definitions_middle" targetNamespace="http://t">
  <process id="bundle_middle" isExecutable="true">
    <startEvent id="middle_start"><outgoing>m1</outgoing></startEvent>
    <callActivity id="call_grading_again" calledElement="bundle_grading"><incoming>m1</incoming><outgoing>m2</outgoing>
    </callActivity>
    <endEvent id="middle_end"><incoming>m2</incoming></endEvent>
    <sequenceFlow id="m1" sourceRef="middle_start" targetRef="call_grading_again"/>
    <sequenceFlow id="m2" sourceRef="call_grading_again" targetRef="middle_end"/>
  </process>
</definitions>
"""


def test_a_deployed_callee_brings_the_callee_it_pinned_itself(auth, store):
    grading = {"bundle_grading.bpmn": source("bundle_grading.bpmn"), "bundle_grade.dmn": source("bundle_grade.dmn")}
    post_files(auth, grading)
    middle = post_files(auth, {"middle.bpmn": MIDDLE}).get_json()
    assert [(c["process"], c["version"], c["from"]) for c in middle["calls"]] == [("bundle_grading", 1, "deployed")]
    top = {"top.bpmn": source("bundle_caller.bpmn").replace(b'calledElement="bundle_grading"',
                                                          b'calledElement="bundle_middle"')}
    body = post_files(auth, top).get_json()
    assert [(c["process"], c["version"], c["from"]) for c in body["calls"]] == [("bundle_middle", 1, "deployed")]
    [row] = definitions(store, "bundle_caller")
    assert {s["name"]: s.get("pinned", {}).get("process") for s in row.sources} == {
        "top.bpmn": None, "middle.bpmn": "bundle_middle", "bundle_grading.bpmn": "bundle_middle",
        "bundle_grade.dmn": "bundle_middle"}

    changed = grading["bundle_grading.bpmn"].replace(b"score + 10", b"score + 1000")
    assert post_files(auth, {**grading, "bundle_grading.bpmn": changed}).get_json()["version"] == 2
    # version 2 of the innermost callee changes neither the middle version nor the top one
    ended, raw_data = raw_bundle_run({**top, "middle.bpmn": MIDDLE, **grading}, "bundle_caller", ANSWERS)
    case = drive(auth, start(auth, "hr", "bundle_caller"), ANSWERS)
    assert ended and case["status"] == "completed" and get_case(auth, "hr", case["id"])["data"] == raw_data
    assert raw_data["bonus"] == 80
    replays_and_verifies(auth, case["id"])


def test_a_bundle_larger_than_an_ordinary_request_deploys_and_one_beyond_the_bundle_limit_is_a_413(auth, store):
    files = {name: source(name) for name in BUNDLE}
    # a modeller's long documentation: 1.5 MiB, over the 1 MiB any other request may carry
    files["bundle_caller.bpmn"] = files["bundle_caller.bpmn"].replace(
        b"</bpmn:definitions>", b"<!-- " + b"x" * (1536 * 1024) + b" --></bpmn:definitions>")
    response = post_files(auth, files)
    assert response.status_code == 201, response.get_json()
    before = len(definitions(store, response.get_json()["key"]))
    huge = {f"part{i}.bpmn": b"x" * (2 * 1024 * 1024) for i in range(9)}  # 18 MiB: beyond any bundle
    response = post_files(auth, huge)
    error_of(response, 413)
    assert len(definitions(store, "bundle_caller")) == before
