"""The dashboard (the resolution's targets for a year, overdue work per unit) and the talent registry.

The figures are ``workflows.programme.reports.targets_report`` and the registry's own
queries, exactly as the JSON API serves them; charts are inline SVG drawn on
the server by ``api.web.charts``. A unit head sees the dashboard of their own units (their units
and the units below them: ``reports.units_report``, the same as ``GET /api/v1/reports/targets``
answers them) and never a figure of another unit or of the whole city.
"""
from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.engine import Connection

from api.web import charts
from api.web import bp, services
from api.web.diagrams import embed
from api.web.pages.talent import talent_scope
from api.web.i18n import lang, status_label
from api.web.session import READERS, current_user
from api.web.spreadsheets import CATEGORIES, SHARES, SOURCES, TARGET_NAMES
from engine.store import backlog
from engine.errors import Forbidden
from engine.people.actors import Actor
from engine.time import clock
from engine.store.models import Unit
from workflows.programme import registry, reports



def dashboard_scope(actor: Actor) -> list[str] | None:
    """The unit subtrees whose figures ``actor`` reads on the dashboard: None for the whole city (hr,
    approvers, auditors, admins), a unit head's units; anyone else none (403)."""
    if actor.is_any(*READERS):
        return None
    within = [path for role, path in actor.unit_roles if role == "unit_head"]
    if not within:
        raise Forbidden(str(_l("The dashboard is for hr, approvers, auditors and unit heads.")))
    return within


def overdue_by_unit(db: Connection, within: list[str] | None = None) -> list[dict[str, Any]]:
    """Open tasks and overdue tasks per unit of their case, most overdue first (``within``: only the
    cases of units in those subtrees).

    The open figure is the engine's backlog counter (``engine.store.backlog``: a few rows per unit,
    kept in each step's transaction, so exact), the overdue one a range scan of the ready tasks due
    before now: the page costs the same with 100 000 open tasks as with 10 000."""
    names = {row.id: row for row in db.execute(select(Unit.id, Unit.code, Unit.name, Unit.path))}
    units: dict[str | None, dict[str, Any]] = {}
    for unit_id, (open_, late) in backlog.open_and_overdue(db, clock.now()).items():
        unit = names.get(unit_id) if unit_id is not None else None
        if within is not None and not (unit is not None and unit.path.startswith(tuple(within))):
            continue
        code = unit.code if unit is not None else None
        entry = units.setdefault(code, {"unit": code, "name": (unit.name if unit is not None else None) or "—",
                                        "open": 0, "overdue": 0})
        entry["open"] += open_
        entry["overdue"] += late
    return sorted(units.values(), key=lambda u: (-u["overdue"], -u["open"], u["unit"] or ""))


def _year() -> int:
    this_year = clock.now().astimezone(clock.CITY_ZONE).year
    try:
        year = int(request.args.get("year", this_year))
    except ValueError:
        return this_year
    return year if 2000 <= year <= 2100 else this_year


@bp.get("/dashboard")
def dashboard() -> Any:
    year = _year()
    within = dashboard_scope(current_user())
    with services().store.engine.connect() as conn:
        if within is None:
            report = reports.targets_report(conn, year)
        else:
            report = reports.units_report(conn, year, within)
        backlog = overdue_by_unit(conn, within)
    units = report["exam_share"]["units"]
    # the charts say in words what they show; the tables beside them hold the same figures
    share_chart = embed(charts.share_bars([(u["unit"], u["share"]) for u in units],
                                           target=report["exam_share"]["target"], locale=lang(),
                                           title=str(_l("Share of leadership appointments by exam, per unit"))))
    backlog_chart = embed(charts.count_columns(
        [(u["unit"] or "—", [u["open"], u["overdue"]]) for u in backlog], series=[str(_l("Open")), str(_l("Overdue"))],
        locale=lang(), title=str(_l("Open and overdue tasks per unit")))) if backlog else None
    return render_template("web/dashboard.html", year=year, report=report, backlog=backlog,
                           share_chart=share_chart, backlog_chart=backlog_chart, names=TARGET_NAMES, shares=SHARES,
                           sources=SOURCES)


@bp.get("/talents")
def talents() -> Any:
    within = talent_scope(current_user())
    status = request.args.get("status") or None
    category = request.args.get("category") or None
    unit = request.args.get("unit") or None
    with services().store.engine.connect() as conn:
        units = {r.code: r.code for r in conn.execute(select(Unit.code).order_by(Unit.path))}
        page = registry.list_talents(conn, status=status if status in registry.TALENT_STATUSES else None,
                                     category=category if category in CATEGORIES else None,
                                     unit=unit if unit in units else None, within=within, per_page=200)
    return render_template("web/talents.html", page=page, status=status, category=category, unit=unit,
                           units=units, categories=CATEGORIES,
                           statuses={key: status_label(key) for key in registry.TALENT_STATUSES})
