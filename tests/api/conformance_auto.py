"""Any BPMN file run by raw SpiffWorkflow and through the API, compared with no test of its own.

The issue's acceptance runs files from other projects: whatever raw SpiffWorkflow 3.2 runs to
the end must run through talentflow to the same final data. This driver does that for a file
it has never seen (and the DMN files beside it):

1. **Raw run, as a third party would do it.** The file is parsed with the parser talentflow
   would choose (:func:`engine.definitions.specs.detect_dialect` / ``make_parser``), the workflow
   made for its one top-level executable process (the one no call activity of the file calls),
   run by the library's own default script engine: ``do_engine_steps``, then the first ready
   human task completed (with no data, or the data of an optional sidecar
   ``<file>.answers.json``), again and again; when nothing is ready, the service clock (which the
   library reads, see ``conformance_timers``) is moved past the earliest waiting timer and the
   timers refreshed. Every completion and every move of the clock is recorded. A file the
   library cannot parse, fails on, or leaves waiting (a message that never comes) is *not
   applicable*: there is nothing to conform to.
2. **The same run through the API.** The clock is put back where the raw run started, the same
   files deployed with ``POST /processes``, a case started with the same start data, the same
   tasks completed (found by element id) with the same data, the clock moved by the same steps
   with the due timers fired (``fire_due``, as the executor does).
3. **Compared**: the case must have ended (any status but ``running``, ``error`` or
   ``cancelled``) with the data the library's workflow ends with (its last task's data and the
   workflow data, as ``conformance.raw_run`` reads it), both read as JSON. No key is excluded:
   the case data the API reports holds nothing of the engine's own. Only values that are not
   data are left out of the library's side: a module a script imported (``import json``), which
   the default engine leaves in task data where no serializer could store it.

The sidecar ``<file>.answers.json`` is an object: element id -> the data to complete that task
with, plus ``"_start"`` (the case's start data) and ``"_process"`` (the process id, for a file
with several top-level ones), and ``"_timers_first": true`` to let waiting timers go off before
ready tasks are done (a boundary timer on a task that is never completed in time).
"""
from __future__ import annotations

import io
import json
import types
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions.safe_xml import read_xml
from engine.definitions.specs import BPMN_NS, detect_dialect, make_parser
from engine.time import clock, timers
from tests.api.support import API

ANSWERS_SUFFIX = ".answers.json"
#: Completions and clock moves a run may take: a file looping for ever is not applicable.
MAX_ACTIONS = 200
#: When no timer tells its due time, the clock is moved by these steps in turn before giving up.
PROBES = (timedelta(hours=1, seconds=1), timedelta(days=1), timedelta(days=31), timedelta(days=400))
ENDED_BADLY = frozenset({"running", "error", "cancelled"})


@dataclass
class Action:
    """One thing done to the raw workflow: a task completed, or the clock moved."""

    element: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    delta: timedelta | None = None


@dataclass
class RawRun:
    file: Path
    applicable: bool
    reason: str = ""
    process: str = ""
    started_at: datetime | None = None
    start: dict[str, Any] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    lanes: set[str] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApiRun:
    status: str
    data: dict[str, Any] = field(default_factory=dict)
    problem: str = ""


def dmn_beside(bpmn: Path) -> list[Path]:
    return sorted(bpmn.parent.glob("*.dmn"))


def answers_for(bpmn: Path) -> dict[str, Any]:
    sidecar = bpmn.with_name(bpmn.name + ANSWERS_SUFFIX)
    return json.loads(sidecar.read_text("utf-8")) if sidecar.exists() else {}


def as_json(value: Any) -> Any:
    """``value`` as the API would show it: through JSON (dates as ISO text)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))


def top_processes(root: etree._Element) -> list[str]:
    """Executable processes of the file that no call activity of it calls."""
    ns = {"bpmn": BPMN_NS}
    executable = [p.get("id", "") for p in root.findall("bpmn:process", ns)
                  if p.get("isExecutable", "true").strip().lower() != "false"]
    called = {c.get("calledElement") for c in root.iter(f"{{{BPMN_NS}}}callActivity")}
    return [p for p in executable if p not in called]


def _signature(workflow: BpmnWorkflow) -> list[tuple[str, int]]:
    return sorted((str(t.id), t.state) for t in workflow.get_tasks())


def _complete_first_ready(workflow: BpmnWorkflow, answers: dict[str, Any], run: RawRun) -> bool:
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    if not ready:
        return False
    task = ready[0]
    data = dict(answers.get(task.task_spec.bpmn_id, {}))
    task.data.update(data)
    task.run()
    workflow.do_engine_steps()
    run.actions.append(Action(element=task.task_spec.bpmn_id, data=data))
    return True


def _move_clock(workflow: BpmnWorkflow, run: RawRun) -> bool:
    """Move the clock past the earliest timer (or by :data:`PROBES`) until something happens."""
    due = timers.next_due(workflow)
    steps = [max(due - clock.now(), timedelta(0)) + timedelta(seconds=1)] if due else []
    before = _signature(workflow)
    for delta in [*steps, *PROBES]:
        clock.current().advance(delta)  # type: ignore[attr-defined]
        workflow.refresh_timers()
        workflow.do_engine_steps()
        run.actions.append(Action(delta=delta))
        if _signature(workflow) != before:
            return True
    return False


def raw_run(bpmn: Path) -> RawRun:
    """The library's own run of ``bpmn`` (see the module's docstring); the clock is left where
    the run started, ready for :func:`api_run`."""
    answers = answers_for(bpmn)
    run = RawRun(file=bpmn, applicable=False, started_at=clock.now(), start=dict(answers.get("_start", {})))
    try:
        root = read_xml(bpmn.read_bytes())
        parser = make_parser(detect_dialect(root, bpmn.name))
        parser.validator = None  # the library's default: a third party validates nothing
        for dmn in dmn_beside(bpmn):
            parser.add_dmn_file(str(dmn))
        parser.add_bpmn_file(str(bpmn))
        tops = [answers["_process"]] if "_process" in answers else top_processes(root)
        if len(tops) != 1:
            run.reason = f"not one top-level executable process: {tops}"
            return run
        run.process = tops[0]
        spec, subprocesses = parser.get_spec(run.process), parser.get_subprocess_specs(run.process)
    except Exception as err:  # noqa: BLE001 - whatever the library refuses is out of scope
        run.reason = f"raw SpiffWorkflow cannot parse it: {type(err).__name__}: {err}"
        return run
    for process_spec in [spec, *subprocesses.values()]:
        run.lanes |= {ts.lane for ts in process_spec.task_specs.values() if getattr(ts, "lane", None)}
    try:
        workflow = BpmnWorkflow(spec, subprocesses)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(run.start)
        workflow.do_engine_steps()
        timers_first = bool(answers.get("_timers_first"))
        while not workflow.is_completed() and len(run.actions) < MAX_ACTIONS:
            if timers_first and timers.next_due(workflow) is not None:
                if _move_clock(workflow, run):
                    continue
            if not _complete_first_ready(workflow, answers, run) and not _move_clock(workflow, run):
                break
    except Exception as err:  # noqa: BLE001
        run.reason = f"raw SpiffWorkflow fails: {type(err).__name__}: {err}"
        return run
    finally:
        clock.current().set(run.started_at)  # type: ignore[attr-defined]
    if not workflow.is_completed():
        waiting = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)})
        run.reason = f"raw SpiffWorkflow does not end (waiting: {', '.join(waiting) or 'nothing'})"
        return run
    data = dict(workflow.last_task.data) if workflow.last_task is not None else {}
    data.update(workflow.data)
    # A module a script imported stays in the library's task data (its default engine drops only
    # callables), where no serializer can store it: it is not data, and is not compared.
    data = {k: v for k, v in data.items() if not isinstance(v, types.ModuleType)}
    run.applicable, run.data = True, as_json(data)
    return run


def _grant_lanes(store: Any, username: str, lanes: set[str]) -> None:
    """Lanes are roles of the same name (the default policy): the driving user holds them all."""
    from engine.people.directory import grant_role
    from engine.store.models import User
    from sqlalchemy import select

    with store.transaction() as session:
        user = session.scalar(select(User).where(User.username == username))
        for lane in sorted(lanes):
            grant_role(session, user, lane)


def api_run(raw: RawRun, auth: Any, service: Any, store: Any, user: str = "hr") -> ApiRun:
    """Deploy, start and drive a case as the raw run went; the case's end status and data."""
    assert raw.started_at is not None
    clock.current().set(raw.started_at)  # type: ignore[attr-defined]
    files = [raw.file, *dmn_beside(raw.file)]
    response = auth.as_("admin").post(f"{API}/processes", content_type="multipart/form-data", data={
        "file": [(io.BytesIO(f.read_bytes()), f.name) for f in files], "process": raw.process})
    if response.status_code not in (200, 201):
        return ApiRun("refused", problem=f"deploy answered {response.status_code}: {response.get_json()}")
    key = response.get_json()["key"]
    _grant_lanes(store, user, raw.lanes)
    response = auth.as_(user).post(f"{API}/cases", json={"process": key, "data": raw.start})
    if response.status_code != 201:
        return ApiRun("refused", problem=f"start answered {response.status_code}: {response.get_json()}")
    case = response.get_json()
    for number, action in enumerate(raw.actions):
        if case["status"] != "running":
            break
        if action.delta is not None:
            clock.current().advance(action.delta)  # type: ignore[attr-defined]
            service.fire_due()
        else:
            task = next((t for t in case["tasks"] if t["element_id"] == action.element), None)
            if task is None:
                return ApiRun(case["status"], case["data"], problem=(
                    f"step {number}: no ready task '{action.element}' "
                    f"(ready: {[t['element_id'] for t in case['tasks']]}, incident: {case.get('incident')})"))
            response = auth.as_(user).post(f"{API}/tasks/{task['id']}/complete", json={"data": action.data})
            if response.status_code != 200:
                return ApiRun(case["status"], case["data"], problem=(
                    f"step {number}: completing '{action.element}' answered {response.status_code}: "
                    f"{response.get_json()}"))
        response = auth.as_(user).get(f"{API}/cases/{case['id']}")
        assert response.status_code == 200, response.get_json()
        case = response.get_json()
    problem = f"incident: {case['incident']}" if case.get("incident") else ""
    return ApiRun(case["status"], case["data"], problem=problem)


def differences(raw: RawRun, api: ApiRun) -> list[str]:
    """What differs between the raw run and the case (empty: the file conforms)."""
    found = []
    if api.status in ENDED_BADLY or api.status == "refused":
        found.append(f"case is {api.status}, raw SpiffWorkflow completed" + (f" ({api.problem})" if api.problem else ""))
    elif api.problem:
        found.append(api.problem)
    if api.status != "refused" and as_json(api.data) != raw.data:
        keys = sorted(set(raw.data) | set(api.data))
        changed = [k for k in keys if raw.data.get(k, "<absent>") != as_json(api.data).get(k, "<absent>")]
        found.append("final data differs in " + ", ".join(
            f"{k}: raw {raw.data.get(k, '<absent>')!r} / case {as_json(api.data).get(k, '<absent>')!r}"
            for k in changed[:8]))
    return found
