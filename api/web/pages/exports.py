"""Excel on the pages: the downloads linked from the talent list, the dashboard and a case, and a
task's sheet — "Tải mẫu Excel" and the upload form on the task page.

The downloads are those of the JSON API (``api/web/spreadsheets.py``), checked the same way, in
the page's language. An uploaded sheet completes the task exactly as the API's
``POST /tasks/{id}/sheet`` does; a refused one re-shows the task page with every bad row listed
(row number, column header, the form's messages) in the reader's language, and nothing recorded.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from api.web import bp, services, spreadsheets
from api.web.pages.dashboard import _year
from api.web.pages.tasks import render_task
from api.web.session import READERS, current_user, roles_required
from engine.errors import EngineError, TooLarge
from engine.sheets import SheetInvalid


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


def sheet_problems(err: SheetInvalid) -> list[str]:
    """Each bad row as a line in the reader's language."""
    lines = []
    for problem in err.problems:
        said = "; ".join(problem.messages)
        if problem.row is not None and problem.column:
            lines.append(_("Row %(row)s, column “%(column)s”: %(said)s", row=problem.row, column=problem.column,
                           said=said))
        elif problem.row is not None:
            lines.append(_("Row %(row)s: %(said)s", row=problem.row, said=said))
        else:
            lines.append(_("The sheet: %(said)s", said=said))
    return lines


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
    except TooLarge as err:
        return render_task(task_id, status=413, sheet_errors=[_("The sheet was not accepted: %(why)s",
                                                                why=err.message)])
    except EngineError as err:
        if err.status in (403, 404):
            raise
        return render_task(task_id, status=err.status,
                           sheet_errors=[_("The sheet was not accepted: %(why)s", why=err.message)])
    flash(_("Done: the task is completed with the marks of the sheet."), "ok")
    return redirect(url_for("web.case_page", case_id=case))
