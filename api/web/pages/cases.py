"""Cases: the list, one case (status, data, timeline, diagram), and starting a new one."""
from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from api.web import bp, diagrams, services
from api.web.pages import documents, formfields, formpost, panels
from api.web.pages.directory import directory_choices
from api.web.errors import error_page
from api.web.messages import bad_json, refusal
from api.web.pages.readable import Readable
from api.web.i18n import STATUSES, role_label, status_label
from api.web.session import current_user
from api.web.pages.tasks import form_message
from api.web.pages.worklist import process_names
from engine.cases.paging import MAX_OFFSET
from engine.errors import EngineError, Invalid, NotFound
from engine.people.directory import display_names
from workflows import form_schema, policy_for, status_labels

PER_PAGE = 25
#: The deepest page a page number reaches (engine.cases.paging.MAX_OFFSET rows); the API pages further by cursor.
MAX_PAGE = MAX_OFFSET // PER_PAGE + 1


@bp.get("/cases")
def cases() -> Any:
    svc, actor = services(), current_user()
    process = request.args.get("process") or None
    status = request.args.get("status") or None
    try:
        page = min(max(1, int(request.args.get("page", "1"))), MAX_PAGE)
    except ValueError:
        page = 1
    with svc.store.read() as db:
        processes = process_names(db)
        listing = svc.reader.list_cases(db, actor, process=process, status=status, page=page, per_page=PER_PAGE)
        people = display_names(db, [c["created_by"] for c in listing.items])
    pages = max(1, -(-listing.total // PER_PAGE))
    if not listing.total_exact:  # counted up to a cap: more rows than that, and a page more while there is a next
        pages = min(max(-(-(listing.total + 1) // PER_PAGE), listing.page + (1 if listing.next else 0)), MAX_PAGE)
    statuses = {key: status_label(key) for key in (*STATUSES, *status_labels()) if key != "ready"}
    return render_template("web/cases.html", listing=listing, processes=processes, process=process,
                           status=status, pages=pages, pager=pager(min(listing.page, pages), pages),
                           statuses=statuses, people=people)


def pager(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page links to show: the first, the last and a few around ``page``; None stands for a gap.
    Thousands of cases must not make thousands of links (nor a keyboard user tab through them)."""
    shown = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for number in shown:
        if out and number - (out[-1] or 0) > 1:
            out.append(None)
        out.append(number)
    return out


def timeline(events: list[dict[str, Any]], readable: Readable | None = None) -> list[dict[str, Any]]:
    """Events as lines of the timeline: what happened to which task, by whom (``who``: their display
    name), when; an element by its name in the diagram, an assignment by the role's words."""
    names: dict[str, str] = {}
    lines = []
    person = readable.person if readable else (lambda username: username or "")
    element = readable.element if readable else (lambda element_id: element_id)
    for event in events:
        data = event.get("data") or {}
        if event["type"] == "task_created" and event.get("task_id"):
            names[event["task_id"]] = data.get("name") or element(data.get("element_id") or "")
        what = names.get(event.get("task_id") or "", element(data.get("element_id") or ""))
        assigned = data.get("assigned_to") or ""
        detail = data.get("reason") or (readable.assignee(assigned) if readable and assigned else assigned)
        if event["type"] in ("file_attached", "file_removed") and data.get("name"):
            detail = f'{data["name"]}: {detail}' if detail else data["name"]  # a sealed file has no name here
        if event["type"] == "case_migrated" and isinstance(data.get("to"), dict):  # moved to another version
            detail = f'v{(data.get("from") or {}).get("version")} → v{data["to"].get("version")}'
        if data.get("username") and data.get("role"):
            detail = f'{person(data["username"])}: {role_label(data["role"])}'  # a seat granted or revoked
        lines.append({**event, "what": what, "detail": detail, "who": person(event.get("actor")),
                      "for_whom": person(event["on_behalf_of"]) if event.get("on_behalf_of") else ""})
    return lines


@bp.get("/cases/<int(max=9223372036854775807):case_id>")
def case_page(case_id: int) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        row = svc.reader.visible_case(db, actor, case_id)
        case = svc.reader.case_view(db, actor, row)
        events = svc.files.seal_history(db, actor, case_id, svc.reader.history(db, actor, case_id))
        drawing = diagrams.case_svg(db, svc.reader.specs, row)
        names = process_names(db)
        files, comments = svc.files.files(db, actor, case_id), svc.files.comments(db, actor, case_id)
        may_add, may_sign = svc.files.may_add(db, actor, case_id), svc.files.may_sign(db, actor, case_id)
        papers = documents.documents_view(db, actor, case_id, files)
        readable = Readable(db, svc.reader.specs.get(db, row.definition_id), case["process"], case["data"], events,
                            names, actor=actor)
    mine = {e["data"].get("element_id") for e in events if e["type"] == "task_completed" and e["actor"] == actor.username}
    return render_template("web/case.html", case=case, events=timeline(events, readable), diagram=drawing,
                           shown_data=readable.data(case["data"]), created_by=readable.person(case["created_by"]),
                           files=files, comments=comments, may_add=may_add, may_sign=may_sign, documents=papers,
                           signed_choices=documents.signed_of_choices(files, papers),
                           max_file_mb=f"{int(current_app.config['MAX_FILE_BYTES']) / (1024 * 1024):g}",
                           panel=panels.panel_of(case, frozenset(mine), readable.people),
                           process_name=names.get(case["process"], case["process"]), my_done=mine,
                           is_auditor=actor.is_any("auditor", "admin"),
                           exports=policy_for(case["process"]).exports(case, case["data"]))


@bp.get("/cases/new")
def new_case() -> Any:
    actor = current_user()
    with services().store.read() as db:
        processes = {key: name for key, name in process_names(db).items()
                     if policy_for(key).may_start_somewhere(actor)}
    return render_template("web/new_case.html", processes=processes)


def _start_schema(process: str) -> dict[str, Any]:
    return form_schema(policy_for(process).start_form)


def _render_start(process: str, name: str, values: Any = None, errors: Any = None, extra: Any = None,
                  business_key: str = "", status: int = 200, message: str | None = None) -> Any:
    schema = _start_schema(process)
    policy = policy_for(process)
    hints = policy.form_hints(policy.start_form, {})
    choices = {**directory_choices(schema, policy, current_user()), **hints.choices}
    fields = formfields.build(schema, hints.values if values is None else values, errors, choices=choices,
                              fixed=hints.fixed, notes=hints.notes, extra_rows=extra)
    return render_template("web/start.html", process=process, process_name=name, schema=schema, fields=fields,
                           business_key=business_key, error_message=message,
                           problems=formfields.problems(fields, errors) if errors else []), status


@bp.route("/cases/new/<name:process>", methods=["GET", "POST"])
def start_case(process: str) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        names = process_names(db)
    if process not in names:
        raise NotFound(f"unknown process '{process}'")
    if not policy_for(process).may_start_somewhere(actor):  # refused before any form is filled
        return error_page(403, _("You may not start this process."))
    if request.method == "GET":
        return _render_start(process, names[process])
    schema = _start_schema(process)
    business_key = (request.form.get("business_key") or "").strip()[:255]
    changed = formpost.rows_changed(schema, request.form)
    if changed is not None:
        return _render_start(process, names[process], changed[0], extra=changed[1], business_key=business_key)
    try:
        data, index = formpost.parse(schema, request.form)
    except formpost.BadJson as err:
        return _render_start(process, names[process], None, {"data": [bad_json(err)]}, business_key=business_key,
                             status=422)
    try:
        case_id = svc.cases.start(actor, process, data, business_key or None)
    except Invalid as err:
        return _render_start(process, names[process], formpost.resubmitted(schema, request.form),
                             formpost.shown_errors(err.details, index), business_key=business_key, status=422,
                             message=form_message(err))
    except EngineError as err:  # e.g. a unit outside the starter's scope: the form as typed, and why
        return _render_start(process, names[process], formpost.resubmitted(schema, request.form),
                             business_key=business_key, status=err.status,
                             message=_("You may not start this process for the unit you chose.")
                             if err.status == 403 else _("The case could not be started: %(why)s", why=refusal(err)))
    flash(_("Case #%(id)s started.", id=case_id), "ok")
    return redirect(url_for("web.case_page", case_id=case_id))
