"""Excel on the pages: the downloads linked from the talent list, the dashboard and a case, and a
task's sheet — "Tải mẫu Excel" and the upload form on the task page.

The downloads are those of the JSON API (``api/web/spreadsheets.py``), checked the same way, in
the page's language. An uploaded sheet completes the task exactly as the API's
``POST /tasks/{id}/sheet`` does; a refused one re-shows the task page with every bad row listed
(row number, column header, the form's messages) in the reader's language, and nothing recorded.
The engine says in English why; the page words each refusal from its code, a fault of the sheet
itself (a changed locked cell, a missing row) from the problem's code and values, and the form's
common messages ("Not a valid number.") through the catalogues.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import bp, services, spreadsheets
from api.web.errors import error_page, file_too_large
from api.web.messages import field_message
from api.web.pages.dashboard import _year
from api.web.pages.tasks import render_task
from api.web.session import READERS, current_user, roles_required
from engine.errors import EngineError, TooLarge
from engine.sheets import RowProblem, SheetInvalid
from engine.sheets.form_sheet import MAX_ROWS


@bp.get("/talents.xlsx")
def talents_xlsx() -> Any:
    return spreadsheets.talents_export(current_user(), status=request.args.get("status") or None,
                                       category=request.args.get("category") or None,
                                       unit=request.args.get("unit") or None)


@bp.get("/appointments.xlsx")
@roles_required(*READERS)
def appointments_xlsx() -> Any:
    return spreadsheets.appointments_export(current_user(), year=_year())


@bp.get("/dashboard/targets.xlsx")
@roles_required(*READERS)
def targets_xlsx() -> Any:
    return spreadsheets.targets_export(current_user(), _year())


@bp.get("/cases/<int(max=9223372036854775807):case_id>/exports/<name>.xlsx")
def case_xlsx(case_id: int, name: str) -> Any:
    return spreadsheets.case_export(current_user(), case_id, name)


@bp.get("/tasks/<taskid:task_id>/sheet.xlsx")
def task_sheet(task_id: str) -> Any:
    return spreadsheets.task_template(current_user(), task_id)


def problem_messages(problem: RowProblem) -> list[str]:
    """What is wrong with a row, in the reader's language: a fault of the sheet itself from its code,
    the form's messages through :func:`api.web.messages.field_message`."""
    values = problem.params
    if problem.code == "not_in_template":
        return [_("not a row of the template (a locked cell was changed): %(values)s", values=values["values"])]
    if problem.code == "duplicate_row":
        return [_("the row appears twice: %(values)s", values=values["values"])]
    if problem.code == "missing_row":
        return [_("the row of %(values)s is missing (row %(row)s of the template)", values=values["values"],
                  row=values["row"])]
    return [field_message(m) for m in problem.messages]


def sheet_problems(err: SheetInvalid) -> list[str]:
    """Each bad row as a line in the reader's language."""
    lines = []
    for problem in err.problems:
        said = "; ".join(problem_messages(problem))
        if problem.row is not None and problem.column:
            lines.append(_("Row %(row)s, column “%(column)s”: %(said)s", row=problem.row, column=problem.column,
                           said=said))
        elif problem.row is not None:
            lines.append(_("Row %(row)s: %(said)s", row=problem.row, said=said))
        else:
            lines.append(_("The sheet: %(said)s", said=said))
    return lines


def refusal(err: EngineError) -> str:
    """Why an upload was refused as a whole, in the reader's language (never the engine's English)."""
    if err.code == "unsupported_file_type":
        return _("The file is not an Excel workbook (.xlsx): upload the task's template, filled in.")
    if isinstance(err, TooLarge):
        return file_too_large()
    if err.code == "wrong_sheet":
        return _("This workbook is not the template of this task: download the task's template and fill it in.")
    if err.code == "sheet_too_large":
        return _("The sheet is too large: at most %(rows)s rows are accepted.", rows=MAX_ROWS)
    if err.code == "unreadable_sheet":
        return _("The Excel file cannot be read; it may be damaged. Save it again in Excel and upload it.")
    if err.code == "no_sheet":
        return _("This task cannot be filled in with Excel.")
    if err.code == "task_not_ready":
        return _("The task is no longer open: it was completed or cancelled meanwhile.")
    return _("The sheet could not be recorded; reload the task and try again.")


@bp.post("/tasks/<taskid:task_id>/sheet")
def submit_sheet(task_id: str) -> Any:
    actor = current_user()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_task(task_id, status=422, sheet_errors=[_("Choose the filled-in Excel file to upload.")])
    try:
        case = services().sheets.submit(actor, task_id, upload.stream, spreadsheets.language())
    except SheetInvalid as err:
        return render_task(task_id, status=422, sheet_errors=sheet_problems(err))
    except EngineError as err:
        if err.status in (403, 404):
            raise
        if err.status == 409:  # the task is done or the case moved on: the task page may offer no upload now
            return error_page(409, refusal(err))
        return render_task(task_id, status=err.status, sheet_errors=[refusal(err)])
    flash(_("Done: the task is completed with the marks of the sheet."), "ok")
    return redirect(url_for("web.case_page", case_id=case))
