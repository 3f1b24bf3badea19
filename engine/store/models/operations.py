"""What runs around the cases: the timer executor's runs and scheduled starts, notifications, signed
audit checkpoints and the e-mail outbox."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import ID, Base



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
