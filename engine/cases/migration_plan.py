"""What moving one workflow to another version of its process does, in memory only.

SpiffWorkflow's ``bpmn.util.diff`` aligns the task specs of two versions (by element id first,
then by the shape of the flow around an element that was renamed) and moves a workflow onto the
new spec (``migrate_workflow``), resetting its ready and waiting tasks so that what follows them
is predicted again from the new diagram. This module puts the two together for the top-level
process and every sub-process the case has started, and says per case what a migration would do:
which active tasks map to which element of the new version, which have none (the case must then
stay where it is), and which specs changed.

The runner's migration (:mod:`engine.cases.migration`) and replay (:mod:`engine.replay.model`)
both call :func:`apply` on a workflow restored on the old version, so the replayed case takes
exactly the step the live one took.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.definitions import state
from engine.definitions.versions import LoadedDefinition

#: The tasks a migration must place in the new version: those that wait or run now.
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class TaskMove:
    """One active task of the case: its element in the old version and its counterpart (or None)."""

    task_id: str
    element_id: str
    state: str
    to_element_id: str | None
    human: bool

    def as_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "element_id": self.element_id, "state": self.state,
                "to_element_id": self.to_element_id, "human": self.human}


@dataclass
class MigrationPlan:
    """What migrating one workflow to ``target`` would do (see :func:`plan`)."""

    mapped: list[TaskMove] = field(default_factory=list)
    removed: list[TaskMove] = field(default_factory=list)
    #: Element ids of the old version whose spec differs in the new one, with what changed.
    changed: dict[str, list[str]] = field(default_factory=dict)
    #: Element ids the new version has and the old one lacks.
    added: list[str] = field(default_factory=list)
    #: Sub-processes the case has started whose spec the new version lacks.
    missing_subprocesses: list[str] = field(default_factory=list)
    #: Elements the case has passed through that the new version lacks: their finished tasks leave
    #: the stored tree (the history keeps them), or the state could not be restored on the new spec.
    passed_without_counterpart: list[str] = field(default_factory=list)
    #: Element ids of waiting timers whose expression or kind changed: they start again from the move.
    timers_restarted: list[str] = field(default_factory=list)
    #: Ids of the waiting tasks whose internal data (a timer's due time) the move keeps.
    keep_internal: set[Any] = field(default_factory=set, repr=False)
    diffs: list[tuple[Any, WorkflowDiff, Any]] = field(default_factory=list, repr=False)

    @property
    def possible(self) -> bool:
        return not self.removed and not self.missing_subprocesses

    def refusal(self) -> str | None:
        """Why the case cannot be moved, in words (None when it can)."""
        reasons = []
        if self.removed:
            reasons.append("waiting in " + ", ".join(sorted({m.element_id for m in self.removed})) +
                           ", which the new version does not have")
        if self.missing_subprocesses:
            reasons.append("started sub-process " + ", ".join(sorted(set(self.missing_subprocesses))) +
                           ", which the new version does not have")
        return "; ".join(reasons) or None

    def mapping(self) -> list[dict[str, str]]:
        """The element pairs the ``case_migrated`` event records (each once, in order)."""
        pairs = sorted({(m.element_id, m.to_element_id or "") for m in self.mapped})
        return [{"from": old, "to": new} for old, new in pairs]

    def as_dict(self) -> dict[str, Any]:
        return {"possible": self.possible, "reason": self.refusal(),
                "mapped": [m.as_dict() for m in self.mapped], "removed": [m.as_dict() for m in self.removed],
                "changed": self.changed, "added": self.added, "missing_subprocesses": self.missing_subprocesses,
                "passed_without_counterpart": self.passed_without_counterpart,
                "timers_restarted": self.timers_restarted}


def _element(spec: Any) -> str:
    return getattr(spec, "bpmn_id", None) or spec.name


def _is_element(spec: Any) -> bool:
    """Whether a spec is something drawn (a BPMN element), not one of the library's helpers."""
    return bool(getattr(spec, "bpmn_id", None))


def plan(workflow: Any, old: LoadedDefinition, new: LoadedDefinition) -> MigrationPlan:
    """Compare ``workflow`` (restored on ``old``) with ``new``; nothing is changed."""
    registry = state.serializer(old.dialect).registry
    result = MigrationPlan()
    target = state.own_spec(new.spec)  # (a copy when its event sub-processes change it; see own_spec)
    top = SpecDiff(registry, workflow.spec, target)
    _describe(result, workflow, top, target)
    result.added = sorted(_element(s) for s in top.added if _is_element(s))
    for sub_id, sub in workflow.subprocesses.items():
        target = new.subprocess_specs.get(sub.spec.name)
        if target is None:  # (even a finished one: its stored tasks would name specs nobody has)
            result.missing_subprocesses.append(sub.spec.name)
            result.diffs.append((sub, None, None))
            continue
        _describe(result, sub, SpecDiff(registry, sub.spec, target), target)
    return result


def _describe(result: MigrationPlan, workflow: Any, spec_diff: SpecDiff, target: Any) -> None:
    diff = WorkflowDiff(workflow, spec_diff)
    result.diffs.append((workflow, diff, target))
    for spec, changes in spec_diff.changed.items():
        if _is_element(spec):
            result.changed.setdefault(_element(spec), sorted(set(changes)))
    removed = set(diff.removed)
    passed = {_element(t.task_spec) for t in removed if t.state & TaskState.FINISHED_MASK and _is_element(t.task_spec)}
    result.passed_without_counterpart = sorted(set(result.passed_without_counterpart) | passed)
    for task in workflow.get_tasks(state=ACTIVE, skip_subprocesses=True):
        human = bool(task.task_spec.manual)
        if not (_is_element(task.task_spec) or task in removed):
            continue
        counterpart = diff.alignment.get(task)
        move = TaskMove(str(task.id), _element(task.task_spec), TaskState.get_name(task.state),
                        _element(counterpart) if counterpart is not None else None, human)
        (result.removed if task in removed or counterpart is None else result.mapped).append(move)
    for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
        if not task.internal_data:
            continue
        if task not in diff.changed or same_timer(task.task_spec, diff.alignment.get(task)):
            result.keep_internal.add(task.id)
        elif _is_element(task.task_spec):
            result.timers_restarted = sorted({*result.timers_restarted, _element(task.task_spec)})


def same_timer(old: Any, new: Any) -> bool:
    """Whether a changed waiting event still waits for the same thing: the same kind of event
    definition with the same expression. SpiffWorkflow's diff reports a relabelled timer as changed
    (its event definition carries the element's name); only its expression and kind decide when it
    fires, so a new label keeps the due time."""
    before, after = getattr(old, "event_definition", None), getattr(new, "event_definition", None)
    if before is None or after is None or type(before) is not type(after):
        return False
    return getattr(before, "expression", None) == getattr(after, "expression", None) and \
        getattr(before, "expression", None) is not None


def apply(migration: MigrationPlan, workflow: Any, new: LoadedDefinition) -> None:
    """Move ``workflow`` onto ``new`` as ``migration`` (made by :func:`plan` on it) says.

    Waiting timers keep the due time they had: ``migrate_workflow`` resets waiting tasks (their
    internal data with it), which would start every timer again from the time of the migration.
    A timer whose element is unchanged, or changed in nothing but its label, keeps it; one whose
    expression or kind changed is computed again (the plan lists it in ``timers_restarted``).

    ``migrate_workflow`` also forgets ``last_task`` (it looks the task up among the tree's ids,
    not the tasks): the workflow's data is read from the last task, so it is put back when that
    task is still in the tree, else the case's data would look empty until its next step.
    """
    if not migration.possible:
        raise ValueError(migration.refusal())
    kept: dict[Any, dict[str, Any]] = {}
    for sub, diff, _ in migration.diffs:
        if diff is None:
            continue
        for task in sub.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
            if task.id in migration.keep_internal:
                kept[task.id] = dict(task.internal_data)
    for sub, diff, target in migration.diffs:
        if diff is not None:
            last = sub.last_task
            migrate_workflow(diff, sub, target)
            if last is not None and sub.last_task is None and last.id in sub.tasks:
                sub.last_task = last
            _drop_finished_without_counterpart(sub, target)
    workflow.subprocess_specs = dict(new.subprocess_specs)
    for task_id, internal in kept.items():
        task = state.find_task(workflow, task_id)
        if task is not None and task.state == TaskState.WAITING:
            task.internal_data.update(internal)


def _drop_finished_without_counterpart(workflow: Any, target: Any) -> None:
    """Take the finished tasks whose element the new version lacks out of the tree.

    The stored state names each task's spec, and a state naming a spec the version does not have
    cannot be restored (the case would be stuck). Those tasks are past: what they did is in the
    data of the tasks after them and in the case's history (events are never rewritten), so each
    is cut out and its children hung on its parent. Anything else without a counterpart that the
    reset left (a prediction) makes the move fail, and the case is refused untouched.
    """
    known = set(target.task_specs)
    for task in [t for t in workflow.tasks.values() if t.task_spec.name not in known]:
        parent = task.parent
        if not task.state & TaskState.FINISHED_MASK or parent is None:
            raise ValueError(f"task {task.task_spec.name} ({TaskState.get_name(task.state)}) has no counterpart")
        at = parent._children.index(task.id)
        parent._children[at:at + 1] = list(task._children)
        for child in task.children:
            child._parent = parent.id
        del workflow.tasks[task.id]
        if workflow.last_task is task:
            workflow.last_task = parent