"""Reminders and escalations: what a non-interrupting timer on a human task tells people.

A diagram says it with properties on a non-interrupting boundary timer attached
to a user task (Camunda ``camunda:properties`` or SpiffWorkflow
``spiffworkflow:properties``), so the engine stays free of domain rules::

    kind   = reminder | escalation
    notify = assignee, role:approver, starter      (comma-separated)

``assignee`` is whoever has the task: its claimant, else its personal
candidate, else the holders of its role in the task's unit subtree.
``role:NAME`` is the holders of NAME in the case's unit subtree (or on the
case), ``starter`` the user who started the case. When such a timer fires,
:func:`timers_fired` (called by the runner inside the firing step's
transaction) writes one ``notification`` row per recipient and appends a
``reminder_sent`` or ``task_escalated`` event to the case's audit chain, so a
reminder exists exactly when its timer fired. It is about the one task instance
that timer instance is attached to: with two instances of a task open (a loop
reached it twice, a multi-instance activity), each is reminded by its own timer.
SpiffWorkflow's Camunda parser drops extension properties of boundary events, so
they are read here from the
stored BPMN source (once per process version), by the same safe parser that read the
file at deployment (:mod:`engine.definitions.safe_xml`), so a file that deployed is a
file these rules can be read from. Should the stored source still be unreadable (a
row damaged or written around the deployment), the firing step fails and the timer
executor records an incident on the case instead of retrying it unseen.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.definitions.safe_xml import read_xml
from engine.time import clock, timers
from engine.time.timers import WaitingTimer
from engine.errors import Invalid, NotFound
from engine.store.models import Notification, ProcessDefinition, Task
from engine.cases.records import Loaded
from engine.cases.worklist import holds_role
from engine.people.actors import Actor

NOTE, TASK = Notification.__table__, Task.__table__
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
PROPERTY_PATHS = (".//{http://camunda.org/schema/1.0/bpmn}property",
                  ".//{http://spiffworkflow.org/bpmn/schema/1.0/core}property")
KINDS = {"reminder": "reminder_sent", "escalation": "task_escalated"}
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class NotifyRule:
    """A notifying boundary timer: which task it watches, what it is, whom it tells."""

    timer_id: str
    name: str
    attached_to: str
    kind: str
    targets: tuple[str, ...]


def rules_in(sources: list[dict[str, str]]) -> dict[str, NotifyRule]:
    """Notifying boundary timers of a definition's BPMN files, by timer element id."""
    found: dict[str, NotifyRule] = {}
    for source in sources:
        if not source["name"].lower().endswith(".bpmn"):
            continue
        root = read_xml(source["content"])
        for node in root.iter(f"{{{BPMN_NS}}}boundaryEvent"):
            if node.get("cancelActivity", "true") != "false" or node.find(f"{{{BPMN_NS}}}timerEventDefinition") is None:
                continue
            props = {p.get("name"): (p.get("value") or "").strip() for path in PROPERTY_PATHS for p in node.iterfind(path)}
            if not props.get("notify"):
                continue
            kind = props.get("kind") or "reminder"
            targets = tuple(t.strip() for t in props["notify"].split(",") if t.strip())
            found[node.get("id")] = NotifyRule(node.get("id"), node.get("name") or kind, node.get("attachedToRef"),
                                               kind if kind in KINDS else "reminder", targets)
    return found


class _RuleCache:
    """Rules per process content (its sha256: the same files always give the same rules)."""

    def __init__(self) -> None:
        self._rules: dict[str, dict[str, NotifyRule]] = {}
        self._lock = threading.Lock()

    def get(self, conn: Connection, definition_id: int, sha256: str) -> dict[str, NotifyRule]:
        rules = self._rules.get(sha256)
        if rules is None:
            sources = conn.execute(select(ProcessDefinition.__table__.c.sources)
                                   .where(ProcessDefinition.__table__.c.id == definition_id)).scalar() or []
            rules = rules_in(sources)
            with self._lock:
                self._rules[sha256] = rules
        return rules


RULES = _RuleCache()


def timers_fired(conn: Connection, loaded: Loaded, fired: list[WaitingTimer], actor: Actor) -> None:
    """Notify for each fired timer instance that has notify properties (inside the firing step).

    Each fired instance tells about the one task instance it is attached to: a reminder for one
    of two open instances of a task (a task reached again in a loop, the instances of a
    multi-instance activity) names that instance alone, and every instance whose own timer
    fired gets its own notification.
    """
    if not fired:
        return
    rules = RULES.get(conn, loaded.definition.id, loaded.definition.sha256)
    for timer in fired:
        rule = rules.get(timer.element_id)
        if rule is not None:
            _notify(conn, loaded, rule, timers.attached_task_ids(loaded.workflow, timer.task_id), actor)


def _notify(conn: Connection, loaded: Loaded, rule: NotifyRule, task_ids: list[str], actor: Actor) -> None:
    """Tell the rule's targets about the ready task rows among ``task_ids`` (the instances the
    fired timer watches; the element filter drops a multi-instance parent and what follows it)."""
    if not task_ids:
        return
    case, now = loaded.case, clock.now()
    tasks = conn.execute(select(TASK).where(TASK.c.case_id == case.id, TASK.c.element_id == rule.attached_to,
                                            TASK.c.id.in_(task_ids), TASK.c.status == "ready")
                         .order_by(TASK.c.id)).all()
    for task in tasks:
        recipients: list[dict[str, Any]] = []
        ignored: list[str] = []
        for target in rule.targets:
            if target == "assignee":
                user_id = task.claimed_by_id or task.candidate_user_id
                recipients.append({"user_id": user_id} if user_id else
                                  {"role": task.role, "unit_path": task.unit_path})
            elif target == "starter" and case.created_by_id:
                recipients.append({"user_id": case.created_by_id})
            elif target.startswith("role:") and target[5:].strip():
                recipients.append({"role": target[5:].strip(), "unit_path": case.unit_path})
            else:
                ignored.append(target)
        recipients = [r for i, r in enumerate(recipients) if r not in recipients[:i] and (r.get("user_id") or r.get("role"))]
        data = {"element_id": task.element_id, "task_name": task.name, "timer": rule.timer_id,
                "due_at": task.due_at.isoformat() if task.due_at else None, "process": case.process_key}
        message = f"{rule.name}: {task.name}" + (f" — {task.subject}" if task.subject else "")
        if recipients:
            conn.execute(NOTE.insert(), [{"kind": rule.kind, "user_id": r.get("user_id"), "role": r.get("role"),
                                          "unit_path": r.get("unit_path"), "case_id": case.id, "task_id": task.id,
                                          "message": message[:2000], "data": data, "created_at": now, "read_at": None}
                                         for r in recipients])
        loaded.chain.add(KINDS[rule.kind], actor.username, task_id=task.id,
                         data={**data, "notified": [_describe(r) for r in recipients], "ignored_targets": ignored})


def _describe(recipient: dict[str, Any]) -> str:
    if recipient.get("user_id"):
        return f"user:{recipient['user_id']}"
    return f"role:{recipient['role']}" + (f"@{recipient['unit_path']}" if recipient.get("unit_path") else "")


# ---------------------------------------------------------------- reading
def visible_to(actor: Actor) -> Any:
    """Notifications for ``actor``: their own, and those to a role they hold where it applies."""
    by_role = holds_role(actor, Notification.role, Notification.unit_path, Notification.case_id)
    return or_(Notification.user_id == actor.user_id, and_(Notification.user_id.is_(None), by_role))


def as_dict(note: Notification) -> dict[str, Any]:
    return {"id": note.id, "kind": note.kind, "message": note.message, "case_id": note.case_id,
            "task_id": note.task_id, "to_role": note.role, "personal": note.user_id is not None,
            "data": note.data, "created_at": note.created_at, "read_at": note.read_at, "read": note.read_at is not None}


def list_for(session: Session, actor: Actor, *, unread: bool = False, page: int = 1,
             per_page: int = 20) -> dict[str, Any]:
    """The caller's notifications, newest first, paged."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("bad paging", {"page": ["at least 1"], "per_page": [f"1 to {MAX_PER_PAGE}"]})
    query = select(Notification).where(visible_to(actor))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return {"items": [as_dict(n) for n in rows], "total": total, "page": page, "per_page": per_page}


def mark_read(session: Session, actor: Actor, notification_id: int) -> dict[str, Any]:
    """Mark one notification read (a role's notification: read for every holder, like a shared inbox)."""
    note = session.scalar(select(Notification).where(Notification.id == notification_id, visible_to(actor)))
    if note is None:
        raise NotFound(f"notification {notification_id} not found")
    if note.read_at is None:
        session.execute(update(Notification).where(Notification.id == note.id).values(read_at=clock.now()))
        session.refresh(note)
    return as_dict(note)


def unread_count(session: Session | Connection, actor: Actor) -> int:
    """How many of the caller's notifications are unread: one COUNT, cheap enough for every page's header."""
    return session.execute(select(func.count()).select_from(Notification)
                           .where(visible_to(actor), Notification.read_at.is_(None))).scalar() or 0


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread notification the caller sees read (one UPDATE); how many were unread.

    The same rows :func:`mark_read` would mark one by one, so a role's notification is then read for
    every holder of the role, as it is when one holder marks it alone."""
    ids = list(session.scalars(select(Notification.id).where(visible_to(actor), Notification.read_at.is_(None))))
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids)).values(read_at=clock.now()))
    return len(ids)
