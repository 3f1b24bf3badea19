"""Reminders people send by hand (on the progress of a case's child tasks, :mod:`engine.cases.progress`).

Timers remind by themselves (:mod:`engine.cases.notifications`). Some reminders need someone's
judgement instead: hr sees that one unit is late with the assessments of a yearly review and
reminds that unit's heads. The process says what may be reminded and in which words
(:meth:`engine.policy.ProcessPolicy.reminder`); the engine does the rest alike for every process,
as one step on the case: a ``notification`` row to the holders of the role in the unit (read at
``/notifications`` and ``/api/v1/me/notifications`` like a timer's) and a ``reminder_requested``
event on the case's hash chain, in one transaction, with the case row locked.

A second reminder to the same role and unit on the same case within the policy's
``remind_again_after`` (an hour by default) is refused with 409 ``already_reminded``: a double
click, or two hr officers clicking at once, send one reminder — the second request waits for the
first's lock, then finds its notification. A reminder changes no workflow state, so replay passes
over its event like a comment's (:data:`engine.audit.events.NOTES`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.audit import events as audit
from engine.cases.progress import child_task_progress
from engine.cases.steps import CaseSteps
from engine.errors import Conflict, Invalid
from engine.people.actors import Actor
from engine.policy import Reminder
from engine.store.models import Notification, Unit
from engine.time import clock

NOTE = Notification.__table__
#: The event a reminder sent by hand adds to the case's chain.
REMINDER_EVENT = "reminder_requested"
MAX_TARGET = 64


@dataclass
class Reminders:
    """Send a reminder by hand on a case: one step, one notification, one event."""

    steps: CaseSteps

    def remind(self, actor: Actor, case_id: int, target: Any) -> dict[str, Any]:
        """Ask the case's policy for the reminder ``actor`` wants about ``target`` and send it.

        404 for a case the actor may not see; the policy's 403 / 422 for someone who may not remind
        or a target with nothing to remind of; 409 ``case_not_running`` once the case has ended and
        ``already_reminded`` within the policy's ``remind_again_after``."""
        if not isinstance(target, str) or not target.strip() or len(target) > MAX_TARGET:
            raise Invalid("name what to remind of", {"target": ["required, at most 64 characters"]})
        steps = self.steps
        with steps.store.command() as conn:
            case = steps.lock(conn, case_id)
            steps.visible_or_404(conn, actor, case)
            policy = steps.policy_for(case.process_key)
            if case.status != "running":
                raise Conflict(f"case {case.id} is {case.status}", code="case_not_running")
            progress = child_task_progress(conn, case.id, policy.progress_of) if policy.progress_of else []
            order = policy.reminder({"id": case.id, "status": case.status, "data": case.data or {},
                                     "progress": progress}, target.strip(), actor)
            path = conn.execute(select(Unit.path).where(Unit.code == order.unit)).scalar()
            if path is None:
                raise Invalid(f"unknown unit '{order.unit}'", {"target": ["unknown unit"]})
            now = clock.now()
            self._refuse_again(conn, case.id, order, path, now - policy.remind_again_after)
            data = {**audit.jsonable(dict(order.data)), "unit": order.unit, "role": order.role,
                    "words": {"text": order.words.text, "values": audit.jsonable(dict(order.words.values))}}
            conn.execute(NOTE.insert().values(kind="reminder", user_id=None, role=order.role, unit_path=path,
                                              case_id=case.id, task_id=None, message=order.message[:2000],
                                              data=data, created_at=now, read_at=None))
            chain = steps.chain_of(conn, case)
            event = chain.add(REMINDER_EVENT, actor.username,
                              data={**data, "message": order.message, "notified": f"role:{order.role}@{path}"})
            old = case.version
            steps.write_case(conn, case, chain, actor, old)
        steps.workflows.rekey(case.id, old, case.version)
        return {"case_id": case.id, "seq": event["seq"], "at": event["at"], "unit": order.unit, "role": order.role,
                "message": order.message, "data": data}

    @staticmethod
    def _refuse_again(conn: Connection, case_id: int, order: Reminder, path: str, since: Any) -> None:
        last = conn.execute(select(NOTE.c.created_at).where(
            NOTE.c.case_id == case_id, NOTE.c.task_id.is_(None), NOTE.c.kind == "reminder",
            NOTE.c.role == order.role, NOTE.c.unit_path == path, NOTE.c.created_at > since)
            .order_by(NOTE.c.created_at.desc()).limit(1)).scalar()
        if last is not None:
            raise Conflict(f"unit {order.unit} was reminded on this case at {last.isoformat()}",
                           {"target": [order.unit], "reminded_at": [last.isoformat()]}, code="already_reminded")
