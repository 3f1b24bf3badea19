"""A process that calls itself, directly or through another process, is refused at deployment.

SpiffWorkflow creates a called process's tasks when the call activity is reached: with no wait
state before the call again, one engine step recurses for ever and the worker hangs (raw
SpiffWorkflow does the same). The city's processes need no recursion, so the deployment is a 422
naming the call activity that closes the cycle and its file, and nothing is stored.
"""
from __future__ import annotations

from tests.api.support import error_of, start, unchanged
from tests.api.test_conformance_bundles import definitions, post_files

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'id="D_{key}" targetNamespace="http://x">\n')


def calling(key: str, called: str, wait_first: bool = False) -> bytes:
    """Process ``key``: (a user task, then) a call activity to ``called``, then the end."""
    task = (f'<bpmn:userTask id="t_{key}" name="T"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>'
            f'</bpmn:userTask><bpmn:sequenceFlow id="f1" sourceRef="t_{key}" targetRef="call_{key}"/>') if wait_first else ""
    return (HEAD.format(key=key) + f'''<bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="s_{key}"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>{task}
    <bpmn:callActivity id="call_{key}" calledElement="{called}"><bpmn:incoming>{'f1' if wait_first else 'f0'}</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>
    <bpmn:endEvent id="e_{key}"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s_{key}" targetRef="{f"t_{key}" if wait_first else f"call_{key}"}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="call_{key}" targetRef="e_{key}"/>
    </bpmn:process></bpmn:definitions>''').encode()


def leaf(key: str) -> bytes:
    return (HEAD.format(key=key) + f'''<bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:startEvent id="s_{key}"><bpmn:outgoing>g0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="u_{key}" name="U"><bpmn:incoming>g0</bpmn:incoming><bpmn:outgoing>g1</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e_{key}"><bpmn:incoming>g1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g0" sourceRef="s_{key}" targetRef="u_{key}"/>
    <bpmn:sequenceFlow id="g1" sourceRef="u_{key}" targetRef="e_{key}"/>
    </bpmn:process></bpmn:definitions>''').encode()


def refused(auth, store, files, process):
    with unchanged(store):
        error = error_of(post_files(auth, files, process=process), 422, "invalid_definition")
    assert definitions(store, process) == []
    return error["details"]["problems"]


def test_a_process_calling_itself_with_no_wait_state_is_refused_instead_of_hanging_the_worker(auth, store):
    [problem] = refused(auth, store, {"rec.bpmn": calling("rec", "rec")}, "rec")
    assert (problem["element_id"], problem["file"]) == ("call_rec", "rec.bpmn")
    assert "cycle of calls (rec -> rec)" in problem["message"]


def test_a_process_calling_itself_after_a_user_task_is_refused_too(auth, store):
    [problem] = refused(auth, store, {"rec.bpmn": calling("rec", "rec", wait_first=True)}, "rec")
    assert problem["element_id"] == "call_rec"


def test_two_processes_of_a_bundle_calling_each_other_are_refused_naming_the_closing_call(auth, store):
    files = {"a.bpmn": calling("pa", "pb"), "b.bpmn": calling("pb", "pa")}
    [problem] = refused(auth, store, files, "pa")
    assert (problem["element_id"], problem["file"]) == ("call_pb", "b.bpmn")
    assert "pa -> pb -> pa" in problem["message"]


def test_a_chain_of_calls_without_a_cycle_still_deploys_and_runs(auth, store):
    files = {"a.bpmn": calling("pa", "pb"), "b.bpmn": calling("pb", "pc"), "c.bpmn": leaf("pc")}
    response = post_files(auth, files, process="pa")
    assert response.status_code == 201, response.get_json()
    case = start(auth, "hr", "pa")
    assert case["status"] == "running"
