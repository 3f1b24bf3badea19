"""Acting for someone else on a task: a substitute standing in, and a task reassigned.

A substitute (:mod:`engine.people.substitutes`) does the absent user's tasks with the absent
user's scope: for the check "may this person do this task", the absent :class:`Actor` is asked,
and the process's policy may still refuse (a council seat is personal; an approver's decision
passes only to another approver). Kept apart from :mod:`engine.cases.worklist`, which answers for
one person, because it asks for several and reads the substitute table.

Reassignment gives a claimed or open task to another of its candidates, with a reason, as one
command with its ``task_reassigned`` event; only the process's reassigners (hr, a unit head within
their units) may, and only to someone the task's own rule admits.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import and_, not_, or_, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine.cases.records import TaskRow
from engine.cases.worklist import case_roles, may_act, worklist_clause
from engine.errors import Forbidden
from engine.people.actors import Actor
from engine.people.substitutes import acting_for
from engine.policy import ProcessPolicy
from engine.store.models import RoleGrant, Task, Unit, User

#: What each refusal of a delegated task says (the pages word it by its code, api/web/messages.py).
REFUSED = {"task_not_delegable": "this task is personal (a council seat): a substitute may not do it",
           "substitute_lacks_role": "only another holder of the task's role may do it for someone else"}


def holder(db: Connection | Session, actor: Actor, task: Any, case_id: int) -> bool:
    """Whether ``actor`` is a candidate for ``task``, by their own roles or those held on the case."""
    return may_act(actor, task, frozenset()) or may_act(actor, task, case_roles(db, actor, case_id))


def stand_in(db: Connection | Session, actor: Actor, task: TaskRow | Any, case_id: int,
             policy: ProcessPolicy, absentees: list[Actor] | None = None) -> Actor | None:
    """The absent user ``actor`` may do ``task`` for now, or None (``actor`` stands in for nobody
    who could). Raises :class:`Forbidden` with the policy's code when ``actor`` stands in for
    someone who could, but the task may not pass to them."""
    refused: str | None = None
    for absent in acting_for(db, actor) if absentees is None else absentees:
        if not (holder(db, absent, task, case_id) or task.claimed_by_id == absent.user_id):
            continue
        code = policy.delegation_refusal(task.element_id, task.role, actor)
        if code is None:
            return absent
        refused = code
    if refused is not None:
        raise Forbidden(REFUSED[refused], code=refused)
    return None


def _theirs(absentees: list[Actor], actor: Actor, task: Any) -> Actor | None:
    """The absent user whose task this is by name — claimed by them, or assigned to them alone —
    when ``actor`` has not claimed it: done by their substitute for them even when the substitute
    is a candidate in their own right, else it would stay stuck under the absent person's claim."""
    if task.claimed_by_id is not None and task.claimed_by_id == actor.user_id:
        return None
    return next((a for a in absentees if a.user_id in (task.claimed_by_id, task.candidate_user_id)), None)


def acts_for(db: Connection | Session, actor: Actor, task: Any, case_id: int, policy: ProcessPolicy,
             absentees: list[Actor] | None = None) -> Actor | None:
    """Whom ``actor`` does ``task`` for: ``actor`` itself (their own task), an absent user they stand in
    for, or None (neither). The absent person's claimed or personal task is theirs first; an open task
    the substitute may do in their own right stays the substitute's own. Raises :class:`Forbidden` with
    the policy's code when the task may not pass to a substitute."""
    if absentees is None:  # (a command that read ``STANDS_IN`` with its task knows when there are none)
        absentees = acting_for(db, actor)
    theirs = _theirs(absentees, actor, task)
    if theirs is not None:
        code = policy.delegation_refusal(task.element_id, task.role, actor)
        if code is not None:
            raise Forbidden(REFUSED[code], code=code)
        return theirs
    if holder(db, actor, task, case_id):
        return actor
    return stand_in(db, actor, task, case_id, policy, absentees)


def may_do(db: Connection | Session, actor: Actor, task: Any, case_id: int, policy: ProcessPolicy) -> bool:
    """Whether ``actor`` may do ``task`` now, themselves or for someone they stand in for, and no
    one else holds its claim (who may attach a task's files)."""
    try:
        who = acts_for(db, actor, task, case_id, policy)
    except Forbidden:
        return False
    return who is not None and task.claimed_by_id in (None, actor.user_id, who.user_id)


def personal_pairs(policies: Iterable[tuple[str, ProcessPolicy]]) -> list[tuple[str, str]]:
    """(process key, element id) of every personal task: what a substitute's worklist leaves out."""
    return sorted((key, element) for key, policy in policies for element in policy.personal_tasks)


def role_limited_pairs(policies: Iterable[tuple[str, ProcessPolicy]]) -> list[tuple[str, str]]:
    """(process key, role) of every task that passes only to another holder of its role."""
    return sorted((key, role) for key, policy in policies for role in policy.delegated_within_role)


def limited_pairs(role_limited: list[tuple[str, str]], substitute: Actor) -> list[tuple[str, str]]:
    """Of :func:`role_limited_pairs`, those ``substitute`` may not do for anyone, lacking the role
    (:meth:`ProcessPolicy.delegation_refusal`'s ``substitute_lacks_role``)."""
    return [(key, role) for key, role in role_limited if role not in substitute.roles]


def withheld(policies: list[tuple[str, ProcessPolicy]], substitute: Actor
             ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What of ``policies`` may not pass to ``substitute``: :func:`personal_pairs` and their
    :func:`limited_pairs`, the two lists :func:`not_passing` and :func:`substitute_clause` take."""
    return personal_pairs(policies), limited_pairs(role_limited_pairs(policies), substitute)


def not_passing(personal: list[tuple[str, str]], limited: list[tuple[str, str]]) -> list[ColumnElement[bool]]:
    """WHERE conditions leaving out the tasks that may not pass to the substitute: the personal ones and
    the role-limited ones (a task without a role is never role-limited: NULL must not drop it)."""
    conds: list[ColumnElement[bool]] = []
    if personal:
        conds.append(not_(tuple_(Task.process_key, Task.element_id).in_(personal)))
    if limited:
        conds.append(or_(Task.role.is_(None), not_(tuple_(Task.process_key, Task.role).in_(limited))))
    return conds


def substitute_clause(absentees: list[Actor], scope: str, personal: list[tuple[str, str]],
                      limited: list[tuple[str, str]]) -> ColumnElement[bool]:
    """Tasks a substitute sees for the people they stand in for: each one's ``scope`` of the
    worklist, but those that may not pass to them — as a personal task, a role-limited one the
    substitute lacks the role for (``limited``) is left out: GET answers 404 for it, as the case
    is not theirs to see (:func:`visible_through`), so no list may offer it either (both are asked
    of every caller: the worklist, a task kind's grid, the morning digest)."""
    return and_(or_(*(worklist_clause(absent, scope) for absent in absentees)), *not_passing(personal, limited))


def on_behalf(db: Connection | Session, actor: Actor, absentees: list[Actor], task: Any) -> Actor | None:
    """For a task listed to a substitute: the absent user it is theirs for (None: ``actor``'s own),
    decided as :func:`acts_for` decides it."""
    theirs = _theirs(absentees, actor, task)
    if theirs is not None:
        return theirs
    if task.claimed_by_id == actor.user_id or holder(db, actor, task, task.case_id):
        return None
    return next((a for a in absentees if task.claimed_by_id == a.user_id or holder(db, a, task, task.case_id)),
                None)


def visible_through(db: Connection | Session, actor: Actor, case: Any, policy: ProcessPolicy) -> Actor | None:
    """The absent user through whom ``actor`` sees ``case``: one they stand in for who holds one of its
    open tasks that may pass to ``actor`` (a substitute sees what they may do, not all the absent see)."""
    absentees = acting_for(db, actor)
    if not absentees:
        return None
    rows = db.execute(select(Task.__table__).where(Task.case_id == case.id, Task.status == "ready")).all()
    for absent in absentees:
        if any((row.claimed_by_id == absent.user_id or holder(db, absent, row, case.id))
               and policy.delegation_refusal(row.element_id, row.role, actor) is None for row in rows):
            return absent
    return None


def candidates(db: Connection | Session, task: Any) -> list[tuple[str, str]]:
    """(username, display name) of the active users the task's own rule admits, by display name: whom
    a reassignment may give it to (a personally assigned task has its one person)."""
    users = User.__table__
    if task.candidate_user_id is not None:
        rows = db.execute(select(users.c.username, users.c.display_name)
                          .where(users.c.id == task.candidate_user_id, users.c.active.is_(True))).all()
        return [(row.username, row.display_name or row.username) for row in rows]
    if task.role is None:
        return []
    rows = db.execute(select(users.c.username, users.c.display_name, Unit.path, RoleGrant.case_id)
                      .join(RoleGrant, RoleGrant.user_id == users.c.id).outerjoin(Unit, Unit.id == RoleGrant.unit_id)
                      .where(RoleGrant.role == task.role, users.c.active.is_(True),
                             or_(RoleGrant.case_id.is_(None), RoleGrant.case_id == task.case_id))).all()
    admitted = {row.username: row.display_name or row.username for row in rows
                if row.case_id is not None or row.path is None
                or (task.unit_path is not None and task.unit_path.startswith(row.path))}
    return sorted(admitted.items(), key=lambda pair: (pair[1], pair[0]))


__all__ = ["REFUSED", "acts_for", "candidates", "holder", "limited_pairs", "may_do", "not_passing", "on_behalf",
           "personal_pairs", "role_limited_pairs", "stand_in", "substitute_clause", "visible_through",
           "withheld"]
