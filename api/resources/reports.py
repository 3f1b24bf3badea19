"""The resolution's targets report and the yearly figures hr enters for it.

hr, approvers, auditors and admins read the whole city's report; a unit head reads the report of
their own units (their units and those below them, ``reports.units_report``: the exam share of
those units, with ``scope`` naming them) and never another unit's or the city's figures.
"""
from __future__ import annotations

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from api.schemas import FiguresIn, TargetsReport, YearArgs
from engine.audit import events as audit
from engine.errors import Forbidden
from workflows.programme import registry, reports

blp = Blueprint("reports", __name__, description="Targets of Resolution 17")

READERS = ("hr_officer", "approver", "auditor", "admin")


@blp.get("/reports/targets")
@blp.arguments(YearArgs, location="query")
@blp.alt_response(200, schema=TargetsReport, success=True, description="the report (sent as built, not re-dumped)")
def targets(args):  # type: ignore[no-untyped-def]
    """Each target for ``year``: the exam share city-wide and per unit, registry and hr figures; for a
    unit head, the exam share of their units only (``scope``: their units' codes)."""
    actor = current_actor()
    within = None if actor.is_any(*READERS) else [path for role, path in actor.unit_roles if role == "unit_head"]
    if within == []:
        raise Forbidden("the targets report is for hr, approvers, auditors, admins and unit heads")
    with services().store.engine.connect() as conn:
        if within is None:
            return reports.targets_report(conn, args["year"])
        return reports.units_report(conn, args["year"], within)


@blp.post("/reports/figures")
@blp.arguments(FiguresIn)
@blp.alt_response(200, schema=TargetsReport, success=True, description="the year's report with the new figures")
def enter_figures(body):  # type: ignore[no-untyped-def]
    """(hr) Enter or correct a year's figures: new_recruits, talent_recruits, excellent_graduates,
    training_classes, partner_universities."""
    actor = current_actor()
    if not actor.is_any("hr_officer", "admin"):
        raise Forbidden("only hr enters the yearly figures")
    with services().store.command() as conn:
        for key, value in sorted(body["figures"].items()):
            registry.set_figure(conn, year=body["year"], key=key, value=value, recorded_by=actor.username)
        chain = audit.global_chain(conn)
        chain.add("figures_entered", actor.username, data=body)
        chain.write(conn)
        return reports.targets_report(conn, body["year"])
