"""Persistence models: definitions, cases, the task projection, events, people.

Typed SQLAlchemy 2.0 models. ``Case.version`` is the mapper's version column,
so every UPDATE of a case matches its old version: a lost race changes nothing
and surfaces as ``StaleDataError`` (answered 409).
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID = BigInteger().with_variant(Integer, "sqlite")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use engine.time.clock")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Unit(Base):
    """A node of the unit tree; ``path`` (``/1/4/``) makes "this unit and below" a prefix match."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    path: Mapped[str] = mapped_column(String(512), index=True, default="")


class User(Base):
    """A person who signs in. ``auth_version`` goes up in the same transaction as any change to who
    they are allowed to be (a global or unit role, deactivation, a password, revoked tokens), so a
    server that remembers a token's user checks one integer per request instead of trusting a timer."""

    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    auth_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Where e-mail goes (none: nothing is sent), in which language, and how much of it
    #: (``immediate``, ``digest`` only, ``off``; escalations go whatever this says): engine/mail.
    email: Mapped[Optional[str]] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="vi", server_default="vi")
    notify: Mapped[str] = mapped_column(String(16), default="immediate", server_default="immediate")


class RoleGrant(Base):
    """A role held globally, for a unit subtree, or for one case only."""

    __tablename__ = "role_grant"
    __table_args__ = (Index("ix_role_grant_case", "case_id", "role"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    granted_at: Mapped[datetime]
    granted_by: Mapped[str] = mapped_column(String(64), default="")


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


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


class SchedulerRun(Base):
    """One row per timer executor (host:pid): when it last swept, for /healthz and operators."""

    __tablename__ = "scheduler_run"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime]
    last_run_at: Mapped[Optional[datetime]]
    fired_total: Mapped[int] = mapped_column(Integer, default=0)


class ScheduledStart(Base):
    """A timer start event's cycle (e.g. the review of 2026): the unique key makes it start once."""

    __tablename__ = "scheduled_start"
    __table_args__ = (UniqueConstraint("process_key", "cycle"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100))
    cycle: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    started_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(255), default="")


class Notification(Base):
    """A reminder or escalation for one user or for the holders of a role (in a unit subtree)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user", "user_id", "created_at"),
                      Index("ix_notification_role", "role", "created_at"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    role: Mapped[Optional[str]] = mapped_column(String(64))
    unit_path: Mapped[Optional[str]] = mapped_column(String(512))
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"), index=True)
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    read_at: Mapped[Optional[datetime]]


class AuditCheckpoint(Base):
    """The head hash of every chain at one moment, signed with the server key (exportable)."""

    __tablename__ = "audit_checkpoint"
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(64), default="")
    heads: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    key_id: Mapped[str] = mapped_column(String(64), default="")


class LoginThrottle(Base):
    """Failed sign-ins per username: too many in a row lock the name for a while (brute force).

    Keyed by the name typed, known or not, so the answer never tells whether a user exists."""

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[Optional[datetime]]
    locked_until: Mapped[Optional[datetime]]


class CaseFile(Base):
    """A file on a case: its content is kept once by SHA-256 (engine/files), this row says which
    case holds it under what name, for which task (``task_id``/``element_id``: uploaded as part
    of that task's data, shown as the process shows that data), and whether it was removed.

    Each row has its ``file_attached`` event (``attached_seq``) and, once removed, its
    ``file_removed`` one (``removed_seq``); removing keeps the content, which the chain names."""

    __tablename__ = "case_file"
    __table_args__ = (Index("ix_case_file_case", "case_id", "removed_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    element_id: Mapped[Optional[str]] = mapped_column(String(255))
    attached_by: Mapped[str] = mapped_column(String(64))
    attached_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id"))
    attached_at: Mapped[datetime]
    attached_seq: Mapped[int] = mapped_column(Integer)
    removed_by: Mapped[Optional[str]] = mapped_column(String(64))
    removed_at: Mapped[Optional[datetime]]
    removed_reason: Mapped[Optional[str]] = mapped_column(Text)
    removed_seq: Mapped[Optional[int]] = mapped_column(Integer)


class DocumentNumber(Base):
    """One register of document numbers for one year (Decree 30: numbers restart each year):
    ``last_number`` is the last number issued. Taken by an UPDATE … RETURNING in the transaction
    that writes the document's event (engine/documents/register.py), so on PostgreSQL the row lock
    queues two issues at once and a rolled-back generation gives its number back."""

    __tablename__ = "document_number"
    register: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class CaseDocument(Base):
    """A document generated from a case: its number in a register, and its DOCX and PDF, kept as
    the case's files. Unique per (register, year, number): a number is never issued twice."""

    __tablename__ = "case_document"
    __table_args__ = (UniqueConstraint("register", "year", "number", name="uq_case_document_number"),
                      Index("ix_case_document_case", "case_id", "kind"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id"))
    kind: Mapped[str] = mapped_column(String(64))
    register: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(96))
    issued_on: Mapped[str] = mapped_column(String(10))
    docx_file_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    pdf_file_id: Mapped[int] = mapped_column(ForeignKey("case_file.id"))
    generated_by: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime]
    event_seq: Mapped[int] = mapped_column(Integer)


class OutboxMessage(Base):
    """An e-mail to send, written in the transaction of the event that causes it (engine/mail).

    A sender claims it (``claimed_by``/``claimed_until``, expiring like a timer claim), sends it with a
    Message-ID derived from ``id`` and marks it ``sent``; a failed try waits ``next_attempt_at`` (backing
    off) and after the limit the row is ``failed`` for an admin. ``dedupe_key`` (unique) keeps a
    message that many executors may queue (a day's digest) to one row."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    task_id: Mapped[Optional[str]] = mapped_column(String(36))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[Optional[str]] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[Optional[str]] = mapped_column(String(128))
    claimed_until: Mapped[Optional[datetime]]
    last_error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[Optional[datetime]]


class Substitute(Base):
    """A substitute for an absent user over whole city days, ``starts_on`` to ``ends_on`` inclusive
    (ủy quyền). Never deleted: an end before its time sets ``ended_at``/``ended_by``, so the record of
    who could act for whom, and when, stays (each change is also an event on the global chain)."""

    __tablename__ = "substitute"
    __table_args__ = (Index("ix_substitute_acting", "substitute_user_id", "ends_on"),
                      Index("ix_substitute_absent", "absent_user_id", "ends_on"))
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    absent_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    substitute_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime]
    ended_by: Mapped[Optional[str]] = mapped_column(String(64))
    ended_at: Mapped[Optional[datetime]]


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
