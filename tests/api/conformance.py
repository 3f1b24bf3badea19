"""The same BPMN file run by raw SpiffWorkflow and through the API, for conformance tests.

A conformance test deploys one small file of ``tests/data/conformance/`` through the deploy
endpoint, drives a case over HTTP, and compares the end with :func:`raw_run`: the library's own
run of the same file, parsed as the engine would parse it, with its human tasks completed in the
order they become ready with the data given per element id.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Mapping, Sequence

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from tests.api.support import API, deployed, get_case, start as start_case

CONFORMANCE = Path(__file__).resolve().parent.parent / "data" / "conformance"


def source(name: str) -> bytes:
    return (CONFORMANCE / name).read_bytes()


def deploy_file(auth: Any, name: str, *, extra: Sequence[str] = (), **fields: str) -> dict[str, Any]:
    """Deploy ``name`` through ``POST /processes`` (extra multipart ``fields``, e.g. ``process``),
    with the ``extra`` files (DMN) as further ``file`` parts of the same request."""
    if not fields and not extra:
        return deployed(auth, name, source(name))
    files = [(io.BytesIO(source(each)), each) for each in (name, *extra)]
    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data",
                                      data={"file": files if extra else files[0], **fields})
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def raw_run(name: str, process: str, start: Mapping[str, Any] | None = None,
            answers: Mapping[str, Mapping[str, Any]] | None = None, parser: Any = SpiffBpmnParser,
            order: Sequence[str] = (), dmn: Sequence[str] = (),
            ) -> tuple[bool, dict[str, Any]]:
    """(ended, data of the last task) of SpiffWorkflow's own run of ``process`` with ``parser``
    (the library's default script engine): human tasks done as they get ready, with
    ``answers[element_id]``, until none is left; while ``order`` lasts, the ready task of its
    next element id is done first. ``dmn`` files are parsed with the BPMN file."""
    workflow = raw_workflow(name, process, start, parser, dmn)
    pending = list(order)
    while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
        wanted = pending.pop(0) if pending else None
        task = next(t for t in ready if t.task_spec.bpmn_id == wanted) if wanted else ready[0]
        task.data.update((answers or {}).get(task.task_spec.bpmn_id, {}))
        task.run()
        workflow.do_engine_steps()
    return raw_result(workflow)


def raw_workflow(name: str, process: str, start: Mapping[str, Any] | None = None, parser: Any = SpiffBpmnParser,
                 dmn: Sequence[str] = ()) -> BpmnWorkflow:
    """SpiffWorkflow's own workflow of ``process``, started with ``start`` and stepped once."""
    reader = parser()
    reader.add_bpmn_file(str(CONFORMANCE / name))
    if dmn:
        reader.add_dmn_files([str(CONFORMANCE / each) for each in dmn])
    workflow = BpmnWorkflow(reader.get_spec(process), reader.get_subprocess_specs(process))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(start or {})
    workflow.do_engine_steps()
    return workflow


def raw_result(workflow: BpmnWorkflow) -> tuple[bool, dict[str, Any]]:
    """(ended, data) as the service reports a case: the last task's data with the workflow's."""
    data = dict(workflow.last_task.data) if workflow.last_task is not None else {}
    data.update(workflow.data)
    return workflow.is_completed(), data


def drive(auth: Any, case: dict[str, Any], answers: Mapping[str, Mapping[str, Any]] | None = None,
          user: str = "hr", order: Sequence[str] = ()) -> dict[str, Any]:
    """Complete the case's ready tasks over HTTP until none is left: first listed first, or while
    ``order`` lasts, the one of its next element id."""
    pending = list(order)
    while case["tasks"]:
        wanted = pending.pop(0) if pending else None
        task = next(t for t in case["tasks"] if t["element_id"] == wanted) if wanted else case["tasks"][0]
        response = auth.as_(user).post(f"{API}/tasks/{task['id']}/complete",
                                       json={"data": dict((answers or {}).get(task["element_id"], {}))})
        assert response.status_code == 200, response.get_json()
        case = response.get_json()
    return case


def replays_consistent(auth: Any, case_id: int) -> None:
    replayed = auth.as_("auditor").post(f"{API}/cases/{case_id}/replay").get_json()
    assert replayed["consistent"] is True, replayed


def runs_like_raw(auth: Any, name: str, process: str, start: Mapping[str, Any] | None = None,
                  answers: Mapping[str, Mapping[str, Any]] | None = None, *, order: Sequence[str] = (),
                  parser: Any = SpiffBpmnParser, dmn: Sequence[str] = (), deploy: bool = True,
                  ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``process`` of ``name`` raw and through the API with the same start data and answers;
    assert the same end state (``completed`` exactly when the library's workflow completed) and
    the same final data, and that the case replays consistent. Returns (case as shown, raw data)."""
    ended, raw_data = raw_run(name, process, start, answers, parser=parser, order=order, dmn=dmn)
    if deploy:
        deploy_file(auth, name, extra=dmn)
    case = drive(auth, start_case(auth, "hr", process, dict(start or {})), answers, order=order)
    shown = get_case(auth, "hr", case["id"])
    assert (shown["status"] == "completed") is ended, (shown["status"], ended)
    assert shown["data"] == raw_data
    replays_consistent(auth, case["id"])
    return shown, raw_data
