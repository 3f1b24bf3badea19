"""Saving and restoring workflows without their spec.

SpiffWorkflow puts the whole parsed spec into every serialized workflow. Here
the spec is stored once per process version (:func:`dump_spec`) and the case
state holds only tasks and data (:func:`dump_workflow`). Restored spec objects
are cached per version, so loading a case costs only its own tasks.

A stored state that cannot be restored (data nested deeper than the serializer's
recursion allows, a row written by hand) raises :class:`UnloadableState`, an
engine error with a readable message, never a bare ``RecursionError``: the
runner records it as an incident on the case, and the reads answer it.
"""
from __future__ import annotations

import copy
import json
import threading
from datetime import date, datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from engine.definitions import sandbox
from engine.errors import CaseFailed


class UnloadableState(CaseFailed):
    """A case's stored workflow state cannot be restored; ``element_id``: where it stopped, if known.

    The runner fills in ``case_id`` and ``version`` (the row it read) so that the incident is
    recorded on that case once the command's own transaction has rolled back."""

    code = "case_state_unloadable"

    def __init__(self, message: str, element_id: str = "") -> None:
        super().__init__(message, {"element_id": element_id, "message": message})
        self.element_id = element_id
        self.case_id: int | None = None
        self.version: int | None = None
        self.recorded = False

class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Leaves ``spec`` and ``subprocess_specs`` out; the caller puts the objects back."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


def _iso(value: Any) -> dict:
    return {"value": value.isoformat()}


_local = threading.local()


def serializer(dialect: str) -> BpmnWorkflowSerializer:
    """One serializer per thread and dialect: SpiffWorkflow's encoder mode is a shared flag."""
    cache = getattr(_local, "serializers", None)
    if cache is None:
        cache = _local.serializers = {}
    if dialect not in cache:
        cache[dialect] = _make_serializer(dialect)
    return cache[dialect]


def _make_serializer(dialect: str) -> BpmnWorkflowSerializer:
    config = dict(CAMUNDA_CONFIG if dialect == "camunda" else SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Script helpers make these; keep them JSON-safe and restore plain types.
    registry.register(sandbox._ClockDatetime, _iso, lambda v: datetime.fromisoformat(v["value"]), "datetime")
    registry.register(datetime, _iso, lambda v: datetime.fromisoformat(v["value"]), "datetime")
    registry.register(date, _iso, lambda v: date.fromisoformat(v["value"]), "date")
    registry.register(sandbox._ClockDate, _iso, lambda v: date.fromisoformat(v["value"]), "date")
    return BpmnWorkflowSerializer(registry)


def dump_spec(dialect: str, spec: Any, subprocess_specs: dict[str, Any]) -> str:
    reg = serializer(dialect).registry
    return json.dumps({
        "spec": reg.convert(spec),
        "subprocess_specs": {k: reg.convert(v) for k, v in subprocess_specs.items()},
    }, separators=(",", ":"))


def load_spec(dialect: str, text: str) -> tuple[Any, dict[str, Any]]:
    reg = serializer(dialect).registry
    dct = json.loads(text)
    return reg.restore(dct["spec"]), {k: reg.restore(v) for k, v in dct["subprocess_specs"].items()}


def dump_workflow(dialect: str, workflow: BpmnWorkflow) -> str:
    ser = serializer(dialect)
    ser.registry._encoder_mode = True
    try:
        dct = ser.to_dict(workflow)
        dct[ser.VERSION_KEY] = ser.VERSION
        return _encoder(ser).encode(dct)
    finally:
        ser.registry._encoder_mode = False


def _encoder(ser: BpmnWorkflowSerializer) -> json.JSONEncoder:
    """The serializer's JSON encoder, made once (``json.dumps(dct, cls=..., separators=...)`` made one
    at every step): the same class and options, so the same text."""
    encoder = getattr(ser, "_compact_encoder", None)
    if encoder is None:
        encoder = ser._compact_encoder = ser._encoder_cls(separators=(",", ":"))
    return encoder


def load_workflow(dialect: str, text: str, spec: Any, subprocess_specs: dict[str, Any],
                  script_engine: Any) -> BpmnWorkflow:
    """Restore a workflow onto already-restored spec objects, with ``script_engine`` attached
    (:class:`UnloadableState` when the stored text cannot be restored)."""
    ser = serializer(dialect)
    try:
        dct = json.loads(text)
        ser.migrate(dct)
        dct["spec"] = own_spec(spec)
        dct["subprocess_specs"] = dict(subprocess_specs)
        workflow = ser.from_dict(dct)
        _reconnect_triggered(workflow)
    except Exception as err:  # noqa: BLE001 - RecursionError, a key missing, bad JSON: all the same to a caller
        reason = f"{type(err).__name__}: {err}"[:500]
        raise UnloadableState(f"the stored state of the case cannot be loaded ({reason})",
                              stopped_at(text)) from err
    workflow.script_engine = script_engine
    return workflow


def stopped_at(text: str) -> str:
    """The element of the last task in a stored state, read without restoring it ("" if unknown)."""
    try:
        dct = json.loads(text)
        spec = dct["tasks"][dct["last_task"]]["task_spec"]
    except Exception:  # noqa: BLE001 - only a hint for the incident
        return ""
    return spec if isinstance(spec, str) else ""


def find_task(workflow: BpmnWorkflow, task_id: UUID | str) -> Task | None:
    """The workflow's task of ``task_id`` (in a sub-process too), or None when it has none.

    SpiffWorkflow 3.2's ``get_task_from_id`` raises ``TaskNotFoundException`` instead of
    returning None, and a task can leave the tree while ready: when a join fires again it
    drops what grew under its earlier firing (a parallel flow through the same task, as Signavio
    draws it). Every lookup of a task the engine projected goes through here, so such a task
    is "gone", never an error."""
    try:
        return workflow.get_task_from_id(task_id if isinstance(task_id, UUID) else UUID(str(task_id)))
    except (TaskNotFoundException, ValueError):
        return None


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    return BpmnWorkflow(own_spec(spec), subprocess_specs, script_engine=script_engine)


def own_spec(spec: Any) -> Any:
    """The process spec a workflow may change: its own copy when it has event sub-processes that
    an event starts, else the shared one.

    SpiffWorkflow changes a process spec while such an event sub-process starts
    (``BpmnStartTask.trigger_wf`` connects the sub-process to the start and end tasks). On the
    spec a version shares between cases, that change leaked into every later case of the version
    (which then ran the sub-process from its start); and a case whose next step met a spec
    restored without it (another worker, a restart) failed. Only the top-level spec's start
    triggers sub-processes, so only it is copied, and only for processes that have them: the
    others keep the shared, already restored spec."""
    return copy.deepcopy(spec) if getattr(spec.start, "trigger_specs", None) else spec


def _reconnect_triggered(workflow: BpmnWorkflow) -> None:
    """Make the workflow's own spec say again what ``trigger_wf`` said when each event
    sub-process of the stored tree started (the stored state holds tasks, not the spec)."""
    start = workflow.spec.start
    if not getattr(start, "trigger_specs", None):
        return
    for child in workflow.task_tree.children:
        spec = child.task_spec
        if spec.name in start.trigger_specs and start not in spec.inputs:
            start.connect(spec)
            spec.connect(workflow.spec.end)
