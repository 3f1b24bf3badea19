"""Substitutes and reassignment on the pages: ``/substitutes`` and the task page's "give to someone else".

``/substitutes`` is each user's own page for their substitute while they are away (ủy quyền), and
hr's, the admin's and a unit head's page for the people of their units: the same form, with the
absent person to choose for whoever may set it for others, and the substitutions they may see.
It calls what the API calls (``engine.people.substitutes`` with ``workflows.substitute_rules``),
so a refusal is the same refusal, worded here in the reader's language.

The task page includes ``web/_task_people.html``: "thay cho Nguyễn Văn A" for a substitute, and for
whoever may give the task to another candidate (``ProcessPolicy.may_reassign``) a form naming its
candidates and asking why (``CaseService.reassign``).
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from api.web import bp, services
from api.web.formats import parse_day
from api.web.messages import field_errors, refusal
from api.web.session import current_user
from engine.cases import delegation
from engine.errors import EngineError, Invalid, NotFound
from engine.people import directory, substitutes
from engine.people.actors import Actor
from engine.store.models import Task, Unit, User
from workflows import policy_for, substitute_rules


def _people(db: Any, actor: Actor) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(whom ``actor`` may set a substitute for, everyone who may be one): (username, name) by name."""
    rules = substitute_rules()
    rows = db.execute(select(User.username, User.display_name, Unit.path).outerjoin(Unit, Unit.id == User.unit_id)
                      .where(User.active.is_(True)).order_by(User.display_name, User.username)).all()
    everyone = [(row.username, row.display_name or row.username) for row in rows]
    if actor.is_any(*rules.managers):
        return everyone, everyone
    mine = [(row.username, row.display_name or row.username) for row in rows if row.username == actor.username
            or (row.path and any(actor.has_role(role, row.path) for role in rules.unit_managers))]
    return mine, everyone


def _listing(db: Any, actor: Actor, absentees: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The substitutions ``actor`` may see: all for hr and admins, else those of the people they manage
    and their own; each marked whether ``actor`` may end it."""
    rules = substitute_rules()
    if actor.is_any(*rules.managers):
        rows = substitutes.listing(db)
    else:
        managed = {name for name, _ in absentees}
        rows = [s for s in substitutes.listing(db) if s["absent"] in managed or actor.username
                in (s["absent"], s["substitute"])]
    for row in rows:
        row["may_end"] = row["absent"] in {name for name, _ in absentees} and row["ended_at"] is None \
            and row["ends_on"] >= substitutes.city_today()
    return rows


def _render(values: dict[str, str] | None = None, errors: dict[str, list[str]] | None = None,
            message: str | None = None, status: int = 200) -> Any:
    actor = current_user()
    with services().store.read() as db:
        absentees, everyone = _people(db, actor)
        rows = _listing(db, actor, absentees)
    values = values or {"absent": actor.username}
    return render_template("web/substitutes.html", rows=rows, absentees=absentees, everyone=everyone,
                           values=values, errors=errors or {}, error_message=message), status


@bp.get("/substitutes")
def substitutes_page() -> Any:
    return _render()


@bp.post("/substitutes")
def substitute_set() -> Any:
    """Set a substitute from the form; a refusal re-shows the form as typed, with why beside each field."""
    actor, form = current_user(), request.form
    values = {key: (form.get(key) or "").strip() for key in ("absent", "substitute", "starts_on", "ends_on", "reason")}
    days = {key: parse_day(values[key]) for key in ("starts_on", "ends_on")}
    errors = {key: [_("Write the day as dd/mm/yyyy, e.g. 15/12/2026.")] for key, day in days.items() if day is None}
    if not values["substitute"]:
        errors["substitute"] = [_("Required.")]
    if errors:
        return _render(values, errors, _("The form has errors: see the messages next to the fields."), 422)
    try:
        with services().store.transaction() as db:
            absent = directory.get_user(db, values["absent"] or actor.username)
            chosen = directory.get_user(db, values["substitute"])
            first, last = days["starts_on"], days["ends_on"]
            assert first is not None and last is not None  # checked above
            substitutes.set_substitute(db, actor, absent, chosen, first, last, substitute_rules(), values["reason"])
    except Invalid as err:
        return _render(values, field_errors(err.details), refusal(err), 422)
    except EngineError as err:
        return _render(values, {}, refusal(err), err.status)
    flash(_("The substitute is set."), "ok")
    return redirect(url_for("web.substitutes_page"))


@bp.post("/substitutes/<int(max=9223372036854775807):substitute_id>/end")
def substitute_end(substitute_id: int) -> Any:
    try:
        with services().store.transaction() as db:
            substitutes.end_substitute(db, current_user(), substitute_id, substitute_rules())
    except EngineError as err:
        flash(refusal(err), "error")
    else:
        flash(_("The substitution has ended."), "ok")
    return redirect(url_for("web.substitutes_page"))


def task_people(task: dict[str, Any]) -> dict[str, Any]:
    """What the task page shows about who does the task: the candidates to give it to, for whoever may."""
    actor = current_user()
    with services().store.read() as db:
        row = db.get(Task, task["id"])
        if row is None or row.status != "ready" or not policy_for(row.process_key).may_reassign(actor, row.unit_path):
            return {"candidates": []}
        return {"candidates": delegation.candidates(db, row)}


@bp.app_context_processor
def _task_people() -> dict[str, Any]:
    return {"task_people": task_people}


@bp.post("/tasks/<taskid:task_id>/reassign")
def task_reassign(task_id: str) -> Any:
    """Give the task to another candidate with a reason; why not, in the reader's language, above the page."""
    try:
        services().cases.reassign(current_user(), task_id, request.form.get("to", ""), request.form.get("reason", ""))
    except NotFound:
        raise
    except EngineError as err:
        flash(_("The task was not given to someone else: %(why)s", why=refusal(err)), "error")
    else:
        flash(_("The task is given to someone else; the case's history says why."), "ok")
    return redirect(url_for("web.task_page", task_id=task_id))
