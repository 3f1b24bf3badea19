"""Auditor pages: a case's history step by step, its replay verdict, and chain verification.

The state after step N and the replay are the audit engine's
(``engine.replay``), the verification ``engine.audit.verify``'s; these pages only
show their answers. The step slider is a plain GET form (a range input and a
button), so it works without JavaScript; three lines of script submit it when
the slider is released.
"""
from __future__ import annotations

from typing import Any

from flask import current_app, render_template, request

from api.web import bp, diagrams, services
from api.web.pages.cases import timeline
from api.web.pages.readable import Readable
from api.web.session import current_user, roles_required
from api.web.pages.worklist import process_names
from engine.audit import checkpoints as checkpoint
from engine.replay import rerun as replay
from engine.cases.worklist import case_roles

AUDITORS = ("auditor", "admin")


def _step(raw: str | None, last: int) -> int:
    try:
        step = int(raw) if raw else last
    except ValueError:
        step = last
    return min(max(step, 1), last) if last else 0


def _page(case_id: int, step: int | None, verdict: dict[str, Any] | None = None) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        row = svc.reader.visible_case(db, actor, case_id)
        case = svc.reader.case_view(db, actor, row)
        history = svc.files.seal_history(db, actor, case_id, svc.reader.history(db, actor, case_id))
        names = process_names(db)
        readable = Readable(db, svc.reader.specs.get(db, row.definition_id), case["process"], case["data"], history,
                            names, actor=actor)
        events = timeline(history, readable)
        step = _step(request.args.get("step"), len(events)) if step is None else step
        state, drawing = None, None
        if step:
            state = replay.state_at(svc.cases, db.connection(), case_id, step)
            # the data as this user may see it, as GET /cases/{id}/state does
            state["data"] = svc.cases.policy_for(row.process_key).visible_data(
                state["data"], actor, case_roles(db, actor, case_id))
            drawing = diagrams.marked_svg(db, row.definition_id, completed=state["completed_element_ids"],
                                          active=state["active_element_ids"])
            state = {**state, "data": readable.data(state["data"]), "tasks": [_task_line(t, readable)
                                                                              for t in state["tasks"]]}
    current = next((e for e in events if e["seq"] == step), None)
    if current is not None:
        current = {**current, "data": readable.event_data(current.get("data") or {})}
    return render_template("web/audit_case.html", case=case, events=events, step=step, current=current,
                           state=state, diagram=drawing, verdict=verdict,
                           process_name=names.get(case["process"], case["process"]))


def _task_line(task: dict[str, Any], readable: Readable) -> dict[str, Any]:
    """A task of the replayed state: who could act by the role's words or the person's name, who did by name."""
    return {**task, "candidates": [readable.assignee(c) for c in task.get("candidates") or []],
            "completed_by": readable.person(task.get("completed_by")) if task.get("completed_by") else None,
            "claimed_by": readable.person(task.get("claimed_by")) if task.get("claimed_by") else None}


@bp.get("/audit/cases/<int(max=9223372036854775807):case_id>")
@roles_required(*AUDITORS)
def audit_case(case_id: int) -> Any:
    return _page(case_id, None)


@bp.post("/audit/cases/<int(max=9223372036854775807):case_id>/replay")
@roles_required(*AUDITORS)
def audit_replay(case_id: int) -> Any:
    svc = services()
    with svc.store.read() as db:
        svc.reader.visible_case(db, current_user(), case_id)  # 404 for an unknown case
        verdict = replay.replay_case(svc.cases, db.connection(), case_id).as_dict()
    return _page(case_id, None, verdict)


@bp.route("/audit/verify", methods=["GET", "POST"])
@roles_required(*AUDITORS)
def audit_verify() -> Any:
    """Verify every chain, against the latest signed checkpoint when there is one (as the API does)."""
    report = None
    if request.method == "POST":
        svc = services()
        with svc.store.read() as db:
            report = checkpoint.verify_against_latest(db.connection(), str(current_app.config["SECRET_KEY"]),
                                                      svc.files.storage.check).as_dict()
    return render_template("web/audit_verify.html", report=report)
