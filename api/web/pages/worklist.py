""""Việc của tôi": my tasks and the tasks I may claim, with filters; claiming from the list; and, for
each kind of task the reader has two or more of that its process offers as a grid, a link to do them
all on one page (:mod:`api.web.pages.grid`)."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import bp, services
from api.web.i18n import process_word
from api.web.messages import refusal
from api.web.pages.taskkinds import grids_offered
from api.web.session import current_user, safe_next
from engine.errors import EngineError

PER_PAGE = 100


def process_names(db: Any) -> dict[str, str]:
    """Process key -> the name of its latest version, for tables and filters."""
    return {d["key"]: d["name"] or d["key"] for d in services().reader.definitions(db)}


@bp.get("/")
def worklist() -> Any:
    actor = current_user()
    process = request.args.get("process") or None
    overdue = request.args.get("overdue") == "1"
    reader = services().reader
    with services().store.read() as db:
        processes = process_names(db)
        if process not in processes:
            process = None
        mine = reader.worklist(db, actor, scope="mine", process=process, overdue=overdue, per_page=PER_PAGE)
        available = reader.worklist(db, actor, scope="available", process=process, overdue=overdue,
                                    per_page=PER_PAGE)
        everything = None
        if actor.is_any("auditor", "admin"):
            everything = reader.worklist(db, actor, scope="all", process=process, overdue=overdue, per_page=PER_PAGE)
        grids = [{**offer, "title": process_word(offer["spec"].title)} for offer in grids_offered(db, actor)]
    return render_template("web/worklist.html", mine=mine, available=available, everything=everything,
                           processes=processes, process=process, overdue=overdue, grids=grids)


@bp.post("/tasks/<taskid:task_id>/claim")
def claim_task(task_id: str) -> Any:
    try:
        services().cases.claim(current_user(), task_id)
    except EngineError as err:
        flash(_("Could not claim the task: %(why)s", why=refusal(err)), "error")
        return redirect(safe_next(request.form.get("next")))
    flash(_("The task is yours now."), "ok")
    return redirect(url_for("web.task_page", task_id=task_id))


@bp.post("/tasks/<taskid:task_id>/release")
def release_task(task_id: str) -> Any:
    try:
        services().cases.release(current_user(), task_id)
    except EngineError as err:
        flash(_("Could not release the task: %(why)s", why=refusal(err)), "error")
    else:
        flash(_("The task is back in the shared list."), "ok")
    return redirect(url_for("web.task_page", task_id=task_id))
