"""Tasks of one kind (one process's one user task) as the reader has them: the open ones, the next one,
how far the round has come, and whether they may be done together on one grid.

A unit head with thirty assessments, or anyone who completes one task of a kind they have several of,
should not go back to the worklist to find the next one. What a kind is and whether it has a grid is
the process's word (``ProcessPolicy.task_grid``); these queries read only the task projection, so no
workflow is loaded to answer them.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from flask import flash, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from engine.cases.delegation import substitute_clause, withheld
from engine.cases.worklist import candidate_clause, worklist_clause
from engine.people.substitutes import acting_for
from engine.people.actors import Actor
from engine.policy import GridSpec
from engine.store.models import Case, Task
from workflows import form_schema, policy_for

_PARENT = aliased(Case)
#: Rounds with more open tasks than this are cut: a page of a thousand rows helps nobody.
MAX_OPEN = 500


def grid_of(process: str, element_id: str, form_key: str | None = None) -> GridSpec | None:
    """The grid the process offers for the task ``element_id``, if any. A grid whose fields are not flat
    fields of the task's form is not offered: its rows could not be posted as the form."""
    spec = policy_for(process).task_grid(element_id)
    if spec is None or form_key is None:
        return spec
    props = form_schema(form_key).get("properties") or {}
    flat = all(name in props and props[name].get("type") not in ("array", "object") and "x-file" not in props[name]
               for name in spec.fields)
    return spec if flat else None


def _of_kind(process: str, element_id: str) -> Any:
    return and_(Task.process_key == process, Task.element_id == element_id)


def open_tasks(db: Any, actor: Actor, process: str, element_id: str) -> list[Any]:
    """The ready tasks of this kind the reader may do now (theirs, or unclaimed and open to them),
    the one due first first. A reader's role (auditor, admin) adds nothing: they do no one's work."""
    theirs = worklist_clause(actor, "all", reader=False)
    absentees = acting_for(db, actor)
    if absentees:  # a substitute's grid holds the absent people's tasks too (never a council seat's)
        theirs = or_(theirs, substitute_clause(absentees, "all", *withheld([(process, policy_for(process))], actor)))
    query = (select(Task).where(Task.status == "ready", _of_kind(process, element_id), theirs)
             .order_by(Task.due_at.is_(None), Task.due_at, Task.created_at, Task.id).limit(MAX_OPEN))
    return list(db.scalars(query))


def next_task(db: Any, actor: Actor, process: str, element_id: str) -> Any | None:
    """The next open task of this kind for the reader (the one due first), or None."""
    found = open_tasks(db, actor, process, element_id)
    return found[0] if found else None


class Progress(NamedTuple):
    """How far the reader's round of one kind of task has come: ``done`` of ``total`` (the completed and
    the open rows the reader may do), and ``held``: open tasks they could have done that a colleague has
    claimed — not rows of theirs, so said apart, or the reader could never reach ``total``."""

    done: int
    total: int
    held: int


def progress(db: Any, actor: Actor, process: str, element_id: str) -> Progress:
    """The progress of this kind in the reader's scope in the current round: of cases whose parent (e.g.
    the year's review) is still running, or, for cases without a parent, of running cases. Completed
    tasks count if the reader was a candidate or did them; open ones as the grid lists them (theirs, or
    unclaimed and open to them: :func:`open_tasks`); a cancelled task (its deadline passed) not at all."""
    current = or_(
        and_(Case.parent_case_id.isnot(None),
             exists().where(_PARENT.id == Case.parent_case_id, _PARENT.status == "running")),
        and_(Case.parent_case_id.is_(None), Case.status == "running"))
    mine = or_(candidate_clause(actor), Task.completed_by_id == actor.user_id, Task.claimed_by_id == actor.user_id)
    state = case((Task.status == "completed", "done"),
                 (or_(Task.claimed_by_id.is_(None), Task.claimed_by_id == actor.user_id), "open"), else_="held")
    rows = db.execute(select(state, func.count()).join(Case, Case.id == Task.case_id)
                      .where(_of_kind(process, element_id), Task.status.in_(("ready", "completed")), mine, current)
                      .group_by(state)).all()
    counts = {kind: count for kind, count in rows}
    done = counts.get("done", 0)
    return Progress(done, done + counts.get("open", 0), counts.get("held", 0))


def grids_offered(db: Any, actor: Actor) -> list[dict[str, Any]]:
    """The kinds of task the reader has two or more of open that their process offers as a grid:
    ``process``, ``element_id``, ``count`` and the grid's ``spec``, for links on the worklist."""
    rows = db.execute(select(Task.process_key, Task.element_id, Task.form_key, func.count())
                      .where(Task.status == "ready", worklist_clause(actor, "all", reader=False))
                      .group_by(Task.process_key, Task.element_id, Task.form_key)
                      .having(func.count() >= 2).order_by(Task.process_key, Task.element_id)).all()
    out = []
    for process, element_id, form_key, count in rows:
        spec = grid_of(process, element_id, form_key)
        if spec is not None:
            out.append({"process": process, "element_id": element_id, "count": count, "spec": spec})
    return out


def flash_link(said: str, href: str, link: str) -> None:
    """Flash "said <a href>link</a>", kept as markup in the session, every value escaped."""
    flash(Markup('{} <a href="{}" class="next-task">{}</a>').format(said, href, link), "next")


def flash_next(db: Any, actor: Actor, process: str, element_id: str) -> None:
    """After a completion: "Next task: …", one click to the next open task of the same kind, else to
    the worklist."""
    task = next_task(db, actor, process, element_id)
    if task is None:
        flash_link(_("No more tasks of this kind."), url_for("web.worklist"), _("Back to my work"))
    else:
        flash_link(_("Next task:"), url_for("web.task_page", task_id=task.id),
                   f"{task.name} — {task.subject}" if task.subject else task.name)
