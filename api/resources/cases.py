"""Cases: start, list, read, cancel, retry, history."""
from __future__ import annotations

from api.blueprint import Blueprint

from flask import jsonify

from api.auth import current_actor
from api.resources import services
from api.schemas import CaseOut, CasePage, CaseQuery, CaseStart, EventOut, Reason

blp = Blueprint("cases", __name__, description="Cases")


def view_for(actor, status: int = 200):  # type: ignore[no-untyped-def]
    """Answer a command with the case as ``actor`` sees it, read in the command's transaction.

    The answer is JSON already (the view has the shape of ``CaseOut``, which documents it), so
    flask-smorest passes it through instead of dumping it through the schema again."""
    reader = services().reader

    def answer(session, case):  # type: ignore[no-untyped-def]
        response = jsonify(reader.case_view(session, actor, case))
        response.status_code = status
        return response

    return answer


def case_out(case_id: int) -> dict:
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        case = svc.reader.visible_case(session, actor, case_id)
        return svc.reader.case_view(session, actor, case)


@blp.post("/cases")
@blp.arguments(CaseStart)
@blp.response(201, CaseOut)
def start_case(body):  # type: ignore[no-untyped-def]
    """Start a case of the latest version of ``process`` with ``data``."""
    actor = current_actor()
    return services().cases.start(actor, body["process"], body["data"], body["business_key"],
                                  view=view_for(actor, 201))


@blp.get("/cases")
@blp.arguments(CaseQuery, location="query")
@blp.response(200, CasePage)
def list_cases(args):  # type: ignore[no-untyped-def]
    """Cases the caller may see, newest first; filter by process, status, business key."""
    svc = services()
    with svc.store.read() as session:
        return svc.reader.list_cases(session, current_actor(), **args).as_dict()


@blp.get("/cases/<int(max=9223372036854775807):case_id>")
@blp.response(200, CaseOut)
def get_case(case_id: int):  # type: ignore[no-untyped-def]
    return case_out(case_id)


@blp.post("/cases/<int(max=9223372036854775807):case_id>/cancel")
@blp.arguments(Reason)
@blp.response(200, CaseOut)
def cancel_case(body, case_id: int):  # type: ignore[no-untyped-def]
    """Cancel a running case; a reason is required and recorded."""
    actor = current_actor()
    return services().cases.cancel(actor, case_id, body["reason"], view=view_for(actor))


@blp.post("/cases/<int(max=9223372036854775807):case_id>/retry")
@blp.response(200, CaseOut)
def retry_case(case_id: int):  # type: ignore[no-untyped-def]
    """(admin) Re-run the command that put the case in error, on its last good state."""
    actor = current_actor()
    return services().cases.retry(actor, case_id, view=view_for(actor))


@blp.post("/cases/<int(max=9223372036854775807):case_id>/skip-failed-children")
@blp.arguments(Reason)
@blp.response(200, CaseOut)
def skip_failed_children(body, case_id: int):  # type: ignore[no-untyped-def]
    """(admin) For a parent whose planned child cases could not start (incident command
    ``child_starts``): drop them, with a reason kept in its history, and let it go on without them."""
    actor = current_actor()
    return services().cases.skip_failed_children(actor, case_id, body["reason"], view=view_for(actor))


@blp.get("/cases/<int(max=9223372036854775807):case_id>/history")
@blp.response(200, EventOut(many=True))
def case_history(case_id: int):  # type: ignore[no-untyped-def]
    """The case's audit events, in order."""
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        return svc.files.seal_history(session, actor, case_id, svc.reader.history(session, actor, case_id))
