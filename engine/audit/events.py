"""The append-only event log with one hash chain per case.

Each event's hash covers its canonical JSON and the previous event's hash in
the same chain, so any change, removal, insertion or reordering shows. The
chain head (``event_seq``, ``last_event_hash``) is kept on the case row, so a
command appends its events with one INSERT and no extra read.
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Iterator

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.time import clock
from engine.store.models import Event
from engine.store.prepared import Prepared

GENESIS = "0" * 64
EVENT = Event.__table__
_INSERT = insert(EVENT)
#: How a chain appends its events (compiled once, on the cursor: engine/store/prepared.py).
_APPEND = Prepared(_INSERT)
#: Events that record something said or kept beside the workflow (a file attached or removed, a
#: signed copy's signature verified, a comment, a reminder sent by hand, a parent's message from its
#: children that found it no longer waiting): each is a command of its own on the case's chain,
#: changing neither its state nor its tasks, so replay passes over them (engine/files writes them).
NOTES = frozenset({"file_attached", "file_removed", "document_signed", "comment_added", "reminder_requested",
                   "message_not_delivered"})
#: The fields the hash covers, in the canonical body.
HASHED = ("case_id", "seq", "type", "actor", "at", "process_hash", "task_id", "data", "from_status", "to_status")
#: Hashed too, but only when set: on whose behalf a substitute acted (migration 0011). Leaving it out
#: of the body when empty keeps every chain written before it verifying as it did.
ON_BEHALF_OF = "on_behalf_of"


#: For whom the step under way is done (a substitute's step), or None: read by every chain the step
#: opens, so events it writes in other cases too (a parent hearing from its child, a child started)
#: say for whom, as the task's own chain does, and replay of each case finds its steps consistent.
_STEP_ON_BEHALF_OF: ContextVar[str | None] = ContextVar("step_on_behalf_of", default=None)


@contextmanager
def step_on_behalf_of(username: str | None) -> Iterator[None]:
    """Every chain opened inside is for ``username`` (None: the actor's own step)."""
    token = _STEP_ON_BEHALF_OF.set(username)
    try:
        yield
    finally:
        _STEP_ON_BEHALF_OF.reset(token)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON-serializable: {type(value).__name__}")


#: ``json.dumps`` with options builds a new encoder at every call (a step hashes each event and
#: makes its data jsonable: several calls a step); one encoder made with the very same options gives
#: the same bytes, which every hash ever written depends on (``json.dumps`` is ``JSONEncoder(...).encode``).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default,
                              allow_nan=False)


def canonical(value: Any) -> str:
    return _CANONICAL.encode(value)


def jsonable(data: Any) -> Any:
    """Data as it will read back from a JSON column (dates as ISO strings)."""
    return json.loads(canonical(data))


def event_hash(prev_hash: str, event: Any) -> str:
    """Hash of an event (a mapping or an ``Event`` row) chained to ``prev_hash``."""
    get = event.get if isinstance(event, dict) else lambda k: getattr(event, k, None)
    return body_hash(prev_hash, {**{k: get(k) for k in HASHED}, ON_BEHALF_OF: get(ON_BEHALF_OF)})


def body_hash(prev_hash: str, body: dict[str, Any]) -> str:
    """Hash of the :data:`HASHED` fields of an event, as a dict (the verifier builds it from a row),
    and of :data:`ON_BEHALF_OF` when the event has one."""
    if body.get(ON_BEHALF_OF) is None:
        body.pop(ON_BEHALF_OF, None)
    at = body["at"]
    if isinstance(at, datetime):
        body["at"] = at.isoformat()
    return hashlib.sha256((prev_hash + canonical(body)).encode()).hexdigest()


class Chain:
    """The events one command appends to one chain, written together by :meth:`write`."""

    def __init__(self, case_id: int | None, seq: int, head: str, process_hash: str = "",
                 on_behalf_of: str | None = None) -> None:
        self.case_id, self.seq, self.head, self.process_hash = case_id, seq, head or GENESIS, process_hash
        #: Set for a substitute's command: every event of the step then says for whom it was done.
        self.on_behalf_of = on_behalf_of if on_behalf_of is not None else _STEP_ON_BEHALF_OF.get()
        self.pending: list[dict[str, Any]] = []

    def add(self, type_: str, actor: str, *, task_id: str | None = None, data: dict[str, Any] | None = None,
            from_status: str | None = None, to_status: str | None = None) -> dict[str, Any]:
        self.seq += 1
        event = {"case_id": self.case_id, "seq": self.seq, "type": type_, "actor": actor, "at": clock.now(),
                 "process_hash": self.process_hash, "task_id": task_id, "data": jsonable(data or {}),
                 "from_status": from_status, "to_status": to_status, "prev_hash": self.head,
                 ON_BEHALF_OF: self.on_behalf_of}
        event["hash"] = self.head = event_hash(self.head, event)
        self.pending.append(event)
        return event

    def write(self, connection: Connection) -> None:
        if self.pending:
            _APPEND.run_many(connection, self.pending)
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


# ------------------------------------------------------------------ histories as files
HISTORY_FORMAT = "talentflow-history/1"
_CASE_FIELDS = ("id", "process_key", "business_key", "status", "state", "data", "version", "next_timer_at",
                "incident", "event_seq", "last_event_hash", "created_by", "created_at", "updated_by", "updated_at",
                "ended_at", "parent_case_id")
_TASK_FIELDS = ("id", "element_id", "name", "subject", "form_key", "lane", "role", "status", "created_at",
                "due_at", "completed_at")
_EVENT_FIELDS = ("seq", "type", "actor", "at", "process_hash", "task_id", "data", "from_status", "to_status",
                 "prev_hash", "hash", ON_BEHALF_OF)


def export_history(conn: Connection, case_id: int) -> dict[str, Any]:
    """A case as a self-contained file: its events, its stored state and tasks, and the BPMN/DMN
    sources of its process version (by sha256), so it can be loaded and replayed anywhere."""
    from engine.store.models import Case, ProcessDefinition, Task, Unit, User

    cases, tasks, units, users = Case.__table__, Task.__table__, Unit.__table__, User.__table__
    case = conn.execute(select(cases).where(cases.c.id == case_id)).first()
    if case is None:
        from engine.errors import NotFound

        raise NotFound(f"case {case_id} not found")
    definition = conn.execute(select(ProcessDefinition.__table__)
                              .where(ProcessDefinition.__table__.c.id == case.definition_id)).first()
    names = dict(conn.execute(select(users.c.id, users.c.username)).all())
    codes = {f"{path}": code for code, path in conn.execute(select(units.c.code, units.c.path))}
    out_case = {k: getattr(case, k) for k in _CASE_FIELDS}
    out_case.update(unit=codes.get(case.unit_path or ""), process_sha256=definition.sha256)
    out_tasks = []
    for row in conn.execute(select(tasks).where(tasks.c.case_id == case_id).order_by(tasks.c.created_at, tasks.c.id)):
        task = {k: getattr(row, k) for k in _TASK_FIELDS}
        task.update(unit=codes.get(row.unit_path or ""), candidate=names.get(row.candidate_user_id),
                    claimed_by=names.get(row.claimed_by_id), completed_by=names.get(row.completed_by_id))
        out_tasks.append(task)
    events = [{k: getattr(e, k) for k in _EVENT_FIELDS} for e in conn.execute(
        select(EVENT).where(EVENT.c.case_id == case_id).order_by(EVENT.c.seq))]
    return jsonable({"format": HISTORY_FORMAT, "case": out_case, "tasks": out_tasks, "events": events,
                     "definitions": {definition.sha256: {"key": definition.key, "name": definition.name,
                                                         "version": definition.version,
                                                         "dialect": definition.dialect,
                                                         "sources": definition.sources}}})


def import_history(conn: Connection, history: dict[str, Any], definition_id: int) -> int:
    """Load an exported case (events exactly as recorded) onto ``definition_id``, the deployed
    version with the history's sha256; users and units are matched by name. Returns the case id."""
    from engine.store import backlog
    from engine.errors import Conflict, Invalid
    from engine.store.models import Case, Task, Unit, User

    if history.get("format") != HISTORY_FORMAT:
        raise Invalid("not a talentflow history file", {"format": [f"expected {HISTORY_FORMAT}"]})
    cases, tasks, units, users = Case.__table__, Task.__table__, Unit.__table__, User.__table__
    ids = dict(conn.execute(select(users.c.username, users.c.id)).all())
    paths = dict(conn.execute(select(units.c.code, units.c.path)).all())
    unit_ids = dict(conn.execute(select(units.c.code, units.c.id)).all())
    case = dict(history["case"])
    wanted = {case["created_by"]} | {t[k] for t in history["tasks"] for k in ("candidate", "claimed_by",
                                                                                 "completed_by") if t[k]}
    missing = sorted(name for name in wanted - set(ids) if name not in ("system",))
    if missing:
        raise Invalid("the history names users this database does not have", {"users": missing})
    if conn.execute(select(cases.c.id).where(cases.c.id == case["id"])).first() is not None:
        raise Conflict(f"case {case['id']} already exists here", code="already_exists")
    when = ("created_at", "updated_at", "ended_at", "next_timer_at")
    row = {k: case[k] for k in _CASE_FIELDS}
    row.update({k: datetime.fromisoformat(case[k]) if case[k] else None for k in when})
    row.update(definition_id=definition_id, unit_id=unit_ids.get(case["unit"]), unit_path=paths.get(case["unit"]),
               created_by_id=ids.get(case["created_by"]), parent_case_id=None)
    conn.execute(insert(cases).values(**row))
    for task in history["tasks"]:
        values = {k: task[k] for k in _TASK_FIELDS}
        values.update({k: datetime.fromisoformat(task[k]) if task[k] else None
                       for k in ("created_at", "due_at", "completed_at")})
        values.update(case_id=case["id"], process_key=case["process_key"], unit_path=paths.get(task["unit"]),
                      candidate_user_id=ids.get(task["candidate"]), claimed_by_id=ids.get(task["claimed_by"]),
                      completed_by_id=ids.get(task["completed_by"]))
        conn.execute(insert(tasks).values(**values))
    backlog.add(conn, row["unit_id"], case["id"], sum(task["status"] == "ready" for task in history["tasks"]))
    rows = [{**e, "case_id": case["id"], "at": datetime.fromisoformat(e["at"])} for e in history["events"]]
    if rows:
        conn.execute(_INSERT, rows)
    if conn.dialect.name == "postgresql":  # ids were given: keep the sequence ahead of them
        conn.execute(text("SELECT setval(pg_get_serial_sequence('\"case\"', 'id'), "
                          "(SELECT max(id) FROM \"case\"))"))
    return int(case["id"])
