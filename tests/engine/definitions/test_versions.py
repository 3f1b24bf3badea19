"""Deploying process versions: same content is the same version, new content a new one, cases stay pinned."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import func, select

import forms
from engine.time import clock
from engine.store.database import Store
from engine.definitions.versions import SpecCache, deploy, sources_for
from engine.store.models import Case, Event, ProcessDefinition, Task, User
from engine.people.actors import Actor, actor_for
from engine.definitions.specs import DefinitionInvalid, SourceFile
from tests.conftest import proposal
from workflows import BPMN_DIR

DATA = Path(__file__).resolve().parents[2] / "data"
TRAINING = BPMN_DIR / "training_nomination.bpmn"


def training_sources(**replace: str) -> list[SourceFile]:
    content = TRAINING.read_text(encoding="utf-8")
    for old, new in replace.items():
        assert old in content
        content = content.replace(old, new)
    return [SourceFile(TRAINING.name, content.encode("utf-8"))]


#: Version 2 of the nomination: a rejection is now recorded as "declined".
DECLINED = {'case_outcome = "rejected"': 'case_outcome = "declined"'}


def deploy_now(store: Store, sources: list[SourceFile],
               form_exists: Callable[[str], bool] | None = forms.exists) -> tuple[int, int, bool]:
    """Deploy in its own transaction; (definition id, version, created)."""
    with store.transaction() as session:
        row, created = deploy(session, sources, "admin", form_exists)
        return row.id, row.version, created


def versions(store: Store, key: str) -> list[tuple[int, str]]:
    with store.read() as session:
        return list(session.execute(select(ProcessDefinition.version, ProcessDefinition.sha256)
                                    .where(ProcessDefinition.key == key).order_by(ProcessDefinition.version)))


def row_counts(store: Store) -> tuple[int, int]:
    with store.read() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0,
                session.scalar(select(func.count()).select_from(Event)) or 0)


def actor(store: Store, username: str) -> Actor:
    with store.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        return actor_for(session, user)


def ready_task_id(store: Store, case_id: int, element_id: str) -> str:
    with store.read() as session:
        task_id = session.scalar(select(Task.id).where(Task.case_id == case_id, Task.element_id == element_id,
                                                       Task.status == "ready"))
    assert task_id is not None, f"no ready {element_id} in case {case_id}"
    return task_id


def case_row(store: Store, case_id: int) -> Case:
    with store.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        return case


def reject(store: Store, service: Any, case_id: int) -> str:
    """Mentor advises against, the unit head rejects; the case's final status."""
    service.complete(actor(store, "expert1"), ready_task_id(store, case_id, "mentor_assessment"),
                     {"recommendation": "not_support", "mentor_comment": "Chưa phù hợp"})
    service.complete(actor(store, "head_khcn"), ready_task_id(store, case_id, "unit_head_approval"),
                     {"decision": "reject", "decision_reason": "Chưa đủ điều kiện"})
    return case_row(store, case_id).status


def test_the_same_content_twice_is_one_version(store: Store, manual_clock: clock.ManualClock) -> None:
    review = [SourceFile("review.bpmn", (DATA / "spiff_review.bpmn").read_bytes())]
    first_id, first_version, created = deploy_now(store, review, form_exists=None)
    assert (first_version, created) == (1, True)
    manual_clock.advance(timedelta(hours=1))
    again_id, again_version, created_again = deploy_now(store, review, form_exists=None)
    assert (again_id, again_version, created_again) == (first_id, 1, False)
    assert [v for v, _ in versions(store, "spiff_review")] == [1]
    with store.read() as session:
        row = session.get(ProcessDefinition, first_id)
        assert row is not None
        assert (row.dialect, row.deployed_by) == ("spiff", "admin")
        assert row.deployed_at == manual_clock.now() - timedelta(hours=1)  # the first deployment's time
        deployed = session.scalars(select(Event).where(Event.type == "process_deployed",
                                                       Event.case_id.is_(None))).all()
        assert [e.data["key"] for e in deployed].count("spiff_review") == 1


def test_redeploying_the_installed_process_under_another_file_name_changes_nothing(store: Store) -> None:
    """The fixture deployed training_nomination; the hash covers the content, not the file name."""
    before = versions(store, "training_nomination")
    assert [v for v, _ in before] == [1]
    renamed = [SourceFile("copy-of-training.bpmn", TRAINING.read_bytes())]
    _, version, created = deploy_now(store, renamed)
    assert (version, created) == (1, False)
    assert versions(store, "training_nomination") == before


def test_changed_content_makes_version_two(store: Store) -> None:
    [(_, first_hash)] = versions(store, "training_nomination")
    new_id, version, created = deploy_now(store, training_sources(**DECLINED))
    assert (version, created) == (2, True)
    [(v1, hash1), (v2, hash2)] = versions(store, "training_nomination")
    assert (v1, v2) == (1, 2) and hash1 == first_hash and hash2 != first_hash
    with store.read() as session:
        assert SpecCache().latest_id(session, "training_nomination") == new_id
    # Deploying version 2's content again is still version 2.
    assert deploy_now(store, training_sources(**DECLINED)) == (new_id, 2, False)


def test_a_running_case_keeps_its_version_when_a_new_one_is_deployed(store: Store, service: Any) -> None:
    head = actor(store, "head_khcn")
    old_case = service.start(head, "training_nomination", proposal())
    old_definition = case_row(store, old_case).definition_id

    new_definition, version, created = deploy_now(store, training_sources(**DECLINED))
    assert (version, created) == (2, True)
    new_case = service.start(head, "training_nomination", proposal(talent_name="Trần Thị Lan"))

    assert case_row(store, new_case).definition_id == new_definition
    assert case_row(store, old_case).definition_id == old_definition != new_definition
    # Each case runs the diagram it started on, to the end.
    assert reject(store, service, old_case) == "rejected"
    assert reject(store, service, new_case) == "declined"
    assert case_row(store, old_case).definition_id == old_definition


@pytest.mark.parametrize("sources", [
    pytest.param([SourceFile("broken.bpmn", b"<bpmn:definitions")], id="not-xml"),
    pytest.param(training_sources(**{'camunda:formKey="training_hr_enrolment"': 'camunda:formKey="no_such_form"'}),
                 id="unknown-form-strict"),
    pytest.param(training_sources(**{'case_outcome = "rejected"': "case_outcome = ().__class__"}),
                 id="sandbox-escape"),
])
def test_invalid_content_stores_nothing(store: Store, sources: list[SourceFile]) -> None:
    before = row_counts(store)
    with pytest.raises(DefinitionInvalid) as raised:
        with store.transaction() as session:
            deploy(session, sources, "admin", forms.exists, strict_forms=True)
    assert raised.value.problems
    assert row_counts(store) == before
    assert [v for v, _ in versions(store, "training_nomination")] == [1]


def test_a_bpmn_and_its_dmn_are_deployed_and_restored_together(store: Store) -> None:
    sources = sources_for(DATA / "priority_decision.bpmn")
    assert [s.name for s in sources] == ["priority_decision.bpmn", "simple_decision.dmn"]
    definition_id, version, created = deploy_now(store, sources, form_exists=None)
    assert (version, created) == (1, True)
    with store.read() as session:
        row = session.get(ProcessDefinition, definition_id)
        assert row is not None
        assert [s["name"] for s in row.sources] == ["priority_decision.bpmn", "simple_decision.dmn"]
        loaded = SpecCache().get(session, definition_id)
    assert (loaded.key, loaded.version, loaded.dialect) == ("priority_decision", 1, "camunda")
    assert loaded.human_tasks["confirm_priority"].form_key == "priority_confirmation"
    assert "decide_priority" in loaded.spec.task_specs


def test_deploying_an_older_version_again_rolls_back_as_a_new_version(store: Store) -> None:
    original = versions(store, "training_nomination")
    assert [v for v, _ in original] == [1]
    _, second, created = deploy_now(store, training_sources(**DECLINED))
    assert (second, created) == (2, True)
    _, third, created = deploy_now(store, training_sources())
    assert (third, created) == (3, True)
    after = versions(store, "training_nomination")
    assert after[2][1] == original[0][1]  # v3 carries v1's content
    assert deploy_now(store, training_sources())[1:] == (3, False)
