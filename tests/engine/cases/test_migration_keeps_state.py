"""What a move to another version must keep or put right (found in review): the case's data, a
relabelled timer's due time, a claim its holder may no longer have; and what it must refuse per
case without failing the batch: a version read by another parser family, an engine error."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.audit.verify import verify_all
from engine.cases import migration_plan
from engine.cases.migration import Selection
from engine.replay.rerun import replay_case, state_at
from engine.store.models import Task
from tests.api.support import API, case_row, deployed, events, start, task_row
from tests.engine.cases.migration_cases import actor, forget_cached, migrations
from tests.helpers import complete

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D" targetNamespace="http://x">\n')


def doc(key: str, body: str) -> bytes:
    return (HEAD + f'<bpmn:process id="{key}" name="{key}" isExecutable="true">' + body +
            '</bpmn:process></bpmn:definitions>').encode()


def parallel(b_name: str) -> bytes:
    """Two branches a and b, joined before z."""
    return doc("par", f'''<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="a" name="A"><bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="b" name="{b_name}"><bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing></bpmn:userTask>
    <bpmn:parallelGateway id="join"><bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming><bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:endEvent id="e"><bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="fork"/>
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="a"/><bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="b"/>
    <bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join"/><bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="e"/>''')


def waiting(label: str, duration: str = "PT2H", after: str = "After") -> bytes:
    """A timer catch event, then a user task."""
    return doc("itmr", f'''<bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="{label}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"{duration}"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="after" name="{after}"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/><bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e"/>''')


def laned(lane: str) -> bytes:
    return doc("lanep", f'''<bpmn:laneSet id="ls"><bpmn:lane id="L1" name="{lane}"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
    <bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="T"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/>''')


def simple(extension: str = "") -> bytes:
    return doc("plainp", f'''<bpmn:startEvent id="s"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="T">{extension}<bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="f1" sourceRef="t" targetRef="e"/>''')


CAMUNDA = ('<bpmn:extensionElements><camunda:properties><camunda:property name="kind" value="x"/>'
           '</camunda:properties></bpmn:extensionElements>')


def ready(store, case_id, element=None):
    with store.read() as s:
        rows = s.execute(select(Task.id, Task.element_id).where(Task.case_id == case_id, Task.status == "ready"))
        return [r.id for r in rows if element is None or r.element_id == element]


def move(store, service, key, to, case_ids):
    report = migrations(service).migrate(actor(store, "admin"), Selection(key, to, case_ids=list(case_ids)))
    forget_cached(service, list(case_ids))
    return report


def replays_consistently(store, service, case_id):
    with store.read() as s:
        result = replay_case(service, s.connection(), case_id)
        assert result.consistent, result.as_dict()
        assert verify_all(s.connection()).ok


def test_a_moved_case_keeps_its_data_in_its_row_its_api_and_its_history(auth, store, service):
    deployed(auth, "par.bpmn", parallel("B"))
    case = start(auth, "hr", "par", {"applicant": "Nguyễn Văn A"})
    complete(auth, "hr", ready(store, case["id"], "a")[0], {"x": 1})
    before = auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()["data"]
    assert before == {"applicant": "Nguyễn Văn A", "x": 1}
    deployed(auth, "par.bpmn", parallel("B2"))
    assert move(store, service, "par", 2, [case["id"]])["counts"]["migrated"] == 1
    assert case_row(store, case["id"]).data == before
    assert auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()["data"] == before
    [migrated] = events(store, case["id"], "case_migrated")
    with store.read() as s:
        assert state_at(service, s.connection(), case["id"], migrated.seq)["data"] == before
    replays_consistently(store, service, case["id"])
    complete(auth, "hr", ready(store, case["id"], "b")[0], {"y": 2})
    assert case_row(store, case["id"]).data == {**before, "y": 2}
    replays_consistently(store, service, case["id"])


def test_a_case_moved_while_its_timer_waits_keeps_its_start_data(auth, store, service, manual_clock):
    deployed(auth, "itmr.bpmn", waiting("Wait"))
    case = start(auth, "hr", "itmr", {"applicant": "Nguyễn Văn A", "score": 7})
    deployed(auth, "itmr.bpmn", waiting("Wait", after="After 2"))
    assert move(store, service, "itmr", 2, [case["id"]])["counts"]["migrated"] == 1
    assert case_row(store, case["id"]).data == {"applicant": "Nguyễn Văn A", "score": 7}
    replays_consistently(store, service, case["id"])


def test_relabelling_a_waiting_timer_keeps_its_due_time_and_a_new_duration_restarts_it(
        auth, store, service, manual_clock):
    deployed(auth, "itmr.bpmn", waiting("Wait"))
    case = start(auth, "hr", "itmr")
    due = case_row(store, case["id"]).next_timer_at
    manual_clock.advance(timedelta(minutes=30))
    deployed(auth, "itmr.bpmn", waiting("Wait (new label)"))
    report = move(store, service, "itmr", 2, [case["id"]])
    assert report["counts"]["migrated"] == 1
    assert report["cases"][0]["timers_restarted"] == []
    assert case_row(store, case["id"]).next_timer_at == due
    replays_consistently(store, service, case["id"])

    deployed(auth, "itmr.bpmn", waiting("Wait (new label)", duration="PT3H"))
    admin = actor(store, "admin")
    dry = migrations(service).dry_run(admin, Selection("itmr", 3, case_ids=[case["id"]]))
    assert dry["cases"][0]["timers_restarted"] == ["wait"]
    assert move(store, service, "itmr", 3, [case["id"]])["counts"]["migrated"] == 1
    assert case_row(store, case["id"]).next_timer_at == manual_clock.now() + timedelta(hours=3)
    replays_consistently(store, service, case["id"])


def test_a_claim_whose_holder_lost_the_tasks_role_in_the_new_version_is_released(auth, store, service):
    deployed(auth, "lanep.bpmn", laned("hr_officer"))
    case = start(auth, "hr", "lanep")
    [task_id] = ready(store, case["id"])
    assert auth.as_("hr").post(f"{API}/tasks/{task_id}/claim").status_code in (200, 204)
    deployed(auth, "lanep.bpmn", laned("approver"))
    assert move(store, service, "lanep", 2, [case["id"]])["counts"]["migrated"] == 1
    row = task_row(store, task_id)
    assert (row.role, row.claimed_by_id) == ("approver", None)
    [released] = events(store, case["id"], "task_released")
    assert (released.task_id, released.actor, released.data["element_id"]) == (task_id, "admin", "t")
    replays_consistently(store, service, case["id"])
    assert auth.as_("approver").post(f"{API}/tasks/{task_id}/claim").status_code in (200, 204)


def test_a_claim_whose_holder_stays_a_candidate_is_kept(auth, store, service):
    deployed(auth, "lanep.bpmn", laned("hr_officer"))
    case = start(auth, "hr", "lanep")
    [task_id] = ready(store, case["id"])
    auth.as_("hr").post(f"{API}/tasks/{task_id}/claim")
    claimed_by = task_row(store, task_id).claimed_by_id
    assert claimed_by is not None
    deployed(auth, "lanep.bpmn", laned("hr_officer").replace(b'name="T"', b'name="T2"'))
    assert move(store, service, "lanep", 2, [case["id"]])["counts"]["migrated"] == 1
    assert task_row(store, task_id).claimed_by_id == claimed_by
    assert events(store, case["id"], "task_released") == []


def test_a_version_read_by_another_parser_family_is_refused_per_case_not_a_500(auth, store, service):
    deployed(auth, "plainp.bpmn", simple())
    cases = [start(auth, "hr", "plainp")["id"] for _ in range(2)]
    deployed(auth, "plainp.bpmn", simple(CAMUNDA))
    body = {"process": "plainp", "to_version": 2}
    dry = auth.as_("admin").post(f"{API}/migrations/dry-run", json=body)
    assert dry.status_code == 200, dry.get_json()
    assert [c["code"] for c in dry.get_json()["cases"]] == ["dialect_changed", "dialect_changed"]
    done = auth.as_("admin").post(f"{API}/migrations", json=body)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["counts"]["refused"] == 2
    assert {case_row(store, c).definition_id for c in cases} == {case_row(store, cases[0]).definition_id}
    assert events(store, cases[0], "case_migrated") == []


def test_an_engine_error_comparing_one_case_refuses_that_case_and_the_others_move(auth, store, service, monkeypatch):
    deployed(auth, "par.bpmn", parallel("B"))
    first = start(auth, "hr", "par", {"unreadable": True})["id"]
    second = start(auth, "hr", "par")["id"]
    deployed(auth, "par.bpmn", parallel("B2"))
    real = migration_plan.plan

    def plan(workflow, old, new):  # the library failing on one case's state
        if any(task.data.get("unreadable") for task in workflow.get_tasks()):
            raise AttributeError("'NoneType' object has no attribute 'spec'")
        return real(workflow, old, new)

    monkeypatch.setattr(migration_plan, "plan", plan)
    admin = actor(store, "admin")
    dry = migrations(service).dry_run(admin, Selection("par", 2))
    assert [(c["case_id"], c["code"]) for c in dry["cases"]] == [(first, "engine_error"), (second, None)]
    report = migrations(service).migrate(admin, Selection("par", 2))
    forget_cached(service, [first, second])
    assert [(c["case_id"], c["outcome"]) for c in report["cases"]] == [(first, "refused"), (second, "migrated")]
    assert "'NoneType' object" in report["cases"][0]["reason"]
    assert events(store, first, "case_migrated") == [] and len(events(store, second, "case_migrated")) == 1
