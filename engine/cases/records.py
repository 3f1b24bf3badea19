"""What a command holds while it works on a case: the case row, a task row, the loaded case.

Plain dataclasses with the column names of :mod:`engine.store.models`, read and written
with Core statements by the runner (no ORM identity map on the hot path).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy.engine import Connection, Row

from engine.audit import events as audit
from engine.cases.statements import SELDOM_CHANGED
from engine.definitions.versions import LoadedDefinition
from engine.policy import ProcessPolicy


@dataclass
class CaseRecord:
    """The case row while a command works on it (same names as :class:`engine.store.models.Case`)."""

    id: int
    definition_id: int
    process_key: str
    business_key: str | None
    status: str
    state: str
    data: dict[str, Any]
    unit_id: int | None
    unit_path: str | None
    version: int
    next_timer_at: Any
    incident: dict[str, Any] | None
    event_seq: int
    last_event_hash: str
    created_by_id: int | None
    created_by: str
    created_at: Any
    updated_by: str
    updated_at: Any
    ended_at: Any
    #: The case that started this one, if any (it is told when its children have all finished).
    parent_case_id: int | None = None
    #: What the row held in the columns steps seldom change (``statements.SELDOM_CHANGED``) when it
    #: was read or last written in this transaction: a step writes those only if they differ. None
    #: (a record not read from its row): every column is written.
    as_read: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_row(cls, row: Row) -> "CaseRecord":
        values = dict(zip(row._fields, row))  # one pass in C; a getattr per column cost more
        record = cls(**{name: values[name] for name in _CASE_NAMES})
        record.as_read = {name: values[name] for name in SELDOM_CHANGED}
        return record


@dataclass
class TaskRow:
    """A task row as read with its case (same names as :class:`engine.store.models.Task`)."""

    id: str
    case_id: int
    process_key: str
    element_id: str
    name: str
    subject: str | None
    form_key: str | None
    lane: str | None
    role: str | None
    unit_path: str | None
    candidate_user_id: int | None
    status: str
    claimed_by_id: int | None
    created_at: Any
    due_at: Any
    completed_by_id: int | None
    completed_at: Any


    @classmethod
    def from_prefixed(cls, row: Row) -> "TaskRow":
        """The task of a row that has it as ``t_<column>`` beside its case's columns."""
        values = dict(zip(row._fields, row))
        return cls(**{name: values["t_" + name] for name in _TASK_NAMES})


_CASE_NAMES = tuple(f.name for f in fields(CaseRecord) if f.name != "as_read")

_TASK_NAMES = tuple(f.name for f in fields(TaskRow))


@dataclass
class Loaded:
    """One case in the middle of a command."""

    case: CaseRecord
    definition: LoadedDefinition
    policy: ProcessPolicy
    workflow: BpmnWorkflow
    chain: audit.Chain
    old_version: int
    #: (state JSON, case data) made right after the engine ran, inside the failure handling:
    #: a value a script left that cannot be stored fails the step like any script error.
    saved: tuple[str, dict[str, Any]] | None = None
    ready: list = field(default_factory=list)
    #: Ids of the human tasks ready when the workflow was loaded: the projection's ready rows
    #: (they change together, in one transaction), and the task this command completes.
    ready_before: frozenset[str] = frozenset()
    completing: str | None = None


#: Called inside a command's transaction, after the step, to build the answer.
View = Callable[[Connection, CaseRecord], Any]
