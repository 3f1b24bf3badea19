"""Process versions, cases, the task projection and its per-unit counter, the audit events, planned children.

``Case.version`` is the mapper's version column, so every UPDATE of a case matches its old version: a
lost race changes nothing and surfaces as ``StaleDataError`` (answered 409).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import ID, Base



class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version"), Index("ix_definition_key_sha", "key", "sha256"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(255))
    dialect: Mapped[str] = mapped_column(String(16))
    sources: Mapped[list[Any]] = mapped_column(JSON)
    spec: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(64), default="")


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (Index("ix_case_process_status", "process_key", "status"),
                      Index("ix_case_status_id", "status", "id"),  # a status's cases newest first, paged by id
                      # a case's unit without reading its row (its state): the dashboard's backlog per unit
                      Index("ix_case_id_unit", "id", "unit_id"),
                      Index("ix_case_parent_status", "parent_case_id", "status"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[Optional[str]] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    unit_path: Mapped[Optional[str]] = mapped_column(String(512))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_at: Mapped[Optional[datetime]] = mapped_column(index=True)
    incident: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_event_hash: Mapped[str] = mapped_column(String(64), default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]
    ended_at: Mapped[Optional[datetime]]
    #: The case that started this one (e.g. a review and its per-talent assessments).
    parent_case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    #: Timer executor's claim on the due work of this case; an expired claim is taken over.
    timer_claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    timer_claimed_until: Mapped[Optional[datetime]]

    __mapper_args__ = {"version_id_col": version}


class Task(Base):
    """The human-task projection the worklists read; never the workflow itself."""

    __tablename__ = "task"
    __table_args__ = (
        # the worklist of a role, in its order (engine.cases.tasklist): equality on the first four; the
        # unit path last, so a unit-scoped role's list is filtered in the index, without reading rows
        Index("ix_task_queue", "status", "role", "claimed_by_id", "candidate_user_id", "due_at", "created_at", "id",
              "unit_path"),
        Index("ix_task_claimed_order", "claimed_by_id", "status", "due_at", "created_at", "id"),
        Index("ix_task_candidate_order", "candidate_user_id", "status", "claimed_by_id", "due_at", "created_at", "id"),
        Index("ix_task_case", "case_id", "status"),
        Index("ix_task_due_order", "status", "due_at", "created_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    process_key: Mapped[str] = mapped_column(String(100))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    subject: Mapped[Optional[str]] = mapped_column(String(255))
    form_key: Mapped[Optional[str]] = mapped_column(String(100))
    lane: Mapped[Optional[str]] = mapped_column(String(255))
    role: Mapped[Optional[str]] = mapped_column(String(64))
    unit_path: Mapped[Optional[str]] = mapped_column(String(512))
    candidate_user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[str] = mapped_column(String(16))
    claimed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    due_at: Mapped[Optional[datetime]]
    completed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[Optional[datetime]]


class UnitBacklog(Base):
    """Ready tasks per unit of their case, kept in the transaction that changes them
    (engine/store/backlog.py): the dashboard sums a few rows instead of counting all open work.
    ``slot`` (case id % 16) spreads one unit over several rows, so concurrent steps of a unit do not
    queue on one row lock; ``unit_id`` 0 holds the cases without a unit (no foreign key, hence)."""

    __tablename__ = "unit_backlog"
    unit_id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=False)
    slot: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    open_count: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """Append-only audit log; one hash chain per case (``case_id`` NULL: the global chain)."""

    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    process_hash: Mapped[str] = mapped_column(String(64), default="")
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    from_status: Mapped[Optional[str]] = mapped_column(String(64))
    to_status: Mapped[Optional[str]] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    #: The absent user a substitute acted for (hashed when set; migration 0011).
    on_behalf_of: Mapped[Optional[str]] = mapped_column(String(64))


class ChildStart(Base):
    """One child case a step planned to start (engine/cases/child_batches.py): a parent with thousands
    of children records them in its own step and starts them afterwards in short batches, so no one
    transaction holds SQLite's write lock for seconds. ``case_id`` is set in the transaction that
    creates the child: a row with it set was started, exactly once; one without it is still to start
    (by the command that planned it, or the executor's sweep after a crash)."""

    __tablename__ = "child_start"
    __table_args__ = (UniqueConstraint("parent_case_id", "seq"),
                      Index("ix_child_start_pending", "case_id", "parent_case_id"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    parent_case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    seq: Mapped[int] = mapped_column(Integer)
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[Optional[str]] = mapped_column(String(255))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Who the step that planned it was done by: the child is started as them (as it was inline).
    started_by: Mapped[str] = mapped_column(String(64))
    started_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    planned_at: Mapped[datetime]
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"), unique=True)
    started_at: Mapped[Optional[datetime]]
    #: Why the child could not start (the parent's incident names it; its retry clears it).
    failed_at: Mapped[Optional[datetime]]
    error: Mapped[Optional[str]] = mapped_column(String(1000))
    #: An admin dropped a child that could not start (its reason stays in ``error``): never started,
    #: retried or waited for again (migration 0015).
    skipped_at: Mapped[Optional[datetime]]
    skipped_by: Mapped[Optional[str]] = mapped_column(String(64))
