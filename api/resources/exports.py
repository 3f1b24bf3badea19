"""Excel out and in: the registers, the targets report and a case's tables as .xlsx, and a task
filled in as a spreadsheet.

Each download is checked as its JSON twin is (who may read the registry, the report, the case:
404 for a case one may not know of) and built by ``api/web/spreadsheets.py``, headers in the
``lang`` parameter's language, else ``Accept-Language``'s, else Vietnamese. A task whose form is
a list of rows offers its template (``GET /tasks/{id}/sheet.xlsx``) and takes it back filled in
(``POST /tasks/{id}/sheet``): the task is then completed in one normal step, or the sheet is
refused whole with every bad row named (``engine/sheets``).
"""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.resources.cases import view_for
from api.schemas import CaseOut
from api.web import spreadsheets
from engine.errors import Invalid
from engine.files.kinds import XLSX

blp = Blueprint("exports", __name__, description="Excel workbooks: registers, report, case tables, task sheets")

_LANG = fields.String(validate=validate.OneOf(["vi", "en"]),
                      metadata={"description": "language of the headers (else Accept-Language, else vi)"})


class LangArgs(Schema):
    lang = _LANG


class TalentExportArgs(LangArgs):
    status = fields.String(validate=validate.OneOf(["active", "removed"]))
    category = fields.String(validate=validate.Length(min=1, max=32))
    unit = fields.String(validate=validate.Length(min=1, max=64))


class AppointmentExportArgs(LangArgs):
    year = fields.Integer(validate=validate.Range(min=1900, max=2200))
    unit = fields.String(validate=validate.Length(min=1, max=64))
    via_exam = fields.Boolean()
    first_appointment = fields.Boolean()


class TargetsExportArgs(LangArgs):
    year = fields.Integer(required=True, validate=validate.Range(min=1900, max=2200))


_XLSX = {"responses": {"200": {"description": "an Excel workbook, as an attachment", "content": {
    XLSX.media_type: {"schema": {"type": "string", "format": "binary"}}}}}}
_SHEET_UPLOAD = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "the task's template, filled in (.xlsx)"}}}}}}}


@blp.get("/talents.xlsx")
@blp.arguments(TalentExportArgs, location="query")
@blp.doc(**_XLSX)
def talents_xlsx(args):  # type: ignore[no-untyped-def]
    """The talent registry (filters as ``GET /talents``) as an Excel workbook."""
    args.pop("lang", None)
    return spreadsheets.talents_export(current_actor(), **args)


@blp.get("/appointments.xlsx")
@blp.arguments(AppointmentExportArgs, location="query")
@blp.doc(**_XLSX)
def appointments_xlsx(args):  # type: ignore[no-untyped-def]
    """The appointments register (filters as ``GET /appointments``) as an Excel workbook."""
    args.pop("lang", None)
    return spreadsheets.appointments_export(current_actor(), **args)


@blp.get("/reports/targets.xlsx")
@blp.arguments(TargetsExportArgs, location="query")
@blp.doc(**_XLSX)
def targets_xlsx(args):  # type: ignore[no-untyped-def]
    """The year's targets and the exam share per unit as an Excel workbook."""
    return spreadsheets.targets_export(current_actor(), args["year"])


@blp.get("/cases/<int(max=9223372036854775807):case_id>/exports/<name>.xlsx")
@blp.arguments(LangArgs, location="query")
@blp.doc(**_XLSX)
def case_xlsx(args, case_id: int, name: str):  # type: ignore[no-untyped-def]
    """One of the case's tables its process offers (e.g. an exam's ``results``), as you may see it."""
    return spreadsheets.case_export(current_actor(), case_id, name)


@blp.get("/tasks/<taskid:task_id>/sheet.xlsx")
@blp.arguments(LangArgs, location="query")
@blp.doc(**_XLSX)
def task_sheet(args, task_id: str):  # type: ignore[no-untyped-def]
    """The template of a task whose form is a list of rows (one row per pre-filled row, locked
    columns greyed), for whoever may do it."""
    return spreadsheets.task_template(current_actor(), task_id)


@blp.post("/tasks/<taskid:task_id>/sheet")
@blp.arguments(LangArgs, location="query")
@blp.response(200, CaseOut)
@blp.doc(**_SHEET_UPLOAD)
def submit_sheet(args, task_id: str):  # type: ignore[no-untyped-def]
    """Complete the task with its filled-in template (multipart ``file``): 422 ``invalid_sheet``
    lists every bad row (``details.rows``: row number, column header, field, messages) and changes
    nothing; a file that is no Excel workbook (``unsupported_file_type``), the template of another
    task (``wrong_sheet``), a sheet over 5,000 rows or with a part over 10 MB unpacked
    (``sheet_too_large``) or a damaged workbook (``unreadable_sheet``) is refused."""
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the filled-in template as multipart field 'file'", {"file": ["required"]})
    actor = current_actor()
    return services().sheets.submit(actor, task_id, upload.stream, spreadsheets.language(), view=view_for(actor))
