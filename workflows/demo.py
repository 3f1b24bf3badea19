"""Demo data: the city's units, one user per role, and sample cases.

Every demo user's password is :data:`DEMO_PASSWORD` (documented in the
README). Running it twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine.db import Store
from engine.directory import add_unit, add_user, grant_role
from engine.models import Case, Unit, User
from engine.runner import CaseService
from engine.security import actor_for

DEMO_PASSWORD = "talentflow-demo"

UNITS = [
    ("HP", "Thành phố Hải Phòng", None),
    ("SNV", "Sở Nội vụ", "HP"),
    ("SKHCN", "Sở Khoa học và Công nghệ", "HP"),
    ("SKHCN-QLKH", "Phòng Quản lý khoa học", "SKHCN"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", "HP"),
    ("XA-THUYNGUYEN", "Xã Thủy Nguyên", "HP"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    unit: str | None
    roles: tuple[tuple[str, str | None], ...]


USERS = [
    DemoUser("admin", "Quản trị hệ thống", "SNV", (("admin", None),)),
    DemoUser("hr", "Nguyễn Thị Hương (Sở Nội vụ)", "SNV", (("hr_officer", None),)),
    DemoUser("head_khcn", "Trần Văn Minh (Giám đốc Sở KH&CN)", "SKHCN", (("unit_head", "SKHCN"),)),
    DemoUser("head_gddt", "Lê Thị Lan (Giám đốc Sở GD&ĐT)", "SGDDT", (("unit_head", "SGDDT"),)),
    DemoUser("nominator", "Ủy ban MTTQ thành phố", "HP", (("nominator", None),)),
    DemoUser("approver", "Chủ tịch UBND thành phố", "HP", (("approver", None),)),
    DemoUser("auditor", "Thanh tra thành phố", "HP", (("auditor", None),)),
    DemoUser("chair", "Phạm Quốc Hùng", "SNV", ()),
    DemoUser("secretary", "Đỗ Thu Trang", "SNV", ()),
    DemoUser("member1", "Hoàng Văn An", "SKHCN", ()),
    DemoUser("member2", "Vũ Thị Bình", "SGDDT", ()),
    DemoUser("member3", "Ngô Đức Cường", "SNV", ()),
    DemoUser("expert1", "TS. Bùi Thanh Sơn", "SKHCN-QLKH", ()),
]


def _proposal(talent: str, unit: str, course: str, mentor: str = "expert1") -> dict:
    return {"talent_name": talent, "unit": unit, "course": course, "field_of_study": "science_technology",
            "mentor": mentor, "reason": "Có thành tích nghiên cứu nổi bật"}


def load_demo(store: Store, service: CaseService) -> dict[str, int]:
    """Create the demo units, users and cases unless they exist; returns counts created."""
    created = {"units": 0, "users": 0, "cases": 0}
    with store.transaction() as session:
        for code, name, parent in UNITS:
            if session.scalar(select(Unit.id).where(Unit.code == code)) is None:
                add_unit(session, code, name, parent)
                created["units"] += 1
        for spec in USERS:
            if session.scalar(select(User.id).where(User.username == spec.username)) is None:
                user = add_user(session, spec.username, DEMO_PASSWORD, spec.display_name, spec.unit)
                for role, unit in spec.roles:
                    grant_role(session, user, role, unit, granted_by="demo")
                created["users"] += 1
        has_cases = (session.scalar(select(func.count()).select_from(Case)) or 0) > 0
        head = actor_for(session, session.scalar(select(User).where(User.username == "head_khcn")))
        expert = actor_for(session, session.scalar(select(User).where(User.username == "expert1")))
    if has_cases:
        return created
    # One case waiting for the mentor, one for the unit head, one finished.
    service.start(head, "training_nomination", _proposal("Nguyễn Văn Khoa", "SKHCN", "Lớp AI ứng dụng 2026"),
                  "DT-2026-001")
    second = service.start(head, "training_nomination",
                           _proposal("Phạm Thị Mai", "SKHCN-QLKH", "Lớp quản trị công nghệ"), "DT-2026-002")
    _complete_first(store, service, expert, second, {"recommendation": "support", "mentor_comment": "Rất phù hợp"})
    created["cases"] = 2
    return created


def _complete_first(store: Store, service: CaseService, actor, case_id: int, data: dict) -> None:  # type: ignore[no-untyped-def]
    from engine.models import Task

    with store.read() as session:
        task_id = session.scalar(select(Task.id).where(Task.case_id == case_id, Task.status == "ready"))
    service.complete(actor, task_id, data)
