"""The morning digest: at 07:30 Hai Phong time on working days, each user's open tasks by e-mail.

"Open tasks" are exactly the worklist's (:func:`engine.cases.worklist.worklist_clause`, scope
``all``: claimed by or assigned to the user, and those they may claim), listed overdue first,
then due soon, then by due date, as the worklist orders them; a substitute's list holds the tasks
of the people they stand in for that day too, as their worklist does (but the personal tasks, a
council seat's, which a substitute may not do). A user with none gets no digest.
The digest of a day is one outbox row per user with the unique ``dedupe_key``
``digest:DAY:USER``: any number of executors may queue it, and it exists once (a racing
executor's insert breaks the key and its transaction rolls back).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from engine.cases.delegation import limited_pairs, substitute_clause
from engine.cases.worklist import worklist_clause
from engine.mail.outbox import OUTBOX, USERS, queue
from engine.people.actors import actor_for
from engine.people.substitutes import acting_for
from engine.store.database import Store
from engine.store.models import Case, Task
from engine.time import calendar, clock

#: When the digest goes, city time.
DIGEST_AT = time(7, 30)
#: A task due within this is "due soon".
DUE_SOON = timedelta(days=3)


def digest_day(now: datetime) -> date | None:
    """The city day whose digest is due at ``now``: a working day from 07:30 on, else None."""
    local = now.astimezone(clock.CITY_ZONE)
    if local.time() < DIGEST_AT or not calendar.current().is_working_day(local.date()):
        return None
    return local.date()


def open_tasks(conn: Any, user: Any, now: datetime, personal: list[tuple[str, str]] | None = None,
               role_limited: list[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """The user's open tasks as the digest lists them (overdue, then due soon, then the rest), with
    those of whoever they stand in for but the ones that may not pass to them, as their worklist
    leaves them out: the ``personal`` (process key, element id) ones, and the ``role_limited``
    (process key, role) ones while they lack the role."""
    actor = actor_for(conn, user)
    clause = worklist_clause(actor, "all")
    absentees = acting_for(conn, actor)
    if absentees:
        clause = or_(clause, substitute_clause(absentees, "all", personal or [],
                                               limited_pairs(role_limited or [], actor)))
    rows = conn.execute(
        select(Task.id, Task.name, Task.subject, Task.due_at, Task.case_id, Case.business_key, Case.process_key)
        .join(Case, Case.id == Task.case_id)
        .where(Task.status == "ready", Case.status == "running", clause)
        .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id)).all()
    return [{"task_id": r.id, "task_name": r.name, "subject": r.subject, "case_id": r.case_id,
             "business_key": r.business_key, "process": r.process_key,
             "due_at": r.due_at.isoformat() if r.due_at else None,
             "overdue": bool(r.due_at and r.due_at < now),
             "due_soon": bool(r.due_at and now <= r.due_at < now + DUE_SOON)} for r in rows]


def queue_digests(store: Store, personal: list[tuple[str, str]] | None = None,
                  role_limited: list[tuple[str, str]] | None = None) -> int:
    """Queue today's digests not queued yet, if one is due now; how many were queued. ``personal``:
    the tasks no substitute may do (``engine.cases.delegation.personal_pairs``); ``role_limited``: those
    only a holder of their role may (``role_limited_pairs``)."""
    now = clock.now()
    day = digest_day(now)
    if day is None:
        return 0
    prefix = f"digest:{day.isoformat()}:"
    try:
        with store.command() as conn:
            done = set(conn.execute(select(OUTBOX.c.dedupe_key).where(OUTBOX.c.dedupe_key.startswith(prefix)))
                       .scalars())
            users = conn.execute(select(USERS).where(USERS.c.active.is_(True), USERS.c.email.is_not(None),
                                                     USERS.c.notify.in_(("immediate", "digest")))
                                 .order_by(USERS.c.id)).all()
            queued = 0
            for user in users:
                key = f"{prefix}{user.id}"
                if key in done:
                    continue
                tasks = open_tasks(conn, user, now, personal, role_limited)
                if tasks and queue(conn, "digest", user, {"day": day.isoformat(), "tasks": tasks}, dedupe_key=key):
                    queued += 1
            return queued
    except IntegrityError:  # another executor queued this day's digests at the same moment
        return 0


class DigestJob:
    """The executor's periodic job: queue the day's digests once per day per executor (the unique
    key makes it once across executors); cheap on every other run."""

    def __init__(self, store: Store, personal: list[tuple[str, str]] | None = None,
                 role_limited: list[tuple[str, str]] | None = None) -> None:
        self.store, self.personal, self.role_limited = store, personal, role_limited
        self.done_for: date | None = None

    def __call__(self) -> int:
        day = digest_day(clock.now())
        if day is None or day == self.done_for:
            return 0
        queued = queue_digests(self.store, self.personal, self.role_limited)
        self.done_for = day
        return queued


__all__ = ["DIGEST_AT", "DUE_SOON", "DigestJob", "digest_day", "open_tasks", "queue_digests"]
