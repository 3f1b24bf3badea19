"""Who may see a case's files, and who may add to a case: the rules of case data, applied to files.

A file is seen by its uploader and by whoever the process shows it to as it shows case data: the
policy's :meth:`~engine.policy.ProcessPolicy.visible_data` is asked about the case data with the
file's reference (``{"file_id", "sha256", …}``) under the file key
(:meth:`engine.policy.ProcessPolicy.task_file_key`: of the task it was uploaded for, or of the case
itself for a file attached to the case, a generated document or a signed copy), and the file is
seen exactly when that key comes back with the reference. A file uploaded for a task is also seen
where its reference appears in the case data visible to the reader (a form's file field). So a
council member's round-2 documents stay sealed exactly as long as the scores, and a unit head who
reads only their own units' talents of the annual review does not get the city-wide list as a
file. A case one may not see has no files at all for them (404).

Adding (a file, a comment) is for those who may keep the case's files by the policy
(:meth:`~engine.policy.ProcessPolicy.may_keep_files`: readers but auditors, by default) and for
whoever holds an open task on the case, themselves or as the substitute of someone who does.
"""
from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.cases import delegation
from engine.cases.worklist import may_act
from engine.people.actors import Actor
from engine.policy import ProcessPolicy
from engine.store.models import Task

TASK = Task.__table__


def reference(row: Any) -> dict[str, Any]:
    """How case data refers to a stored file."""
    return {"file_id": row.id, "sha256": row.sha256, "name": row.name}


def refers(value: Any, file_id: int, sha256: str) -> bool:
    """Whether ``value`` (case data, walked without recursion) holds a reference to the file."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("file_id") == file_id and node.get("sha256") == sha256:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def file_visible(row: Any, actor: Actor, policy: ProcessPolicy, data: Mapping[str, Any],
                 shown: Mapping[str, Any], roles: frozenset[str]) -> bool:
    """Whether ``actor``, who may see the case (``data`` whole, ``shown`` as the policy shows it
    to them), may see the file of ``row``."""
    if row.attached_by_id is not None and row.attached_by_id == actor.user_id:
        return True
    if row.task_id is not None and refers(shown, row.id, row.sha256):
        return True
    key = policy.task_file_key(row.element_id)
    probe = policy.visible_data({**data, key: [reference(row)]}, actor, roles)
    return refers(probe.get(key), row.id, row.sha256)


def open_tasks(db: Connection | Session, case_id: int) -> list[Any]:
    return list(db.execute(select(TASK).where(TASK.c.case_id == case_id, TASK.c.status == "ready")).all())


def holds_task(db: Connection | Session, actor: Actor, task: Any, roles: frozenset[str],
               policy: ProcessPolicy) -> bool:
    """Whether ``actor`` may do ``task`` now (a candidate, and nobody else's claim), or a substitute
    for whom they may do it: the task's files are part of doing it."""
    if may_act(actor, task, roles) and task.claimed_by_id in (None, actor.user_id):
        return True
    return delegation.may_do(db, actor, task, task.case_id, policy)


def may_add(db: Connection | Session, actor: Actor, policy: ProcessPolicy, case_id: int,
            roles: frozenset[str]) -> bool:
    """Whether ``actor`` (who may see the case) may attach files to it and comment on it."""
    if policy.may_keep_files(actor):
        return True
    return any(holds_task(db, actor, task, roles, policy) for task in open_tasks(db, case_id))
