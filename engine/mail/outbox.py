"""The outbox: e-mails written in the transaction of the event that causes them.

:class:`OutboxStep` is handed every case step's events just before they are written
(``CaseSteps.events_written``), in the step's own transaction: a task created (``task_created``)
is told to whoever may now do it, a fired reminder (``reminder_sent``), an escalation
(``task_escalated``) and a reminder sent by hand (``reminder_requested``, about no one task: hr
reminding a unit of its open assessments) to whom the notification went. So a message exists exactly
when its cause was committed, and a step rolled back leaves no message behind.

Who receives is never decided here twice: a task's people are those the worklist's own rule
(:func:`engine.cases.worklist.may_act`, with the roles held on the case) lets act on it; a role's
notification goes to those who hold the role where the notification points, by the same rule.
Only people with an address are asked, and what they chose is honoured: ``immediate`` gets
every message, ``digest`` only the morning digest, ``off`` nothing — but an escalation to a superior
always goes, as a deadline passing unseen is what e-mail is for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta, timezone
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from engine.cases.worklist import case_roles, may_act
from engine.errors import NotFound
from engine.people.accounts import NOTIFY_CHOICES, check_email
from engine.mail.sender import UNREACHABLE
from engine.people.actors import actor_for
from engine.store.models import Case, OutboxMessage, RoleGrant, Task, User
from engine.time import clock

OUTBOX, USERS, GRANTS, TASKS, CASES = (OutboxMessage.__table__, User.__table__, RoleGrant.__table__,
                                       Task.__table__, Case.__table__)
#: Messages that go whatever the recipient chose.
ALWAYS = frozenset({"escalation"})
#: Event types of a step that become messages, and the kind of message each is.
#: (A task released by its claimant becomes available again: its candidates hear of it as of a new one;
#: a task hr or a unit head gave to another candidate is told to its new holder as a task of theirs.)
#: A reminder sent by hand (``engine.cases.reminders``) is about a case, not a task: its message carries
#: the process's own words, kept on the event, and points to the recipient's worklist.
KIND_OF_EVENT = {"task_created": "task", "task_released": "task", "task_reassigned": "task",
                 "reminder_sent": "reminder",
                 "task_escalated": "escalation", "reminder_requested": "case_reminder"}


def queue(conn: Connection, kind: str, user: Any, data: Mapping[str, Any], *, case_id: int | None = None,
          task_id: str | None = None, dedupe_key: str | None = None) -> int | None:
    """Write one message for ``user`` (a row with ``id``, ``email``, ``language``, ``notify``) in the
    caller's transaction, if they have an address and their choice lets this kind through; its id."""
    if not user.email or not wants(user.notify, kind):
        return None
    now = clock.now()
    return conn.execute(insert(OUTBOX).values(
        kind=kind, user_id=user.id, to_address=user.email, language=user.language or "vi", case_id=case_id,
        task_id=task_id, data={**data, "to_name": user.display_name or user.username}, dedupe_key=dedupe_key,
        status="queued", attempts=0, next_attempt_at=now,
        claimed_by=None, claimed_until=None, last_error=None, created_at=now, sent_at=None)).inserted_primary_key[0]


def wants(choice: str | None, kind: str) -> bool:
    """Whether a user who chose ``choice`` is sent a ``kind`` message."""
    if kind in ALWAYS:
        return True
    if kind == "digest":
        return choice in ("immediate", "digest")
    return choice == "immediate"


_MAILED_USERS = select(USERS.c.id, USERS.c.username, USERS.c.display_name, USERS.c.unit_id, USERS.c.email,
                       USERS.c.language, USERS.c.notify).where(USERS.c.active.is_(True), USERS.c.email.is_not(None))


#: Built once: a step that makes a task asks this, and building it cost more than running it.
_ROLE_HOLDERS_ALWAYS = _MAILED_USERS.where(
    USERS.c.id.in_(select(GRANTS.c.user_id).where(GRANTS.c.role == bindparam("role")))).order_by(USERS.c.id)
_ROLE_HOLDERS = _ROLE_HOLDERS_ALWAYS.where(USERS.c.notify == "immediate")
_ONE_USER = _MAILED_USERS.where(USERS.c.id == bindparam("user_id"))
_TASK = select(TASKS).where(TASKS.c.id == bindparam("task_id"))


def people_for(conn: Connection, task: Any, kind: str) -> list[Any]:
    """The users with an address who may act on ``task`` (a row with the task table's columns):
    its claimant, else its personal candidate, else everyone the worklist's rule admits."""
    personal = task.claimed_by_id or task.candidate_user_id
    if personal:
        return list(conn.execute(_ONE_USER, {"user_id": personal}))
    if not task.role:
        return []
    found = []
    for user in conn.execute(_ROLE_HOLDERS_ALWAYS if kind in ALWAYS else _ROLE_HOLDERS, {"role": task.role}):
        actor = actor_for(conn, user)  # type: ignore[arg-type]
        if may_act(actor, task, frozenset()) or may_act(actor, task, case_roles(conn, actor, task.case_id)):
            found.append(user)
    return found


@dataclass
class OutboxStep:
    """Turns a case step's events into messages, in the step's transaction (``events_written``): a new
    task to the people who may do it, a reminder or an escalation to those its notification named."""

    def __call__(self, conn: Connection, case: Any, events: Iterable[Mapping[str, Any]]) -> None:
        for event in events:
            kind = KIND_OF_EVENT.get(event["type"])
            if kind == "case_reminder":  # no task: the event itself says what it is about
                data = reminder_data(case, event["data"])
                for user in notified_people(conn, case, event["data"].get("notified") or ()):
                    queue(conn, kind, user, data, case_id=case.id)
                continue
            if kind is None or not event.get("task_id"):
                continue
            task = _new_task(case, event) or conn.execute(_TASK, {"task_id": event["task_id"]}).first()
            if task is None:
                continue
            data = task_data(case, task)
            if kind == "task":  # whoever made the task available knows it already
                people = [user for user in people_for(conn, task, kind) if user.username != event["actor"]]
            else:
                people = notified_people(conn, case, event["data"].get("notified") or ())
            for user in people:
                queue(conn, kind, user, data, case_id=case.id, task_id=task.id)


def _new_task(case: Any, event: Mapping[str, Any]) -> Any:
    """The row of a task this very step made, as the step wrote it (``ready_tasks``, set by the
    projection before the events are written), so it is not read back; None for anything else."""
    if event["type"] != "task_created":
        return None
    return next((line for line in getattr(case, "ready_tasks", None) or () if line.id == event["task_id"]), None)


def task_data(case: Any, task: Any) -> dict[str, Any]:
    """What a message about ``task`` says, kept with the row so a resend says the same."""
    return {"task_name": task.name, "subject": task.subject, "process": case.process_key,
            "business_key": case.business_key, "case_id": case.id,
            "due_at": task.due_at.astimezone(timezone.utc).isoformat() if task.due_at else None}  # as stored


def reminder_data(case: Any, said: Mapping[str, Any]) -> dict[str, Any]:
    """What a reminder sent by hand says: the process's words (message id and values, read in the
    recipient's language as ``/notifications`` reads them) and its plain text should they not fit."""
    return {"words": said.get("words"), "message": said.get("message"), "unit": said.get("unit"),
            "process": case.process_key, "business_key": case.business_key, "case_id": case.id}


def notified_people(conn: Connection, case: Any, notified: Iterable[str] | str) -> list[Any]:
    """The users a notification event names (``user:ID``, ``role:NAME@PATH``; a timer's event lists
    them, a reminder sent by hand names its one role as a string), each role read by the worklist's
    rule for a task of that role there (the unit subtree, or the case's own grants)."""
    if isinstance(notified, str):  # one target, not its characters
        notified = [notified]
    people: list[Any] = []
    for target in notified:
        if target.startswith("user:"):
            found = list(conn.execute(_MAILED_USERS.where(USERS.c.id == int(target[5:]))))
        elif target.startswith("role:"):
            role, _, path = target[5:].partition("@")
            pseudo = SimpleNamespace(candidate_user_id=None, claimed_by_id=None, role=role,
                                     unit_path=path or None, case_id=case.id)
            found = people_for(conn, pseudo, "escalation")
        else:
            continue
        people = _merge(people, found)
    return people


def _merge(first: list[Any], more: list[Any]) -> list[Any]:
    merged = {user.id: user for user in first}
    for user in more:
        merged.setdefault(user.id, user)
    return list(merged.values())


# ------------------------------------------------------------------- admins
def mail_counts(conn: Any, stuck_after: timedelta = timedelta(hours=1)) -> dict[str, int]:
    """Messages waiting, failed for good, stuck (waiting longer than ``stuck_after``) and waiting
    because the server could not be reached at their last try (``unreachable``): /healthz."""
    now = clock.now()
    rows = dict(conn.execute(select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)).all())
    queued = select(func.count()).select_from(OUTBOX).where(OUTBOX.c.status == "queued")
    stuck = conn.execute(queued.where(OUTBOX.c.created_at < now - stuck_after)).scalar() or 0
    unreachable = conn.execute(queued.where(OUTBOX.c.last_error.like(f"{UNREACHABLE}%"))).scalar() or 0
    return {"queued": rows.get("queued", 0), "sent": rows.get("sent", 0), "failed": rows.get("failed", 0),
            "stuck": stuck, "unreachable": unreachable}


def listing(conn: Any, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The newest messages (of one status), for the admin API and page."""
    query = select(OUTBOX, USERS.c.username).outerjoin(USERS, USERS.c.id == OUTBOX.c.user_id)
    if status:
        query = query.where(OUTBOX.c.status == status)
    rows = conn.execute(query.order_by(OUTBOX.c.id.desc()).limit(limit))
    return [{"id": r.id, "kind": r.kind, "username": r.username, "to": r.to_address, "status": r.status,
             "attempts": r.attempts, "last_error": r.last_error, "case_id": r.case_id, "task_id": r.task_id,
             "created_at": r.created_at, "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at}
            for r in rows]


def retry_failed(conn: Connection, message_id: int | None = None) -> int:
    """Queue failed messages again (one, or all), from their first attempt; how many."""
    where = [OUTBOX.c.status == "failed"]
    if message_id is not None:
        if conn.execute(select(OUTBOX.c.id).where(OUTBOX.c.id == message_id)).first() is None:
            raise NotFound(f"message {message_id} not found")
        where.append(OUTBOX.c.id == message_id)
    return conn.execute(update(OUTBOX).where(and_(*where)).values(
        status="queued", attempts=0, next_attempt_at=clock.now(), claimed_by=None, claimed_until=None)).rowcount or 0


__all__ = ["ALWAYS", "NOTIFY_CHOICES", "OutboxStep", "check_email", "listing", "mail_counts", "notified_people",
           "people_for", "queue", "reminder_data", "retry_failed", "task_data", "wants"]
