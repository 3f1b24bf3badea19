"""The per-process cache of workflows as last committed."""
from __future__ import annotations

import threading
from collections import OrderedDict

from SpiffWorkflow.bpmn import BpmnWorkflow


class WorkflowCache:
    """Workflows as last committed by this process, keyed by case id and row version.

    Restoring a workflow from JSON is most of what a step costs. A command that
    commits leaves its workflow here; the next command on the case takes it back
    only if the row still has that version (otherwise another process moved the
    case on, and the stored state is loaded). Taking removes the entry, so one
    object is never used by two commands, and a command that fails never puts
    its half-advanced workflow back. The database stays the only truth.
    """

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[int, tuple[int, BpmnWorkflow]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, case_id: int, version: int) -> BpmnWorkflow | None:
        with self._lock:
            entry = self._items.pop(case_id, None)
        return entry[1] if entry is not None and entry[0] == version else None

    def put(self, case_id: int, version: int, workflow: BpmnWorkflow) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[case_id] = (version, workflow)
            self._items.move_to_end(case_id)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def rekey(self, case_id: int, old_version: int, new_version: int) -> None:
        """The case row moved on without its workflow changing (a claim, a release)."""
        workflow = self.take(case_id, old_version)
        if workflow is not None:
            self.put(case_id, new_version, workflow)
