"""A process's diagram on a page of its own, and the diagrams as SVG alone, for the pages' readers.

Why: a diagram on a case or task page is fitted to the column; someone who wants it bigger, printed
or beside the form opens it alone (the link under every diagram). The API serves the same SVGs to
bearer tokens (``api/resources/diagrams.py``); these routes serve them to a signed-in page session,
with the same rule for who may see a case (the ``Reader``: a case one may not see is a 404).
``/processes/<key>/diagram`` shows a process as deployed, for anyone signed in (``/cases/new``
offers a process; this shows how it goes before one starts it).
"""
from __future__ import annotations

from typing import Any

from flask import Response, render_template

from api.web import bp, diagrams, services
from api.web.session import current_user
from engine.diagram import render as diagram
from engine.replay import rerun as replay

#: The picture alone holds no script and loads nothing; its own <style> is all it needs.
SVG_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
               "X-Content-Type-Options": "nosniff"}


def _svg(drawing: str) -> Response:
    return Response(drawing, mimetype="image/svg+xml", headers=SVG_HEADERS)


@bp.get("/processes/<key>/diagram")
def process_diagram_page(key: str) -> Any:
    current_user()
    with services().store.read() as db:
        row = diagram.definition_row(db, key)
        drawing = diagrams.marked_svg(db, row.id)
    return render_template("web/process_diagram.html", key=row.key, name=row.name or row.key,
                           version=row.version, diagram=drawing)


@bp.get("/processes/<key>/diagram.svg")
def process_diagram_svg(key: str) -> Any:
    current_user()
    with services().store.read() as db:
        row = diagram.definition_row(db, key)
        return _svg(diagram.render_svg(row.sources, row.key, texts=diagrams.texts()))


@bp.get("/cases/<int(max=9223372036854775807):case_id>/diagram.svg")
@bp.get("/cases/<int(max=9223372036854775807):case_id>/diagram-<int(max=2147483647):at>.svg")
def case_diagram_svg(case_id: int, at: int | None = None) -> Any:
    """The case as it is now, or after its event ``at`` (an audit step)."""
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        case = svc.reader.visible_case(db, actor, case_id)
        if at is None:
            marks = diagram.case_marks(db, svc.reader.specs, case)
        else:
            past = replay.state_at(svc.cases, db.connection(), case.id, at)
            marks = diagram.Marks(frozenset(past["completed_element_ids"]), frozenset(past["active_element_ids"]))
        return _svg(diagram.case_diagram(db, svc.reader.specs, case, marks, texts=diagrams.texts()))
