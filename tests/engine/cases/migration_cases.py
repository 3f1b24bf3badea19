"""Nomination cases on version 1 and the nomination's version 2 (tests/data/talent_nomination_v2.bpmn),
made through the service layer: what the migration tests share.

Version 2 adds ``confirm_verification`` (hr confirms the verification before the gateway reads it)
and drops the supplement loop: a case waiting in ``supplement_dossier`` has nowhere to go.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.cases.migration import CaseMigrations, Selection
from engine.definitions.specs import SourceFile
from engine.people.actors import Actor, actor_for
from engine.store.models import Case, Task, User
from workflows import deploy_files

ROOT = Path(__file__).resolve().parents[3]
V2 = ROOT / "tests" / "data" / "talent_nomination_v2.bpmn"
PROCESS = "talent_nomination"


def actor(store: Any, username: str) -> Actor:
    with store.read() as session:
        return actor_for(session, session.scalar(select(User).where(User.username == username)))


def deploy_v2(store: Any) -> int:
    """Deploy version 2 (with the eligibility table it calls); returns its version number."""
    sources = [SourceFile("talent_nomination.bpmn", V2.read_bytes()),
               SourceFile("talent_eligibility.dmn", (ROOT / "bpmn" / "talent_eligibility.dmn").read_bytes())]
    with store.transaction() as session:
        row, created = deploy_files(session, sources, "admin")
        assert created
        return row.version


def dossier(number: int) -> dict[str, Any]:
    """A young scientist of SKHCN, eligible (see tests/workflows/test_talent_nomination.py)."""
    return {"nominee_name": f"Nhà khoa học {number}", "birth_date": "1991-03-03", "workplace": "Viện Nghiên cứu biển",
            "unit": "SKHCN", "contact": "0912 345 678", "category": "young_scientist",
            "priority_field": "science_technology",
            "achievements": [{"title": "Mô hình dự báo xâm nhập mặn", "year": 2024, "evidence_refs": ["DOI 10.1/x"]}],
            "nominator_statement": "Đề nghị công nhận.", "has_doctorate": True, "international_papers": 6}


def nominate(service: Any, store: Any, count: int) -> list[int]:
    nominator = actor(store, "nominator")
    return [int(service.start(nominator, PROCESS, dossier(n), business_key=f"NOM-{n}")) for n in range(count)]


def ready_task(store: Any, case_id: int, element_id: str) -> str:
    with store.read() as session:
        [task_id] = session.scalars(select(Task.id).where(Task.case_id == case_id, Task.element_id == element_id,
                                                          Task.status == "ready")).all()
        return task_id


def ready_elements(store: Any, case_id: int) -> list[str]:
    with store.read() as session:
        return sorted(session.scalars(select(Task.element_id).where(Task.case_id == case_id,
                                                                    Task.status == "ready")).all())


def ask_supplement(service: Any, store: Any, case_id: int) -> None:
    """hr asks the nominator for a supplement: the case then waits in ``supplement_dossier``."""
    service.complete(actor(store, "hr"), ready_task(store, case_id, "verify_dossier"),
                     {"verification_result": "needs_supplement", "verification_note": "Thiếu bản sao bằng"})


def case_row(store: Any, case_id: int) -> Case:
    with store.read() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def migrations(service: Any) -> CaseMigrations:
    return CaseMigrations(service.steps)


def selection(to_version: int, **kwargs: Any) -> Selection:
    return Selection(process_key=PROCESS, to_version=to_version, **kwargs)


def forget_cached(service: Any, case_ids: list[int]) -> None:
    """Drop the service's in-memory workflows of these cases: their next step restores the stored
    state (as another worker, or after a restart, would)."""
    for case_id in case_ids:
        service.workflows.take(case_id, 0)
