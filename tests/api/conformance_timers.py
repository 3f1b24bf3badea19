"""Raw SpiffWorkflow's run of a conformance file whose waits are timers, on the service's clock.

The library reads the time through the module the project patches (``spiff_patches``), so with the
tests' manual clock a raw run sees the very times the service sees: both are moved by the same
steps and compared, with no sleeping.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Mapping, Sequence

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.time import clock
from tests.api.conformance import CONFORMANCE


class RawTimedRun:
    """One workflow of ``process`` run by the library itself; :meth:`advance` moves the shared
    clock and wakes it as the service's firing does (``refresh_timers`` then engine steps)."""

    def __init__(self, name: str, process: str, start: Mapping[str, Any] | None = None) -> None:
        reader = SpiffBpmnParser()
        reader.add_bpmn_file(str(CONFORMANCE / name))
        self.workflow = BpmnWorkflow(reader.get_spec(process), reader.get_subprocess_specs(process))
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(start or {})
        self.workflow.do_engine_steps()

    def wake(self) -> None:
        self.workflow.refresh_timers()
        self.workflow.do_engine_steps()

    def ready(self) -> list[str]:
        return [t.task_spec.bpmn_id for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

    def complete(self, element_id: str, data: Mapping[str, Any] | None = None) -> None:
        task = next(t for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_id == element_id)
        task.data.update(data or {})
        task.run()
        self.workflow.do_engine_steps()

    def result(self) -> tuple[bool, dict[str, Any]]:
        data = dict(self.workflow.last_task.data) if self.workflow.last_task is not None else {}
        data.update(self.workflow.data)
        return self.workflow.is_completed(), data


def advance_both(manual_clock: clock.ManualClock, service: Any, raw: RawTimedRun,
                 delta: timedelta) -> dict[int, list[str]]:
    """Move the shared clock, fire the service's due timers and wake the raw run; what fired."""
    manual_clock.advance(delta)
    fired = service.fire_due()
    raw.wake()
    return fired


def fired_elements(history: Sequence[Mapping[str, Any]]) -> list[str]:
    return [e["data"]["element_id"] for e in history if e["type"] == "timer_fired"]
