"""A grid of tasks of one kind: every open task the reader may do, one row each, saved row by row.

A unit head with thirty-four assessments due on 15 December should not open thirty-four pages in
no particular order. When a process offers a task as a grid (``ProcessPolicy.task_grid``), this page
lists each open task of that kind the reader may do as a row: what the row is about (the policy's
``grid_row``: a talent's name, unit, category, years on the list), the form's inputs, its deadline
and a save button. Each row is a form of its own (its inputs carry ``form="row-…"``), posted to the
row's task and completed exactly as on the task page (:func:`api.web.pages.tasks.complete_posted`:
the same checks, the same event, one step per row; an unclaimed task is claimed by completing it).
A refused row comes back with its messages beside its inputs and what was typed; a saved row leaves
the grid anchored at the next one; a row whose task closed meanwhile (its deadline passed, a
colleague completed or claimed it) brings the grid back saying so. Sorting is by links
(``?sort=name|unit|due``), so it works without JavaScript. A task that was never the reader's to do,
of another kind, or of no grid, is "not found", worded as any missing page.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from api.web import bp, services
from api.web.i18n import process_word
from api.web.messages import refusal
from api.web.pages import formfields, taskkinds
from api.web.pages.tasks import Refused, complete_posted
from api.web.session import current_user
from engine.cases.search import search_key
from engine.cases.worklist import case_roles, may_act
from engine.errors import EngineError, NotFound
from engine.people.actors import Actor
from engine.policy import GridSpec
from engine.store.models import Case, Task, Unit
from workflows import form_schema, policy_for

SORTS = ("name", "unit", "due")
_ELEMENT = "string(maxlength=255)"


@dataclass
class GridInput(formfields.Input):
    """An input of one row: its id names the row (the same field is on every row), and it belongs to
    the row's own form, wherever in the table it stands."""

    row: str = ""

    @property
    def id(self) -> str:
        return f"r-{self.row}-{self.name}"

    @property
    def form(self) -> str:
        return f"save-{self.row}"


def _spec_or_404(process: str, element_id: str, form_key: str | None = None) -> GridSpec:
    spec = taskkinds.grid_of(process, element_id, form_key)
    if spec is None:
        raise NotFound(f"no grid for {process}/{element_id}")
    return spec


def _inputs(schema: Mapping[str, Any], spec: GridSpec, task_id: str, refused: Refused | None) -> list[GridInput]:
    """The row's inputs: the grid's fields of the form, showing what a refused post typed."""
    props = schema.get("properties") or {}
    shown = {"properties": {name: props[name] for name in spec.fields if name in props},
             "required": [name for name in schema.get("required") or [] if name in spec.fields]}
    built = formfields.build(shown, refused.values if refused else None, refused.errors if refused else None)
    out = []
    for field in built:
        row_input = GridInput(**vars(field), row=task_id)
        if row_input.kind == "radio":
            row_input.kind = "select"  # inside a table row a select is clearer than a radio group
        out.append(row_input)
    return out


def _other_errors(errors: Mapping[str, Any], spec: GridSpec) -> list[str]:
    """Messages about no input of the row (the form's whole-form rules, a field the grid leaves out)."""
    said: list[str] = []

    def collect(value: Any) -> None:
        if isinstance(value, str):
            said.append(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                collect(item)
        elif isinstance(value, Mapping):
            for item in value.values():
                collect(item)

    for key, value in errors.items():
        if key not in spec.fields:
            collect(value)
    return said


def _rows(db: Any, process: str, element_id: str, spec: GridSpec, sort: str,
          refused: Mapping[str, Refused]) -> list[dict[str, Any]]:
    """One row per open task of the kind the reader may do, in the order asked for."""
    actor, policy = current_user(), policy_for(process)
    tasks = taskkinds.open_tasks(db, actor, process, element_id)
    cases = {c.id: c for c in db.scalars(select(Case).where(Case.id.in_([t.case_id for t in tasks])))} if tasks else {}
    units = dict(db.execute(select(Unit.code, Unit.name)).all())
    rows = []
    for task in tasks:
        case = cases[task.case_id]
        data = policy.visible_data(case.data or {}, actor, case_roles(db, actor, case.id))
        about = policy.grid_row(element_id, data)
        name = about.name or task.subject or task.name
        failed = refused.get(task.id)
        rows.append({"task": task, "name": name, "unit": units.get(about.unit, about.unit) if about.unit else None,
                     "facts": about.facts, "refused": failed,
                     "other_errors": _other_errors(failed.errors, spec) if failed else [],
                     "inputs": _inputs(form_schema(task.form_key), spec, task.id, refused.get(task.id))})
    by_name = lambda row: (search_key(row["name"]), row["task"].id)  # noqa: E731
    if sort == "unit":
        rows.sort(key=lambda row: (search_key(row["unit"] or ""), *by_name(row)))
    elif sort == "due":
        rows.sort(key=lambda row: (row["task"].due_at is None, row["task"].due_at or 0, *by_name(row)))
    else:
        rows.sort(key=by_name)
    return rows


def _gone(db: Any, actor: Actor, task: Mapping[str, Any]) -> str | None:
    """Why a row the reader had on their grid cannot be saved now, or None if the task was never
    theirs to do (then it is "not found", as any task not theirs). Between showing the grid and saving a
    row, the deadline may pass (the timers cancel the task), a colleague may complete the task or claim
    it: the reader is told so in their grid, not shown a missing page."""
    name = task["subject"] or task["name"]
    if task["status"] == "completed" and task["completed_by"] == actor.username:
        return _("This task is no longer open.")  # saved twice: two tabs, a double click
    row = db.get(Task, task["id"])
    if not may_act(actor, row, case_roles(db, actor, row.case_id)):
        return None
    if task["status"] == "cancelled":
        return _("“%(task)s” is no longer open: it was closed before it was done (its deadline passed or its "
                 "case ended). What was typed in its row was not saved.", task=name)
    if task["status"] == "completed":
        return _("“%(task)s” is no longer open: someone else completed it first. What was typed in its row "
                 "was not saved.", task=name)
    if task["claimed_by"] not in (None, actor.username):
        return _("“%(task)s” was taken by someone else and has left your grid. What was typed in its row was "
                 "not saved.", task=name)
    return None


def _sort() -> str:
    asked = request.args.get("sort")
    return asked if asked in SORTS else "name"


def render_grid(process: str, element_id: str, refused: Mapping[str, Refused] | None = None,
                status: int = 200) -> Any:
    svc, actor = services(), current_user()
    spec, sort = _spec_or_404(process, element_id), _sort()
    with svc.store.read() as db:
        rows = _rows(db, process, element_id, spec, sort, refused or {})
        done, total, held = taskkinds.progress(db, actor, process, element_id)
    schema = form_schema(rows[0]["task"].form_key) if rows else {}
    dues = [row["task"].due_at for row in rows if row["task"].due_at]
    return render_template(
        "web/grid.html", process=process, element_id=element_id, rows=rows, sort=sort, sorts=SORTS,
        title=process_word(spec.title), subject=process_word(spec.subject),
        facts=[process_word(fact) for fact in spec.facts], done=done, total=total, held=held,
        progress=process_word(spec.progress, done=done, total=total),
        columns=[(schema.get("properties") or {}).get(name, {}) for name in spec.fields] if rows else [],
        deadline=min(dues) if dues else None), status


@bp.get(f"/tasks/grid/<{_ELEMENT}:process>/<{_ELEMENT}:element_id>")
def task_grid(process: str, element_id: str) -> Any:
    return render_grid(process, element_id)


@bp.post(f"/tasks/grid/<{_ELEMENT}:process>/<{_ELEMENT}:element_id>/<taskid:task_id>")
def save_grid_row(process: str, element_id: str, task_id: str) -> Any:
    svc, actor, sort = services(), current_user(), _sort()
    with svc.store.read() as db:
        try:
            task, _case = svc.reader.task_view(db, actor, task_id)
        except NotFound:
            task = None
        if task is None or (task["process"], task["element_id"]) != (process, element_id) \
                or taskkinds.grid_of(process, element_id, task["form_key"]) is None:
            raise NotFound(f"task {task_id} not found")  # a task not yours to do here is no task at all
        if not task["can_act"]:
            gone = _gone(db, actor, task)
            if gone is None:
                raise NotFound(f"task {task_id} not found")
            flash(gone, "error")
            return redirect(url_for("web.task_grid", process=process, element_id=element_id, sort=sort))
        order = [row["task"].id for row in _rows(db, process, element_id, _spec_or_404(process, element_id), sort, {})]
    grid_url = url_for("web.task_grid", process=process, element_id=element_id, sort=sort)
    try:
        failed = complete_posted(task, form_schema(task["form_key"]), request.form)
    except EngineError as err:
        flash(_("The task could not be completed: %(why)s", why=refusal(err)), "error")
        return redirect(f"{grid_url}#row-{task_id}")
    if failed is not None:
        return render_grid(process, element_id, {task_id: failed}, status=422)
    at = order.index(task_id) if task_id in order else 0
    after = [other for other in order[at + 1:] + order[:at] if other != task_id]
    flash(_("Saved: %(task)s.", task=task["subject"] or task["name"]), "ok")
    if after:
        taskkinds.flash_link(_("Next task:"), f"#row-{after[0]}", _("the next row"))
        return redirect(f"{grid_url}#row-{after[0]}")
    taskkinds.flash_link(_("No more tasks of this kind."), url_for("web.worklist"), _("Back to my work"))
    return redirect(grid_url)
