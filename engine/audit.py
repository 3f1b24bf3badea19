"""The append-only event log with one hash chain per case.

Each event's hash covers its canonical JSON and the previous event's hash in
the same chain, so any change, removal, insertion or reordering shows. The
chain head (``event_seq``, ``last_event_hash``) is kept on the case row, so a
command appends its events with one INSERT and no extra read.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine import clock
from engine.models import Event

GENESIS = "0" * 64
EVENT = Event.__table__
_INSERT = insert(EVENT)
#: The fields the hash covers, in the canonical body.
HASHED = ("case_id", "seq", "type", "actor", "at", "process_hash", "task_id", "data", "from_status", "to_status")


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default,
                      allow_nan=False)


def jsonable(data: Any) -> Any:
    """Data as it will read back from a JSON column (dates as ISO strings)."""
    return json.loads(canonical(data))


def event_hash(prev_hash: str, event: Any) -> str:
    """Hash of an event (a mapping or an ``Event`` row) chained to ``prev_hash``."""
    get = event.get if isinstance(event, dict) else lambda k: getattr(event, k)
    body = {k: get(k) for k in HASHED}
    at = body["at"]
    body["at"] = at.isoformat() if isinstance(at, datetime) else at
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


class Chain:
    """The events one command appends to one chain, written together by :meth:`write`."""

    def __init__(self, case_id: int | None, seq: int, head: str, process_hash: str = "") -> None:
        self.case_id, self.seq, self.head, self.process_hash = case_id, seq, head or GENESIS, process_hash
        self.pending: list[dict[str, Any]] = []

    def add(self, type_: str, actor: str, *, task_id: str | None = None, data: dict[str, Any] | None = None,
            from_status: str | None = None, to_status: str | None = None) -> dict[str, Any]:
        self.seq += 1
        event = {"case_id": self.case_id, "seq": self.seq, "type": type_, "actor": actor, "at": clock.now(),
                 "process_hash": self.process_hash, "task_id": task_id, "data": jsonable(data or {}),
                 "from_status": from_status, "to_status": to_status, "prev_hash": self.head}
        event["hash"] = self.head = event_hash(self.head, event)
        self.pending.append(event)
        return event

    def write(self, connection: Connection) -> None:
        if self.pending:
            connection.execute(_INSERT, self.pending)
            self.pending = []


#: PostgreSQL advisory lock key guarding the global chain (SQLite: BEGIN IMMEDIATE already serializes).
GLOBAL_CHAIN_LOCK = 0x7A1E_F10C


def lock_global_chain(connection: Connection) -> None:
    """Serialize writers of the global chain (and what they number, e.g. process versions)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": GLOBAL_CHAIN_LOCK})


def global_chain(connection: Connection, process_hash: str = "") -> Chain:
    """The chain of events that belong to no case (deployments, registry entries by hand)."""
    lock_global_chain(connection)
    last = connection.execute(select(EVENT.c.seq, EVENT.c.hash).where(EVENT.c.case_id.is_(None))
                              .order_by(EVENT.c.seq.desc()).limit(1)).first()
    return Chain(None, last[0] if last else 0, last[1] if last else GENESIS, process_hash)


def history(session: Session, case_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)))
