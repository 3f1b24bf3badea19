"""An exam with many candidates at the written round, for the sheet tests (pages and browser)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import update

from engine.store.models import User
from tests.workflows.exam_support import close_registration, declare_all, do, start_exam

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Giang"]


def candidates(n: int) -> list[tuple[str, str]]:
    """``n`` candidates as (code, full name): TS01 Nguyễn Văn An, TS02 Trần Thị Bình, …"""
    return [(f"TS{i + 1:02d}", f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]}") for i in range(n)]


def exam_at_written_marks(auth: Any, service: Any, manual_clock: Any, n: int) -> int:
    """An exam whose ``n`` applicants were all admitted and whose council has declared no conflict:
    the secretary's mark sheet is open, one row per candidate."""
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    do(auth, "hr", case_id, "screen_applications", {"applicants": [
        {"code": code, "full_name": name, "applicant_type": "internal", "eligible": True}
        for code, name in candidates(n)]})
    declare_all(auth, case_id)
    return case_id


def known_as(app: Any, username: str, name: str) -> None:
    """``username`` has a display name (the test users are known by their sign-in names)."""
    with app.extensions["talentflow"].store.transaction() as db:
        db.execute(update(User).where(User.username == username).values(display_name=name))
