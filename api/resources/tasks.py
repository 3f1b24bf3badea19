"""Human tasks: worklists, one task with its form, claim, release, complete."""
from __future__ import annotations

from api.blueprint import Blueprint

from api.auth import current_actor
from api.resources import services
from api.resources.cases import view_for
from api.schemas import CaseOut, TaskComplete, TaskDetail, TaskOut, TaskPage, TaskQuery
from workflows import form_schema

blp = Blueprint("tasks", __name__, description="Human tasks")


@blp.get("/tasks")
@blp.arguments(TaskQuery, location="query")
@blp.response(200, TaskPage)
def worklist(args):  # type: ignore[no-untyped-def]
    """``scope=mine`` (claimed by or assigned to me), ``available`` (I may claim), or ``all``."""
    svc = services()
    case_id = args.pop("case", None)
    with svc.store.read() as session:
        return svc.reader.worklist(session, current_actor(), case_id=case_id, **args).as_dict()


@blp.get("/tasks/<taskid:task_id>")
@blp.response(200, TaskDetail)
def get_task(task_id: str):  # type: ignore[no-untyped-def]
    """The task, its form as JSON Schema, and the case data the caller may see."""
    svc, actor = services(), current_actor()
    with svc.store.read() as session:
        task, case = svc.reader.task_view(session, actor, task_id)
        task["case"] = svc.reader.case_view(session, actor, case)
    task["form"] = form_schema(task["form_key"])
    return task


def _task_out(task_id: str) -> dict:
    svc = services()
    with svc.store.read() as session:
        task, _ = svc.reader.task_view(session, current_actor(), task_id)
    return task


@blp.post("/tasks/<taskid:task_id>/claim")
@blp.response(200, TaskOut)
def claim(task_id: str):  # type: ignore[no-untyped-def]
    services().cases.claim(current_actor(), task_id)
    return _task_out(task_id)


@blp.post("/tasks/<taskid:task_id>/release")
@blp.response(200, TaskOut)
def release(task_id: str):  # type: ignore[no-untyped-def]
    services().cases.release(current_actor(), task_id)
    return _task_out(task_id)


@blp.post("/tasks/<taskid:task_id>/complete")
@blp.arguments(TaskComplete)
@blp.response(200, CaseOut)
def complete(body, task_id: str):  # type: ignore[no-untyped-def]
    """Complete the task with ``data`` (validated by its form); answers the case."""
    actor = current_actor()
    return services().cases.complete(actor, task_id, body["data"], view=view_for(actor))
