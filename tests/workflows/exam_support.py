"""Driving a leadership exam through the HTTP API, step by step, as its people would.

Each helper is one thing someone does (hr screens, a member declares, the
secretary records marks) or one thing time does (registration closes,
re-marking closes), so the scenario tests read like the exam they run.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.time import clock
from workflows.leadership_exam import REMARK_DAYS

API = "/api/v1"
SEATS = {"chair": "chair", "secretary": "secretary", "member1": "member", "member2": "member", "member3": "member"}
COUNCIL = list(SEATS)

#: code -> (full name, applicant type)
PEOPLE = {"TS01": ("Nguyễn Văn An", "internal"), "TS02": ("Trần Thị Bình", "external"),
          "TS03": ("Chu Thị Châu", "nominated"), "TS04": ("Lê Văn Dũng", "internal"),
          "TS05": ("Phạm Thu Giang", "external"), "TS06": ("Vũ Minh Hòa", "internal")}


def plan(**overrides: Any) -> dict[str, Any]:
    data = {"post": "Giám đốc Sở Khoa học và Công nghệ", "unit": "SKHCN", "level": "giam_doc_so",
            "requirements": "Tiến sĩ; quy hoạch chức danh Giám đốc Sở; đề án phát triển KH&CN",
            "council": [{"username": u, "seat": s} for u, s in SEATS.items()], "first_appointment": True}
    data.update(overrides)
    return data


def start_exam(auth: Any, **overrides: Any) -> dict[str, Any]:
    response = auth.as_("hr").post(f"{API}/cases", json={"process": "leadership_exam", "data": plan(**overrides)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def get_case(auth: Any, user: str, case_id: int) -> dict[str, Any]:
    response = auth.as_(user).get(f"{API}/cases/{case_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def task_of(auth: Any, user: str, case_id: int, element_id: str) -> dict[str, Any]:
    """The one ready task ``element_id`` of the case that ``user`` may do."""
    response = auth.as_(user).get(f"{API}/tasks?scope=all&case={case_id}")
    assert response.status_code == 200, response.get_json()
    found = [t for t in response.get_json()["items"] if t["element_id"] == element_id]
    assert len(found) == 1, (user, element_id, [t["element_id"] for t in response.get_json()["items"]])
    return found[0]


def tasks_named(auth: Any, case_id: int, element_id: str) -> list[dict[str, Any]]:
    response = auth.as_("auditor").get(f"{API}/tasks?scope=all&case={case_id}")
    return [t for t in response.get_json()["items"] if t["element_id"] == element_id]


def submit(auth: Any, user: str, task_id: str, data: dict[str, Any]) -> Any:
    return auth.as_(user).post(f"{API}/tasks/{task_id}/complete", json={"data": data})


def do(auth: Any, user: str, case_id: int, element_id: str, data: dict[str, Any]) -> dict[str, Any]:
    response = submit(auth, user, task_of(auth, user, case_id, element_id)["id"], data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def days_pass(auth: Any, manual_clock: Any, days: int) -> None:
    manual_clock.advance(timedelta(days=days))
    auth._tokens.clear()  # days later, people log in again (tokens last hours)


def close_registration(auth: Any, service: Any, manual_clock: Any, days: int = 31) -> None:
    days_pass(auth, manual_clock, days)
    assert service.fire_due(), "the registration deadline did not fire"


def close_remarking(auth: Any, service: Any, manual_clock: Any) -> None:
    days_pass(auth, manual_clock, REMARK_DAYS + 1)
    assert service.fire_due(), "the re-marking window did not close"


def applicants(*eligible: str, rejected: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    rows = [{"code": c, "full_name": PEOPLE[c][0], "applicant_type": PEOPLE[c][1], "eligible": True}
            for c in eligible]
    return rows + [{"code": c, "full_name": PEOPLE[c][0], "applicant_type": PEOPLE[c][1], "eligible": False,
                    "reason": "Chưa trong quy hoạch chức danh"} for c in rejected]


def screen(auth: Any, case_id: int, *eligible: str, rejected: tuple[str, ...] = ()) -> dict[str, Any]:
    return do(auth, "hr", case_id, "screen_applications", {"applicants": applicants(*eligible, rejected=rejected)})


def today() -> str:
    """Today in Hai Phong, on the tests' clock."""
    return clock.now().astimezone(clock.CITY_ZONE).date().isoformat()


def tell_rejected(auth: Any, case_id: int, *codes: str, how: str = "letter",
                  told_on: str | None = None) -> dict[str, Any]:
    """hr records that each applicant not admitted (``codes``) was told, how and on which day (today)."""
    return do(auth, "hr", case_id, "notify_rejected",
              {"notices": [{"code": c, "how": how, "told_on": told_on or today()} for c in codes]})


def declare(auth: Any, member: str, case_id: int, relations: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return do(auth, member, case_id, "declare_conflict", {"relations": relations or [], "under_discipline": False})


def declare_all(auth: Any, case_id: int, members: list[str] = COUNCIL) -> dict[str, Any]:
    case: dict[str, Any] = {}
    for member in members:
        case = declare(auth, member, case_id)
    return case


def record_marks(auth: Any, case_id: int, marks: dict[str, float], user: str = "secretary") -> dict[str, Any]:
    return do(auth, user, case_id, "record_written_marks",
              {"marks": [{"candidate_code": c, "mark": m} for c, m in marks.items()]})


def score(auth: Any, member: str, case_id: int, scores: dict[str, float]) -> dict[str, Any]:
    return do(auth, member, case_id, "score_round2",
              {"scores": [{"candidate_code": c, "score": s} for c, s in scores.items()]})


def score_all(auth: Any, case_id: int, by_candidate: dict[str, list[float]],
              members: list[str] = COUNCIL) -> dict[str, Any]:
    """``by_candidate``: code -> one score per member, in the order of ``members``."""
    case: dict[str, Any] = {}
    for i, member in enumerate(members):
        case = score(auth, member, case_id, {code: scores[i] for code, scores in by_candidate.items()})
    return case


def exam_with_marks(auth: Any, service: Any, manual_clock: Any, marks: dict[str, float]) -> int:
    """An exam whose candidates (the codes of ``marks``) are screened, declared and marked in round 1."""
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, *marks)
    declare_all(auth, case_id)
    record_marks(auth, case_id, marks)
    return case_id
