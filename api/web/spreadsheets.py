"""The programme's registers, its targets report and a case's tables as Excel downloads.

Headers are in the reader's language through the same catalogues as the pages (Vietnamese
first): a page's reader gets the page's language, an API caller the ``lang`` parameter or else
``Accept-Language`` (Vietnamese when neither says ``vi`` or ``en``). The rows are the registry's
and the report's own, exactly as the JSON endpoints serve them; the cells stay numbers and dates
(``engine.sheets``). A process's tables (:meth:`ProcessPolicy.exports`) come as the generic
``Table`` of its panels, so this module names no process.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Any, Callable, Iterator, Mapping

from flask import Response, request
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from api.transfer import content_disposition
from api.web import services
from api.web.i18n import DEFAULT, LANGUAGES, lang, process_word, status_label
from api.web.session import READERS
from engine.errors import Forbidden, NotFound
from engine.files.kinds import XLSX
from engine.people.actors import Actor
from engine.policy import Badge, Table, Words
from engine.sheets import Column, Sheet, Typed, workbook_bytes
from engine.time import clock
from workflows import policy_for
from workflows.programme import registry, reports

#: Rows read from the registry per query while an export is built.
BATCH = 500
CATEGORIES = {"excellent_graduate": _l("Excellent graduate"), "young_scientist": _l("Young scientist"),
              "cbccvc": _l("Cadre, civil servant, public employee"), "expert": _l("Expert")}
TARGET_NAMES = {
    "exam_share": _l("Leadership appointments by competitive exam"),
    "talent_share_of_recruits": _l("Talents among new recruits"),
    "excellent_students_identified": _l("Excellent graduates identified"),
    "trained_in_st": _l("Talents trained in science and technology"),
    "retained_after_5_years": _l("Talents still serving 5 years after recognition"),
    "training_classes": _l("Dedicated training classes"),
    "partner_universities": _l("Partner universities"),
}
SOURCES = {"appointments": _l("appointments register"), "figures": _l("figures entered by hr"),
           "registry+figures": _l("talent registry and hr figures"), "reviews": _l("annual reviews"),
           "registry": _l("talent registry")}
SHARES = {"exam_share", "talent_share_of_recruits", "excellent_students_identified", "trained_in_st",
          "retained_after_5_years"}


def language() -> str:
    """The language of an export: the page's for a page; for the API ``lang``, then
    ``Accept-Language``, then Vietnamese."""
    if not request.path.startswith("/api/"):
        return lang()
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


@contextmanager
def in_language(code: str) -> Iterator[None]:
    with force_locale(code):
        yield


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (gettext("Yes") if value else gettext("No"))


def all_rows(fetch: Callable[..., dict[str, Any]], **filters: Any) -> list[dict[str, Any]]:
    """Every item of a paged registry query."""
    items, page = [], 1
    while True:
        got = fetch(page=page, per_page=BATCH, **filters)
        items += got["items"]
        if len(items) >= got["total"] or not got["items"]:
            return items
        page += 1


def talents_sheet(items: list[Mapping[str, Any]]) -> Sheet:
    columns = (Column(gettext("No.")), Column(gettext("Full name")), Column(gettext("Date of birth"), "date"),
               Column(gettext("Unit")), Column(gettext("Category")), Column(gettext("Field")),
               Column(gettext("Status")), Column(gettext("Recognised on"), "date"),
               Column(gettext("Decision number")), Column(gettext("Allowance (% of salary)"), "integer"),
               Column(gettext("Allowance from"), "date"), Column(gettext("Removed on"), "date"),
               Column(gettext("Removal reason")), Column(gettext("Source case"), "integer"))
    rows = [(t["id"], t["full_name"], t["birth_date"], t["unit"], str(CATEGORIES.get(t["category"], t["category"])),
             t["field"], status_label(t["status"]), t["recognised_on"], t["decision_no"], t["allowance_percent"],
             t["allowance_from"], t["removed_on"], t["removal_reason"], t["source_case_id"]) for t in items]
    return Sheet(gettext("Talent registry"), columns, rows)


def appointments_sheet(items: list[Mapping[str, Any]]) -> Sheet:
    columns = (Column(gettext("No.")), Column(gettext("Post")), Column(gettext("Level")), Column(gettext("Unit")),
               Column(gettext("Person appointed")), Column(gettext("Appointed on"), "date"),
               Column(gettext("By competitive exam")), Column(gettext("First appointment")),
               Column(gettext("Decision number")), Column(gettext("Term (years)"), "integer"),
               Column(gettext("Source case"), "integer"), Column(gettext("Recorded by")))
    rows = [(a["id"], a["post"], a["level"], a["unit"], a["person_name"], a["appointed_on"], _yes_no(a["via_exam"]),
             _yes_no(a["first_appointment"]), a["decision_no"], a["term_years"], a["source_case_id"],
             a["recorded_by"]) for a in items]
    return Sheet(gettext("Appointments register"), columns, rows)


def targets_sheets(report: Mapping[str, Any]) -> list[Sheet]:
    """The targets of the year, then the exam share city-wide and per unit."""
    def figure(key: str, value: Any) -> Any:
        return Typed(value, "percent" if key in SHARES else "integer") if value is not None else None

    met = {True: gettext("Met"), False: gettext("Not met"), None: None}
    targets = Sheet(gettext("Targets %(year)s", year=report["year"]),
                    (Column(gettext("Target")), Column(gettext("Measured")), Column(gettext("Target value")),
                     Column(gettext("Met")), Column(gettext("Source"))),  # as the dashboard heads them
                    [(str(TARGET_NAMES.get(t["key"], t["key"])), figure(t["key"], t["value"]),
                      figure(t["key"], t["target"]), met[t["met"]], str(SOURCES.get(t["source"], t["source"])))
                     for t in report["targets"]])
    share = report["exam_share"]
    units = Sheet(gettext("Exam share per unit"),
                  (Column(gettext("Unit code")), Column(gettext("Unit")),
                   Column(gettext("By competitive exam"), "integer"), Column(gettext("First appointments"), "integer"),
                   Column(gettext("Share"), "percent"), Column(gettext("Target value"), "percent"),
                   Column(gettext("Re-appointments not counted"), "integer")),
                  [(u["unit"], u["name"], u["exam"], u["total"], u["share"], u["target"], u["reappointments"])
                   for u in [share["city"], *share["units"]]])
    return [targets, units]


def _said(value: Any) -> Any:
    if isinstance(value, Badge):
        value = value.words
    if isinstance(value, Words):
        return process_word(value.text, **dict(value.values))
    return value


def _kind(values: list[Any], numeric: bool) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if numeric or (present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)):
        return "decimal"
    if present and all(isinstance(v, date) for v in present):
        return "date"
    return "text"


def table_sheet(name: str, table: Table) -> Sheet:
    """A process's table (:class:`engine.policy.Table`) as a sheet, its words in this request's language."""
    rows = [tuple(_said(cell) for cell in row.cells) for row in table.rows]
    columns = tuple(Column(_said(word), _kind([r[i] for r in rows if i < len(r)], i in table.numeric))
                    for i, word in enumerate(table.columns))
    return Sheet(_said(table.heading) if table.heading else name, columns, rows)


def download(name: str, content: bytes) -> Response:
    """An .xlsx answer: a download, never shown inline."""
    response = Response(content, mimetype=XLSX.media_type)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def workbook(name: str, sheets: list[Sheet]) -> Response:
    return download(name, workbook_bytes(sheets))


def _today() -> str:
    return clock.now().astimezone(clock.CITY_ZONE).date().isoformat()


# ------------------------------------------------------------------ the exports, checked as the JSON
def talents_export(actor: Actor, status: str | None = None, category: str | None = None,
                   unit: str | None = None) -> Response:
    """The registry as the reader may list it (a unit head: their units and below)."""
    if not actor.is_any(*READERS) and "unit_head" not in actor.roles:
        raise Forbidden("the registry is for hr, approvers, auditors and unit heads")
    within = None if actor.is_any(*READERS) else [path for role, path in actor.unit_roles if role == "unit_head"]
    with services().store.engine.connect() as conn:
        items = all_rows(lambda **page: registry.list_talents(conn, status=status, category=category, unit=unit,
                                                              within=within, **page))
    with in_language(language()):
        return workbook(f"nhan-tai-{_today()}.xlsx", [talents_sheet(items)])


def appointments_export(actor: Actor, **filters: Any) -> Response:
    if not actor.is_any(*READERS):
        raise Forbidden("the appointments register is for hr, approvers, auditors and admins")
    with services().store.engine.connect() as conn:
        items = all_rows(lambda **page: registry.list_appointments(conn, **filters, **page))
    with in_language(language()):
        return workbook(f"bo-nhiem-{_today()}.xlsx", [appointments_sheet(items)])


def targets_export(actor: Actor, year: int) -> Response:
    if not actor.is_any(*READERS):
        raise Forbidden("the targets report is for hr, approvers, auditors and admins")
    with services().store.engine.connect() as conn:
        report = reports.targets_report(conn, year)
    with in_language(language()):
        return workbook(f"chi-tieu-{year}.xlsx", targets_sheets(report))


def case_exports(actor: Actor, case_id: int) -> Mapping[str, Table]:
    """The tables a case offers the reader (404 for a case they may not know of)."""
    svc = services()
    with svc.store.read() as session:
        case = svc.reader.case_view(session, actor, svc.reader.visible_case(session, actor, case_id))
    return policy_for(case["process"]).exports(case, case["data"])


def case_export(actor: Actor, case_id: int, name: str) -> Response:
    table = case_exports(actor, case_id).get(name)
    if table is None:
        raise NotFound(f"case {case_id} has no export '{name}'")
    with in_language(language()):
        return workbook(f"ho-so-{case_id}-{name}.xlsx", [table_sheet(name, table)])


def task_template(actor: Actor, task_id: str) -> Response:
    """The task's sheet to fill in, headers in the reader's language."""
    code = language()
    with in_language(code):
        task, content = services().sheets.template(actor, task_id, code, lambda m: process_word(m))
    return download(f"mau-{task['form_key']}-{task['case_id']}.xlsx", content)
