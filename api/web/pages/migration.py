"""The admin's page for moving running cases to another version of their process: ``/admin/migrations``.

Choose the process and the two versions (and, if wanted, some case numbers); the page shows the dry
run as a table — per case, the tasks that move to the new version and those that have no
counterpart — and a confirm button that migrates exactly the cases shown, refusing any that changed
since (their ``version`` travels with the form). It calls what the API and ``talentflow migrate``
call (:class:`engine.cases.migration.CaseMigrations`); elements are shown by their names as drawn,
refusals in the reader's language by their code.
"""
from __future__ import annotations

import re
from typing import Any

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from api.web import bp, services
from api.web.i18n import status_label
from api.web.messages import refusal
from api.web.session import current_user, roles_required
from engine.cases.migration import CaseMigrations, Selection
from engine.errors import EngineError
from engine.store.models import ProcessDefinition

#: Why a case is refused, by the engine's code, in the pages' words.
REFUSED = {"no_counterpart": _l("It waits in a step the new version does not have."),
           "case_ended": _l("The case has ended."),
           "same_version": _l("The case is already on this version."),
           "stale_case": _l("The case changed after the preview: show the preview again."),
           "other_version": _l("The case is on another version."),
           "status_not_selected": _l("The case is not in a status chosen."),
           "other_process": _l("The case belongs to another process."),
           "case_state_unloadable": _l("The stored state of the case cannot be loaded."),
           "engine_error": _l("The case cannot run on the new version."),
           "dialect_changed": _l("The new version is read by another kind of BPMN parser (its extensions "
                                 "changed): a case cannot move between them.")}
OUTCOMES = {"can_migrate": _l("Can move"), "migrated": _l("Moved"), "refused": _l("Refused")}
_NUMBERS = re.compile(r"[\s,;]+")


def _versions() -> dict[str, dict[str, Any]]:
    """Deployed processes: key -> {name, versions}."""
    with services().store.read() as db:
        rows = db.execute(select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version)
                          .order_by(ProcessDefinition.key, ProcessDefinition.version)).all()
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(row.key, {"name": row.name or row.key, "versions": []})
        entry["versions"].append(row.version)
        entry["name"] = row.name or entry["name"]
    return out


#: ASCII digits only: ``str.isdigit`` also takes "²" and "٣", which ``int`` refuses or reads as 3.
_DIGITS = re.compile(r"[0-9]{1,9}")
#: The confirm form's cases, each with the ``version`` the preview saw: "12:3 14:1 ...". One field,
#: not one per case: a form of more than 1,000 fields is refused by the server before the page sees it.
_PAIR = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")


def _number(text: str | None) -> int | None:
    return int(text) if text and _DIGITS.fullmatch(text) and int(text) > 0 else None


def _expected(form: Any) -> dict[int, int] | None:
    """The cases (and their versions) the confirm form sends; None when one cannot be read."""
    expected = {}
    for part in _NUMBERS.split((form.get("expected") or "").strip()):
        if not part:
            continue
        pair = _PAIR.fullmatch(part)
        if pair is None:
            return None
        expected[int(pair.group(1))] = int(pair.group(2))
    for k, v in form.items():  # (the older form: one v_<case id> field per case)
        if k.startswith("v_"):
            case_id, version = _number(k[2:]), _number(v)
            if case_id is None or version is None:
                return None
            expected[case_id] = version
    return expected


def _selection(form: Any, processes: dict[str, Any]) -> tuple[Selection | None, dict[str, str]]:
    """The selection the form asks for, or why it cannot be read (field -> words)."""
    problems: dict[str, str] = {}
    key = form.get("process") or ""
    if key not in processes:
        problems["process"] = _("Choose a process.")
    to_version, from_version = _number(form.get("to_version")), _number(form.get("from_version"))
    if (form.get("from_version") or "").strip() and from_version is None:
        problems["from_version"] = _("Choose the version the cases are on, or leave it empty.")
    if to_version is None:
        problems["to_version"] = _("Choose the version to move the cases to.")
    elif from_version is not None and from_version == to_version:
        problems["to_version"] = _("Choose a version other than the one the cases are on.")
    cases_text = (form.get("case_ids") or "").strip()
    parts = [p for p in _NUMBERS.split(cases_text) if p]
    if any(_number(p) is None for p in parts) or len(parts) > 1000:
        problems["case_ids"] = _("Write case numbers separated by commas or spaces.")
    expected = _expected(form)
    if expected is None:
        problems["case_ids"] = _("Write case numbers separated by commas or spaces.")
    if problems:
        return None, problems
    case_ids = [int(p) for p in parts] or sorted(expected or {})
    return Selection(key, int(to_version), from_version, case_ids=case_ids,  # type: ignore[arg-type]
                     expected_versions=expected or {}), {}


def _shown(report: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """The report's cases as the table shows them: elements by name, refusals in words."""
    rows = []
    for case in report["cases"]:
        moves = [(names.get(m["element_id"], m["element_id"]), names.get(m["to_element_id"] or "", m["to_element_id"]))
                 for m in case["mapped"] if m["human"]]
        missing = sorted({names.get(m["element_id"], m["element_id"]) for m in case["removed"]})
        timers = ", ".join(names.get(t, t) for t in case.get("timers_restarted") or [])
        rows.append({"case_id": case["case_id"], "business_key": case["business_key"], "version": case["version"],
                     "timers": _("Timers that start again: %(names)s", names=timers) if timers else "",
                     "status": status_label(case["status"]), "outcome": str(OUTCOMES[case["outcome"]]),
                     "refused": case["outcome"] == "refused", "moves": moves, "missing": missing,
                     "why": str(REFUSED.get(case["code"] or "", _("The case cannot be moved.")))
                     if case["outcome"] == "refused" else ""})
    return rows


def _element_names(key: str, versions: list[int]) -> dict[str, str]:
    names: dict[str, str] = {}
    specs = services().cases.specs
    with services().store.read() as db:
        for version in versions:
            definition_id = db.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key,
                                                                         ProcessDefinition.version == version))
            if definition_id is not None:
                names.update(specs.get(db, definition_id).element_names())
    return names


@bp.route("/admin/migrations", methods=["GET", "POST"])
@roles_required("admin")
def migrations_page() -> Any:
    """GET with a selection: the dry run; POST: the migration of the cases the dry run showed."""
    processes = _versions()
    form = request.form if request.method == "POST" else request.args
    values = {k: form.get(k, "") for k in ("process", "from_version", "to_version", "case_ids")}
    context: dict[str, Any] = {"processes": processes, "values": values, "problems": {}, "report": None, "rows": []}
    if request.method == "GET" and not form.get("process"):
        return render_template("web/migrations.html", **context)
    selection, problems = _selection(form, processes)
    if selection is not None and request.method == "POST" and not selection.case_ids:
        selection, problems = None, {"case_ids": _("Write case numbers separated by commas or spaces.")}
    if selection is None:
        context["problems"] = problems
        return render_template("web/migrations.html", **context), 422
    migrations = CaseMigrations(services().cases.steps)
    try:
        if request.method == "POST":
            report = migrations.migrate(current_user(), selection)  # type: ignore[arg-type]
            counts = report["counts"]
            flash(_("%(moved)s cases moved, %(refused)s refused.", moved=counts["migrated"],
                    refused=counts["refused"]), "info")
        else:
            report = migrations.dry_run(current_user(), selection)  # type: ignore[arg-type]
    except EngineError as err:
        flash(refusal(err), "error")
        return render_template("web/migrations.html", **context), err.status
    versions = [v for v in (selection.from_version, selection.to_version) if v] or processes[selection.process_key][
        "versions"]
    context.update(report=report, rows=_shown(report, _element_names(selection.process_key, versions)))
    return render_template("web/migrations.html", **context)
