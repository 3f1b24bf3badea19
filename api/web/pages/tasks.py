"""One task: its form (from the form's JSON Schema), the case data the user may see, the diagram.

Completing posts the form; the case service validates it exactly as the API
does, and its field messages come back next to the inputs. "Add a row" and
"remove" re-show the form without submitting anything. A form with file fields is posted as
multipart; its files are kept for the task before the form is read (:mod:`api.web.pages.taskfiles`).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import bp, diagrams, services
from api.web.i18n import process_word
from api.web.messages import bad_json, invalid_summary, refusal
from api.web.pages import formfields, formpost, panels, sheetreview, taskfiles, taskkinds
from api.web.pages.directory import directory_choices
from api.web.pages.readable import Readable
from api.web.session import current_user
from api.web.pages.worklist import process_names
from engine.errors import EngineError, Invalid
from engine.sheets import sheet_form
from workflows import form_schema, policy_for


def _load(task_id: str) -> tuple[dict[str, Any], dict[str, Any], Any, str]:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        task, case_row = svc.reader.task_view(db, actor, task_id)
        case = svc.reader.case_view(db, actor, case_row)
        drawing = diagrams.case_svg(db, svc.reader.specs, case_row,
                                    only_active=task["element_id"] if task["status"] == "ready" else None)
        names = process_names(db)
        name = names.get(case["process"], case["process"])
        # the case data as people read it (labels, names); ``data`` stays as it is for the form hints
        readable = Readable(db, svc.reader.specs.get(db, case_row.definition_id), case["process"], case["data"],
                            processes=names, actor=actor)
        case["shown_data"], case["people"] = readable.data(case["data"]), readable.people
    return task, case, drawing, name


def render_task(task_id: str, values: dict[str, Any] | None = None, errors: dict[str, Any] | None = None,
                extra_rows: dict[str, int] | None = None, status: int = 200, message: str | None = None,
                sheet_errors: list[str] | None = None, review: dict[str, Any] | None = None) -> Any:
    """The task page; ``sheet_errors``: why an uploaded sheet was refused, one line per bad row;
    ``review``: checked data of a sheet to show back read-only before the confirm (:mod:`sheetreview`)."""
    task, case, drawing, name = _load(task_id)
    schema = form_schema(task["form_key"])
    hints = policy_for(case["process"]).form_hints(task["form_key"], case["data"])
    offers_sheet = sheet_form(schema, hints) is not None  # a list of rows: "Tải mẫu Excel" and an upload
    shown = values if values is not None else hints.values
    choices = {**directory_choices(schema, None, current_user()), **hints.choices}
    fields = formfields.build(schema, shown, errors, choices=choices, fixed=hints.fixed, notes=hints.notes,
                              extra_rows=extra_rows)
    reviewed = sheetreview.review(task_id, current_user().username, schema, review, hints, choices,
                                  taskfiles.shown(task, copy.deepcopy(review), schema)) if review is not None else None
    return render_template("web/task.html", task=task, case=case, schema=schema, fields=fields, process_name=name,
                           diagram=drawing, grid=_grid_link(task),
                           problems=formfields.problems(fields, errors) if errors else [], review=reviewed,
                           panel=panels.panel_of(case), error_message=message, offers_sheet=offers_sheet,
                           sheet_errors=sheet_errors or []), status


def _grid_link(task: dict[str, Any]) -> dict[str, Any] | None:
    """The grid of this task's kind, when its process offers one and the reader has two or more open."""
    if not task.get("can_act"):
        return None
    spec = taskkinds.grid_of(task["process"], task["element_id"], task["form_key"])
    if spec is None:
        return None
    svc = services()
    with svc.store.read() as db:
        count = len(taskkinds.open_tasks(db, current_user(), task["process"], task["element_id"]))
    return {"title": process_word(spec.title), "count": count, "process": task["process"],
            "element_id": task["element_id"]} if count >= 2 else None


def form_message(err: Invalid) -> str:
    """The summary above a form: the messages themselves stand next to their fields."""
    return invalid_summary(err)


@bp.get("/tasks/<taskid:task_id>")
def task_page(task_id: str) -> Any:
    return render_task(task_id)


@dataclass
class Refused:
    """A posted form the case service refused: what to show again, the messages by field, the summary."""

    values: dict[str, Any] | None
    errors: dict[str, Any]
    message: str | None = None


def complete_posted(task: dict[str, Any], schema: dict[str, Any], posted: Any,
                    check_only: bool = False) -> Refused | None:
    """Complete ``task`` with the form as posted, through the case service as the API does (the same
    checks, the same event): None when done, else what the form shows again (:class:`Refused`).
    ``check_only``: check it the same way and write nothing (a sheet's review step). Other refusals
    of the engine (claimed by another, no longer open) are raised. Shared by the task page and the
    grid (:mod:`api.web.pages.grid`), so a row of a grid is checked as its task's page is."""
    try:
        data, index = formpost.parse(schema, posted)
    except formpost.BadJson as err:
        return Refused(formpost.resubmitted(schema, posted) or None, {"data": [bad_json(err)]})
    return complete_data(task, schema, data, index, formpost.resubmitted(schema, posted), check_only)


def complete_data(task: dict[str, Any], schema: dict[str, Any], data: dict[str, Any], index: dict[str, list[int]],
                  as_typed: dict[str, Any], check_only: bool = False) -> Refused | None:
    """Complete (or only check) ``task`` with ``data`` already read from a form; ``index`` maps the
    rows kept to the rows shown, ``as_typed`` is what the form shows again when refused."""
    try:
        if check_only:
            services().cases.check(current_user(), task["id"], data)
        else:
            services().cases.complete(current_user(), task["id"], data)
    except Invalid as err:
        return Refused(taskfiles.shown(task, as_typed, schema), formpost.shown_errors(err.details, index),
                       form_message(err))
    return None


@bp.post("/tasks/<taskid:task_id>")
def complete_task(task_id: str) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        task, _case = svc.reader.task_view(db, actor, task_id)
    schema = form_schema(task["form_key"])
    formpost.pressed(schema, request.form)  # an unreadable row button is refused before any file is kept
    posted, refused = taskfiles.receive(task, schema)  # files first: each kept for the task, then named
    changed = formpost.rows_changed(schema, posted)
    if changed is not None:
        return render_task(task_id, taskfiles.shown(task, changed[0], schema), refused, extra_rows=changed[1])
    if refused:
        return render_task(task_id, taskfiles.shown(task, formpost.resubmitted(schema, posted), schema), refused,
                       status=422, message=_("The form has errors: see the messages next to the fields."))
    if sheetreview.DRAFT in posted:  # the review's "Gửi" or "Sửa lại"
        return _reviewed(task, schema, posted)
    try:
        return _submitted(task, schema, posted, check_only=sheetreview.is_sheet(schema))
    except EngineError as err:
        flash(_("The task could not be completed: %(why)s", why=refusal(err)), "error")
        return redirect(url_for("web.task_page", task_id=task_id))


def _submitted(task: dict[str, Any], schema: dict[str, Any], posted: Any, check_only: bool = False) -> Any:
    """Complete the task with the form as posted (or, ``check_only``, a sheet: check it and show it back
    for review, nothing written); a refusal shows the form again as typed, each message beside its
    cell and named in the summary."""
    failed = complete_posted(task, schema, posted, check_only)
    if failed is not None:
        return render_task(task["id"], failed.values, failed.errors, status=422, message=failed.message)
    if check_only:
        return render_task(task["id"], review=formpost.parse(schema, posted)[0])
    return _done(task)


def _done(task: dict[str, Any]) -> Any:
    """After a completion: say so, offer the next task of the same kind, show the case."""
    svc, actor = services(), current_user()
    flash(_("Done: “%(task)s” is completed.", task=task["name"]), "ok")
    with svc.store.read() as db:
        taskkinds.flash_next(db, actor, task["process"], task["element_id"])
    return redirect(url_for("web.case_page", case_id=task["case_id"]))


def _reviewed(task: dict[str, Any], schema: dict[str, Any], posted: Any) -> Any:
    """After the review: "Gửi" completes the task with the draft's data (checked again by the
    completion), "Sửa lại" shows the form again as typed; a draft not signed for this task and this
    person is refused, and nothing is written."""
    data = sheetreview.opened(posted.get(sheetreview.DRAFT, ""), task["id"], current_user().username)
    if data is None:
        return render_task(task["id"], status=400, message=_(
            "The sheet you checked could not be read back (it was changed, or is another task's): nothing was "
            "recorded. Fill it in again."))
    if "_confirm" not in posted:
        return render_task(task["id"], taskfiles.shown(task, data, schema))
    try:
        failed = complete_data(task, schema, data, sheetreview.shown_rows(data), copy.deepcopy(data))
    except EngineError as err:
        flash(_("The task could not be completed: %(why)s", why=refusal(err)), "error")
        return redirect(url_for("web.task_page", task_id=task["id"]))
    if failed is not None:
        return render_task(task["id"], failed.values, failed.errors, status=422, message=failed.message)
    return _done(task)
