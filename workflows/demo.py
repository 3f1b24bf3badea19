"""Demo data: the city's units, one user per role, and sample cases.

Every demo user's password is :data:`DEMO_PASSWORD` (documented in the
README). Running it twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from datetime import date

from sqlalchemy import func, select

from engine.time import clock
from engine.store.database import Store
from engine.errors import Conflict, Invalid
from engine.people.directory import add_unit, add_user, grant_role
from engine.store.models import Case, Task, Unit, User
from engine.cases.runner import CaseService
from engine.people.actors import Actor, actor_for
from workflows.programme import registry

DEMO_PASSWORD = "talentflow-demo"
#: Its scrypt hash (the format of ``api.auth.passwords``), computed once: the demo is data and
#: hashes nothing (one salt for every demo user; a demo is not for real accounts).
DEMO_PASSWORD_HASH = ("scrypt$16384$1b396b76ba4b84597ea76e48a83a7714$"
                      "c47c6cdb09c5eeb01e0589e48b6eddd81adada510b7eb4d45ad1aa7acf28d4b2")

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


#: The demo users' e-mail domain: an example domain (RFC 2606), so a demo pointed at a real mail
#: server by mistake sends nothing anyone receives.
DEMO_MAIL_DOMAIN = "haiphong.example"


def demo_email(username: str) -> str:
    """A demo user's example address (``hr`` -> ``hr@haiphong.example``)."""
    return f"{username}@{DEMO_MAIL_DOMAIN}"


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
                user = add_user(session, spec.username, DEMO_PASSWORD_HASH, spec.display_name, spec.unit)
                user.email = demo_email(spec.username)
                for role, unit in spec.roles:
                    grant_role(session, user, role, unit, granted_by="demo")
                created["users"] += 1
        has_cases = (session.scalar(select(func.count()).select_from(Case)) or 0) > 0
    if has_cases:
        return created
    actors = _actors(store)
    head, expert = actors["head_khcn"], actors["expert1"]
    # training_nomination: one case waiting for the mentor, one for the unit head.
    service.start(head, "training_nomination", _proposal("Nguyễn Văn Khoa", "SKHCN", "Lớp AI ứng dụng 2026"),
                  "DT-2026-001")
    second = service.start(head, "training_nomination",
                           _proposal("Phạm Thị Mai", "SKHCN-QLKH", "Lớp quản trị công nghệ"), "DT-2026-002")
    _complete(store, service, expert, second, "mentor_assessment",
              {"recommendation": "support", "mentor_comment": "Rất phù hợp"})
    created["cases"] = 2 + _nominations(store, service, actors) + _exam(service, actors)
    created["cases"] += _review(service, actors["hr"])
    _register(store, actors["hr"])
    return created


def _actors(store: Store) -> dict[str, Actor]:
    with store.read() as session:
        users = session.scalars(select(User)).all()
        return {user.username: actor_for(session, user) for user in users}


def _nominations(store: Store, service: CaseService, actors: dict[str, Actor]) -> int:
    """talent_nomination: one dossier waiting for hr's verification, one recognised (a registry entry)."""
    today = clock.now().astimezone(clock.CITY_ZONE).date()
    waiting = _dossier("Lê Hoàng Nam", "1992-08-20", "SKHCN", today)
    service.start(actors["nominator"], "talent_nomination", waiting, "NT-2026-001")
    recognised = _dossier("Trần Thị Minh Anh", "1993-03-03", "SKHCN-QLKH", today)
    case = service.start(actors["nominator"], "talent_nomination", recognised, "NT-2026-002")
    council = ["member1", "member2", "member3"]
    _complete(store, service, actors["hr"], case, "verify_dossier",
              {"verification_result": "verified", "council_members": council})
    for member in council:
        _complete(store, service, actors[member], case, "council_vote",
                  {"vote": "approve", "vote_comment": "Thành tích nổi bật"}, assignee=actors[member])
    _complete(store, service, actors["approver"], case, "recognition_decision",
              {"decision": "recognised", "decision_no": "512/QĐ-UBND", "decision_date": today.isoformat()})
    return 2


def _dossier(name: str, born: str, unit: str, today: date) -> dict:  # type: ignore[type-arg]
    return {"nominee_name": name, "birth_date": born, "workplace": "Viện Nghiên cứu biển", "unit": unit,
            "contact": "0912 345 678", "category": "young_scientist", "priority_field": "science_technology",
            "achievements": [{"title": "Mô hình dự báo xâm nhập mặn", "year": today.year - 1,
                              "evidence_refs": ["DOI 10.1000/xyz123"]}],
            "nominator_statement": "Đề nghị công nhận; chúng tôi chịu trách nhiệm về hồ sơ.",
            "has_doctorate": True, "international_papers": 6}


def _exam(service: CaseService, actors: dict[str, Actor]) -> int:
    """leadership_exam: planned and announced, waiting for the registration deadline."""
    seats = {"chair": "chair", "secretary": "secretary", "member1": "member", "member2": "member",
             "member3": "member"}
    service.start(actors["hr"], "leadership_exam", {
        "post": "Phó Giám đốc Sở Khoa học và Công nghệ", "unit": "SKHCN", "level": "pho_giam_doc_so",
        "requirements": "Tiến sĩ; trong quy hoạch; đề án phát triển khoa học và công nghệ",
        "council": [{"username": u, "seat": s} for u, s in seats.items()], "first_appointment": True},
        "TT-2026-001")
    return 1


def _review(service: CaseService, hr: Actor) -> int:
    """annual_talent_review: this year's review, by the yearly start from 1 November or else
    started by hr on demand (refused only after the year's 15 December deadline)."""
    from workflows.annual_talent_review import PROCESS_KEY, start_yearly_review

    if start_yearly_review(service) is not None:
        return 1
    try:
        service.start(hr, PROCESS_KEY, {"year": clock.now().astimezone(clock.CITY_ZONE).year}, "RS-DEMO")
    except (Conflict, Invalid):
        return 0
    return 1


def _register(store: Store, hr: Actor) -> None:
    """A few appointments made by the ordinary procedure, so the targets report has figures, and a
    re-appointment, which the register lists and the report leaves out."""
    year = clock.now().astimezone(clock.CITY_ZONE).year
    with store.command() as conn:
        for i, (unit, post) in enumerate([("SKHCN", "Trưởng phòng Quản lý khoa học"),
                                          ("SGDDT", "Phó Giám đốc Sở Giáo dục và Đào tạo"),
                                          ("SNV", "Phó Trưởng phòng Công chức")]):
            registry.record_appointment(conn, post=post, level="truong_phong" if i == 0 else "pho_giam_doc_so",
                                        unit=unit, person_name=f"Cán bộ bổ nhiệm {i + 1}",
                                        appointed_on=date(year, 3 + i, 1), via_exam=False, recorded_by=hr.username)
        # a re-appointment at the end of a 5-year term: in the register, not in the 20 % share
        registry.record_appointment(conn, post="Phó Giám đốc Sở Khoa học và Công nghệ", level="pho_giam_doc_so",
                                    unit="SKHCN", person_name="Cán bộ bổ nhiệm lại", appointed_on=date(year, 6, 1),
                                    via_exam=False, first_appointment=False, recorded_by=hr.username)
        for key, value in {"new_recruits": 180, "talent_recruits": 21, "training_classes": 2}.items():
            registry.set_figure(conn, year=year, key=key, value=value, recorded_by=hr.username)


def _complete(store: Store, service: CaseService, actor: Actor, case_id: int, element_id: str, data: dict,  # type: ignore[type-arg]
              assignee: Actor | None = None) -> None:
    """Complete the case's ready task ``element_id`` (the assignee's own, for personal tasks)."""
    query = select(Task.id).where(Task.case_id == case_id, Task.status == "ready", Task.element_id == element_id)
    if assignee is not None:
        query = query.where(Task.candidate_user_id == assignee.user_id)
    with store.read() as session:
        task_id = session.scalars(query).first()
    if task_id is None:
        raise LookupError(f"case {case_id} has no ready task {element_id}")
    service.complete(actor, task_id, data)
