"""The case runner across service processes: the workflow cache never serves a stale case."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.store.database import Store
from engine.errors import CaseFailed, Conflict
from engine.store.models import Case, Task, User
from engine.people.actors import Actor, actor_for
from tests.conftest import proposal
from workflows import build_service


def actor(store: Store, username: str) -> Actor:
    with store.read() as session:
        return actor_for(session, session.scalar(select(User).where(User.username == username)))


def ready(case: dict[str, Any], element_id: str) -> str:
    return next(t["id"] for t in case["tasks"] if t["element_id"] == element_id)


def view(service):  # type: ignore[no-untyped-def]
    """Answer commands with the case as the test sees it (all data, ready tasks)."""
    from engine.cases.views import Reader
    from workflows import policy_for

    reader = Reader(policy_for, service.specs)
    return lambda conn, case: reader.case_view(conn, Actor(user_id=0, username="test"), case)


def test_two_service_processes_stepping_one_case_never_use_a_stale_workflow(store: Store):
    # Two CaseServices on one database stand for two server processes, each with its own cache.
    first, second = build_service(store), build_service(store)
    head, mentor, hr = actor(store, "head_khcn"), actor(store, "expert1"), actor(store, "hr")

    case = first.start(head, "training_nomination", proposal(), view=view(first))
    case = second.complete(mentor, ready(case, "mentor_assessment"),
                           {"recommendation": "support", "mentor_comment": "ok"}, view=view(second))
    # `first` still caches the workflow as it was before the mentor's step; it must notice.
    case = first.complete(head, ready(case, "unit_head_approval"), {"decision": "approve"}, view=view(first))
    assert [t["element_id"] for t in case["tasks"]] == ["hr_enrolment"]
    case = second.complete(hr, ready(case, "hr_enrolment"), {"class_code": "A1", "class_start": "2026-05-04"},
                           view=view(second))
    case = first.complete(head, ready(case, "report_attendance"), {"completed": True}, view=view(first))
    assert case["status"] == "trained"
    assert case["data"]["recommendation"] == "support" and case["data"]["class_code"] == "A1"


def test_a_claim_keeps_the_cached_workflow_usable(store: Store):
    service = build_service(store)
    head, mentor = actor(store, "head_khcn"), actor(store, "expert1")
    case = service.start(head, "training_nomination", proposal(), view=view(service))
    task = ready(case, "mentor_assessment")
    service.claim(mentor, task)
    with store.read() as session:
        version = session.get(Case, case["id"]).version
    assert service.workflows.take(case["id"], version) is not None


def test_a_failed_step_leaves_no_workflow_in_the_cache(store: Store, auth):
    with open("tests/data/script_fails.bpmn", "rb") as fh:
        assert auth.as_("admin").post("/api/v1/processes", data={"file": (fh, "script_fails.bpmn")}).status_code == 201
    service = build_service(store)
    admin = actor(store, "admin")
    case = service.start(admin, "script_fails", {}, view=view(service))
    with pytest.raises(CaseFailed):
        service.complete(admin, case["tasks"][0]["id"], {"value": 1})
    with store.read() as session:
        row = session.get(Case, case["id"])
        assert row.status == "error"
        assert session.get(Task, case["tasks"][0]["id"]).status == "ready"
    assert service.workflows.take(case["id"], row.version) is None
    with pytest.raises(Conflict):
        service.complete(admin, case["tasks"][0]["id"], {"value": 2})


def test_checking_a_completion_validates_it_and_writes_nothing(store: Store):
    """A page shows a sheet back for review after :meth:`CaseService.check`: the form and the actor are
    checked as the completion would check them, and the case, its tasks and its history stay as they were."""
    from engine.errors import Forbidden, Invalid
    from engine.store.models import Event

    service = build_service(store)
    head, mentor = actor(store, "head_khcn"), actor(store, "expert1")
    case = service.start(head, "training_nomination", proposal(), view=view(service))
    task = ready(case, "mentor_assessment")

    def as_stored() -> tuple[int, str, int]:
        with store.read() as session:
            return (session.get(Case, case["id"]).version, session.get(Task, task).status,
                    len(session.scalars(select(Event.id).where(Event.case_id == case["id"])).all()))

    before = as_stored()
    assert service.check(mentor, task, {"recommendation": "support", "mentor_comment": "ok"})["recommendation"] \
        == "support"
    with pytest.raises(Invalid):
        service.check(mentor, task, {"recommendation": "maybe"})
    with pytest.raises(Forbidden):
        service.check(head, task, {"recommendation": "support"})
    assert as_stored() == before == (before[0], "ready", before[2])
    case = service.complete(mentor, task, {"recommendation": "support", "mentor_comment": "ok"}, view=view(service))
    assert case["data"]["recommendation"] == "support"
