"""A task completed from a spreadsheet: its template out, the filled-in sheet in, in one step.

The sheet is only another way of typing the form, so it goes through exactly what the form goes
through: the uploaded file is received within the file store's size limit and must be an Excel
workbook by its content (:func:`engine.files.detect`; a renamed executable is refused before
anything opens it); it is read back into the form's data (:mod:`engine.sheets.form_sheet`);
that data is validated by the form and then completed by :meth:`CaseService.complete` — the
normal completion, one transaction, the process's completion check inside it — so marks entered
by sheet are recorded exactly as if typed, with one ``task_completed`` event. Every problem of
every row is gathered first and answered together (422 ``invalid_sheet``, each with its row
number and column header); nothing changes unless every row is valid.

The workbook itself is not kept as a case file: the data it carried is in the completion's
event on the hash chain, and attaching the file would be a second transaction beside the
completion (``CaseFiles.attach``), which could commit while the completion fails or the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO, Callable, Mapping

from sqlalchemy.orm import Session

from engine.cases import CaseService, Reader
from engine.definitions.sandbox import check_data_keys
from engine.cases.delegation import REFUSED
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.files.kinds import XLSX, Refused, detect
from engine.files.storage import FileStore
from engine.people.actors import Actor
from engine.sheets import form_sheet
from engine.sheets.form_sheet import RowProblem, SheetForm

FormSchema = Callable[[str | None], Mapping[str, Any]]


class SheetInvalid(Invalid):
    """Rows of a sheet that the form or the process refuses (422 ``invalid_sheet``): ``details``
    holds ``rows``, each ``{"row", "column", "field", "messages"}``."""

    code = "invalid_sheet"

    def __init__(self, problems: list[RowProblem]) -> None:
        rows = sorted({p.row for p in problems if p.row is not None})
        where = f"rows {', '.join(map(str, rows))}" if rows else "the sheet"
        super().__init__(f"the sheet has errors in {where}; nothing was recorded",
                         {"rows": [p.as_dict() for p in sorted(problems, key=lambda p: (p.row is None, p.row or 0))]})
        self.problems = problems


def _not_a_workbook(why: str) -> Invalid:
    return Invalid(f"{why}: only an Excel workbook (.xlsx), the task's template filled in, is accepted",
                   {"file": [f"not an Excel workbook (.xlsx): {why}"]}, code="unsupported_file_type")


@dataclass
class TaskSheets:
    """Templates and uploads of the tasks whose form is a list of rows."""

    cases: CaseService
    reader: Reader
    storage: FileStore
    form_schema: FormSchema

    def form_of(self, session: Session, actor: Actor, task_id: str) -> tuple[dict[str, Any], SheetForm]:
        """The task (as the actor may see it) and its form as a sheet; 404 for a task the actor may
        not know of or whose form is no list of rows."""
        task, case_row = self.reader.task_view(session, actor, task_id)
        case = self.reader.case_view(session, actor, case_row)
        hints = self.cases.policy_for(case["process"]).form_hints(task["form_key"], case["data"])
        form = form_sheet.sheet_form(self.form_schema(task["form_key"]), hints)
        if form is None:
            raise NotFound(f"task {task_id} has no spreadsheet: its form is not a list of rows", code="no_sheet")
        return task, form

    @staticmethod
    def _identity(task: Mapping[str, Any]) -> dict[str, str]:
        return {"task": str(task["id"]), "case": str(task["case_id"]), "form": str(task["form_key"])}

    @staticmethod
    def _open_for(actor: Actor, task: Mapping[str, Any]) -> None:
        if task["status"] != "ready":
            raise Conflict(f"task {task['id']} is {task['status']}", code="task_not_ready")
        if not task["can_act"] and task.get("delegation_refused"):  # a council seat: said as the engine says it
            raise Forbidden(REFUSED[task["delegation_refused"]], code=task["delegation_refused"])
        if not task["can_act"]:
            raise Forbidden("the sheet of a task is for whoever may do it")

    def template(self, actor: Actor, task_id: str, language: str,
                 translate: Callable[[str], str]) -> tuple[dict[str, Any], bytes]:
        """The task and its template, headers in ``language`` (``translate``: the notes' header)."""
        with self.cases.store.read() as session:
            task, form = self.form_of(session, actor, task_id)
        self._open_for(actor, task)
        note = translate(form.note_header) if form.note_header else translate("Note")
        return task, form_sheet.template(form, self._identity(task), language, note)

    def submit(self, actor: Actor, task_id: str, stream: BinaryIO, language: str, view: Any = None) -> Any:
        """Complete the task with the data of the uploaded sheet, or refuse every bad row at once."""
        with self.cases.store.read() as session:
            task, form = self.form_of(session, actor, task_id)
        self._open_for(actor, task)
        received = self.storage.receive(stream)
        try:
            try:
                kind = detect(received.path)
            except Refused as err:
                raise _not_a_workbook(err.why) from None
            if kind is not XLSX:
                raise _not_a_workbook(f"the file is a {kind.name.upper()}")
            data, numbers, problems = form_sheet.read(received.path, form, self._identity(task), language)
        finally:
            self.storage.discard(received)
        try:  # the form's own check, to place every fault on its row before anything is written;
            # a sheet holds no file fields, so nothing is bound to the case here (the completion
            # validates again, binding inside its own transaction)
            check_data_keys(self.cases.steps.validate_form(task["form_key"], data))
        except Invalid as err:
            problems += form_sheet.problems_of(err.details, form, numbers, language)
        if problems:
            raise SheetInvalid(problems)
        try:
            return self.cases.complete(actor, task_id, data, view=view)
        except Invalid as err:
            if err.code != Invalid.code:
                raise
            raise SheetInvalid(form_sheet.problems_of(err.details, form, numbers, language)) from None
