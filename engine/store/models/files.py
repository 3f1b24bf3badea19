"""What a case keeps besides its state: its files, and the numbered documents generated from it."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models.base import ID, Base



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
