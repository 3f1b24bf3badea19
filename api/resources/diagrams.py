"""Diagrams: a process version, and a case with its progress marked (SVG)."""
from __future__ import annotations

from flask import Response, request
from marshmallow import Schema, fields, validate

from api.auth import current_actor
from api.blueprint import Blueprint
from api.resources import services
from engine.diagram import render as diagram
from engine.replay import rerun as replay

blp = Blueprint("diagrams", __name__, description="Process diagrams as SVG")

_SVG_DOC = {"responses": {"200": {"description": "the diagram", "content": {
    "image/svg+xml": {"schema": {"type": "string"}}}},
    "422": {"description": "the process has no diagram (BPMNDI) to draw, or the query is invalid",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}}
#: The picture holds no script and loads nothing; say so to browsers opening it directly.
_HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
            "X-Content-Type-Options": "nosniff"}


class ProcessDiagramQuery(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the process version (default: the latest)"})
    labels = fields.Boolean(load_default=True, metadata={"description": "draw names (false: a bare outline)"})


class CaseDiagramQuery(Schema):
    at = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                        metadata={"description": "the case as it was after this event (replayed)"})
    labels = fields.Boolean(load_default=True)


def _svg(text: str, etag: str | None = None) -> Response:
    response = Response(text, mimetype="image/svg+xml", headers=_HEADERS)
    response.headers["Cache-Control"] = "private, no-cache"
    if etag:
        response.set_etag(etag)
        response.make_conditional(request)
    return response


@blp.get("/processes/<name:key>/diagram.svg")
@blp.arguments(ProcessDiagramQuery, location="query")
@blp.doc(**_SVG_DOC)
def process_diagram(args, key: str):  # type: ignore[no-untyped-def]
    """The diagram of a deployed process version; any signed-in user."""
    current_actor()
    with services().store.read() as session:
        row = diagram.definition_row(session, key, args.get("version"))
        svg = diagram.render_svg(row.sources, row.key, labels=args["labels"])
        etag = f"{row.sha256}-{int(args['labels'])}"
    return _svg(svg, etag)


@blp.get("/cases/<int(max=9223372036854775807):case_id>/diagram.svg")
@blp.arguments(CaseDiagramQuery, location="query")
@blp.doc(**_SVG_DOC)
def case_diagram(args, case_id: int):  # type: ignore[no-untyped-def]
    """The case's process diagram: completed, active and overdue elements marked (``at``: after event N)."""
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        case = svc.reader.visible_case(session, actor, case_id)
        if args.get("at") is None:
            marks = diagram.case_marks(session, svc.cases.specs, case)
        else:
            past = replay.state_at(svc.cases, session.connection(), case.id, args["at"])
            marks = diagram.Marks(frozenset(past["completed_element_ids"]), frozenset(past["active_element_ids"]))
        svg = diagram.case_diagram(session, svc.cases.specs, case, marks, labels=args["labels"])
    return _svg(svg)
