"""Saving and restoring workflows without their spec.

SpiffWorkflow puts the whole parsed spec into every serialized workflow. Here
the spec is stored once per process version (:func:`dump_spec`) and the case
state holds only tasks and data (:func:`dump_workflow`). Restored spec objects
are cached per version, so loading a case costs only its own tasks.
"""
from __future__ import annotations

import json
import threading
from datetime import date, datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.definitions import sandbox

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
        return json.dumps(dct, cls=ser._encoder_cls, separators=(",", ":"))
    finally:
        ser.registry._encoder_mode = False


def load_workflow(dialect: str, text: str, spec: Any, subprocess_specs: dict[str, Any],
                  script_engine: Any) -> BpmnWorkflow:
    """Restore a workflow onto already-restored spec objects, with ``script_engine`` attached."""
    ser = serializer(dialect)
    dct = json.loads(text)
    ser.migrate(dct)
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    workflow = ser.from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


def new_workflow(spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> BpmnWorkflow:
    return BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
