"""What a migration does to the worklist: a task the new version runs by itself is cancelled and the
next one created (the runner's ``task_cancelled`` / ``task_created``), a task that stays keeps its
row, renamed as the new version names it; replay follows both.

tests/data/migration/review_v1.bpmn: check_paper (a person) -> sign_paper; review_v2.bpmn: check_paper
is a script task, sign_paper is renamed. A case in error moves too: the fixed version is how an
admin unsticks it (scoring_v1.bpmn fails in a script, scoring_v2.bpmn does not).
"""
from __future__ import annotations

from engine.cases.migration import Selection
from engine.replay.rerun import replay_case
from tests.api.support import DATA, case_row, deployed, events, start, task_row
from tests.engine.cases.migration_cases import actor, forget_cached, migrations
from tests.helpers import complete, ready_task

PROCESS = "paper_review"


def test_a_task_the_new_version_runs_by_itself_is_cancelled_and_the_next_one_created(auth, store, service):
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v1.bpmn").read_bytes())
    case = start(auth, "hr", PROCESS)
    check = ready_task(case, "check_paper")
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v2.bpmn").read_bytes())
    report = migrations(service).migrate(actor(store, "admin"), Selection(PROCESS, 2, case_ids=[case["id"]]))
    assert report["counts"]["migrated"] == 1, report
    forget_cached(service, [case["id"]])
    assert task_row(store, check["id"]).status == "cancelled"
    types = [e.type for e in events(store, case["id"])]
    assert types[types.index("case_migrated"):] == ["case_migrated", "task_cancelled", "task_created"]
    [created] = events(store, case["id"], "task_created")[-1:]
    assert created.data["element_id"] == "sign_paper" and created.data["name"] == "Sign the checked paper"
    case = auth.as_("hr").get(f"/api/v1/cases/{case['id']}").get_json()
    assert case["data"]["checked"] is True
    done = complete(auth, "hr", ready_task(case, "sign_paper")["id"], {})
    assert done["status"] == "completed"
    with store.read() as session:
        result = replay_case(service, session.connection(), case["id"])
    assert result.consistent, result.as_dict()


def test_a_task_that_stays_keeps_its_row_renamed_as_the_new_version_names_it(auth, store, service):
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v1.bpmn").read_bytes())
    case = start(auth, "hr", PROCESS)
    case = complete(auth, "hr", ready_task(case, "check_paper")["id"], {"note": "ok"})
    sign = ready_task(case, "sign_paper")
    auth.as_("hr").post(f"/api/v1/tasks/{sign['id']}/claim")
    deployed(auth, "review.bpmn", (DATA / "migration" / "review_v2.bpmn").read_bytes())
    before = case_row(store, case["id"]).event_seq
    migrations(service).migrate(actor(store, "admin"), Selection(PROCESS, 2, from_version=1))
    forget_cached(service, [case["id"]])
    row = task_row(store, sign["id"])
    assert (row.status, row.name, row.claimed_by_id is not None) == ("ready", "Sign the checked paper", True)
    assert [e.type for e in events(store, case["id"])][before:] == ["case_migrated"]
    done = complete(auth, "hr", sign["id"], {})
    assert done["status"] == "completed"
    with store.read() as session:
        result = replay_case(service, session.connection(), case["id"])
    assert result.consistent, result.as_dict()


def test_a_case_in_error_moves_to_the_fixed_version_and_the_admins_retry_runs_on_it(auth, store, service):
    """scoring_v1.bpmn divides by zero after check_paper; scoring_v2.bpmn is the fix."""
    deployed(auth, "scoring.bpmn", (DATA / "migration" / "scoring_v1.bpmn").read_bytes())
    case = start(auth, "hr", "paper_scoring")
    check = ready_task(case, "check_paper")
    failed = auth.as_("hr").post(f"/api/v1/tasks/{check['id']}/complete", json={"data": {"pages": 12}})
    assert failed.status_code == 422 and case_row(store, case["id"]).status == "error", failed.get_json()
    deployed(auth, "scoring.bpmn", (DATA / "migration" / "scoring_v2.bpmn").read_bytes())
    report = migrations(service).migrate(actor(store, "admin"), Selection("paper_scoring", 2, from_version=1))
    assert report["counts"]["migrated"] == 1, report
    forget_cached(service, [case["id"]])
    assert (case_row(store, case["id"]).status, task_row(store, check["id"]).status) == ("error", "ready")
    retried = auth.as_("admin").post(f"/api/v1/cases/{case['id']}/retry")
    assert retried.status_code == 200, retried.get_json()
    case = retried.get_json()
    assert case["status"] == "running" and case["data"]["score"] == 24
    assert complete(auth, "hr", ready_task(case, "sign_paper")["id"], {})["status"] == "completed"
    with store.read() as session:
        result = replay_case(service, session.connection(), case["id"])
    assert result.consistent, result.as_dict()
