"""The append-only event log with one hash chain per case.

Each event's hash covers its canonical JSON and the previous event's hash in
the same chain, so any change, removal, insertion or reordering shows. The
chain head is kept on the case row so appending costs no extra query.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import clock
from engine.models import Case, Event

GENESIS = "0" * 64


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


def event_body(event: Event) -> dict[str, Any]:
    """The fields the hash covers."""
    return {
        "case_id": event.case_id, "seq": event.seq, "type": event.type, "actor": event.actor,
        "at": event.at.isoformat(), "process_hash": event.process_hash, "task_id": event.task_id,
        "data": event.data, "from_status": event.from_status, "to_status": event.to_status,
    }


def compute_hash(prev_hash: str, event: Event) -> str:
    return hashlib.sha256((prev_hash + canonical(event_body(event))).encode()).hexdigest()


def jsonable(data: Any) -> Any:
    """Data as it will read back from the JSON column (datetimes as ISO strings)."""
    return json.loads(canonical(data))


def record(session: Session, case: Case | None, type_: str, actor: str, *, process_hash: str = "",
           task_id: str | None = None, data: dict[str, Any] | None = None,
           from_status: str | None = None, to_status: str | None = None) -> Event:
    """Append one event to the case's chain (or the global chain when ``case`` is None)."""
    if case is not None:
        seq, prev = case.event_seq + 1, case.last_event_hash or GENESIS
    else:
        last = session.execute(select(Event.seq, Event.hash).where(Event.case_id.is_(None))
                               .order_by(Event.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event = Event(case_id=case.id if case is not None else None, seq=seq, type=type_, actor=actor,
                  at=clock.now(), process_hash=process_hash, task_id=task_id, data=jsonable(data or {}),
                  from_status=from_status, to_status=to_status, prev_hash=prev)
    event.hash = compute_hash(prev, event)
    session.add(event)
    if case is not None:
        case.event_seq, case.last_event_hash = seq, event.hash
    return event


def history(session: Session, case_id: int) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq)))


def count(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Event).where(Event.case_id == case_id)) or 0
