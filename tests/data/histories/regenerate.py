"""Regenerate the golden histories: run each scenario on a fresh database and export its case.

    .venv/bin/python tests/data/histories/regenerate.py [NAME ...]

Each scenario drives its process through the HTTP API as its people would, on a
manual clock, with the test users and units of tests/conftest.py; the case is
exported with ``engine.audit.export_history`` (the same as ``talentflow
export-history CASE``) to ``tests/data/histories/NAME.json``. Regenerate after a
deliberate change to a process; tests/engine/replay/test_replay.py replays every file.
"""
from __future__ import annotations

import json
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from api import create_app  # noqa: E402
from engine.audit import events as audit  # noqa: E402
from engine.time import clock  # noqa: E402
from engine.people.directory import add_unit, get_unit, grant_role  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import User  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from tests.conftest import PASSWORD, UNITS, USERS, Auth  # noqa: E402
from tests.helpers import complete, ready_task, start_training  # noqa: E402
from workflows import deploy_bpmn_dir  # noqa: E402

START = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)
API = "/api/v1"


def seeded_app(url: str) -> Any:
    """A migrated database with the processes deployed and the test users and units (as conftest)."""
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    hashed = hash_password(PASSWORD)
    with app.extensions["talentflow"].store.transaction() as session:
        deploy_bpmn_dir(session)
        for code, name, parent in UNITS:
            add_unit(session, code, name, parent)
        for username, (unit, grants) in USERS.items():
            user = User(username=username, display_name=username, password_hash=hashed,
                        unit_id=get_unit(session, unit).id if unit else None, created_at=clock.now())
            session.add(user)
            session.flush()
            for role, scope in grants:
                grant_role(session, user, role, scope)
    return app


def days_pass(auth: Auth, manual_clock: clock.ManualClock, days: float) -> None:
    manual_clock.advance(timedelta(days=days))
    auth._tokens.clear()  # days later, people log in again


# ------------------------------------------------------------------------------------ scenarios
def talent_nomination(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """A supplement loop, a claim given back, a reminder, a split council, a recognition."""
    from tests.workflows.test_talent_nomination import COUNCIL, council_votes, nominate, verify

    case = nominate(auth)
    task = ready_task(case, "verify_dossier")
    for action in ("claim", "release"):  # hr takes the dossier, then gives it back to the pool
        answer = auth.as_("hr").post(f"{API}/tasks/{task['id']}/{action}")
        assert answer.status_code < 300, answer.get_json()
    case = verify(auth, case, verification_result="needs_supplement", verification_note="Thiếu bản sao bằng tiến sĩ")
    days_pass(auth, manual_clock, 3)
    case = complete(auth, "head_khcn" if case["created_by"] == "head_khcn" else "nominator",
                    ready_task(case, "supplement_dossier")["id"],
                    {"supplement_note": "Gửi bản sao bằng tiến sĩ", "supplement_evidence": ["BS-2026-01"]})
    days_pass(auth, manual_clock, 20)  # past the verification reminder
    service.fire_due()
    case = auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()
    case = verify(auth, case, verification_result="verified", council_members=COUNCIL)
    days_pass(auth, manual_clock, 2)
    case = council_votes(auth, case, {"member1": "approve", "member2": "reject", "member3": "approve",
                                      "member4": "approve"})
    days_pass(auth, manual_clock, 5)
    case = complete(auth, "approver", ready_task(case, "recognition_decision")["id"],
                    {"decision": "recognised", "decision_no": "512/QĐ-UBND", "decision_date": "2026-04-15"})
    assert case["status"] == "recognised", case["status"]
    return int(case["id"])


def leadership_exam(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """Five candidates through both rounds; a re-mark changes the winner, who is appointed. The applicant
    not admitted is told 3 days after the screening, after hr's reminder."""
    from tests.workflows.exam_support import (close_registration, close_remarking, declare_all, days_pass, do,
                                              get_case, record_marks, score_all, screen, start_exam, tell_rejected)

    five = {"TS01": 80, "TS02": 62, "TS03": 48, "TS04": 55, "TS05": 30}
    case = start_exam(auth)
    close_registration(auth, service, manual_clock)
    screen(auth, case["id"], *five, rejected=("TS06",))
    declare_all(auth, case["id"])
    record_marks(auth, case["id"], five)
    days_pass(auth, manual_clock, 5)  # Tuesday 7 April: past the notice's reminder
    assert service.fire_due() == {case["id"]: ["rejection_notice_reminder"]}
    tell_rejected(auth, case["id"], "TS06", told_on="2026-04-06")
    do(auth, "secretary", case["id"], "record_remarks",
       {"remarks": [{"candidate_code": "TS03", "new_mark": 71, "request_ref": "PK-01/2026"}]})
    close_remarking(auth, service, manual_clock)
    score_all(auth, case["id"], {"TS01": [60, 62, 58, 61, 59], "TS02": [70.01, 70, 70, 70, 70.02],
                                 "TS03": [75, 76, 74, 77, 73], "TS04": [45, 48, 50, 47, 46]})
    do(auth, "chair", case["id"], "confirm_results", {"results_confirmed": True})
    do(auth, "approver", case["id"], "appointment_decision",
       {"appointment": "appoint", "decision_no": "123/QĐ-UBND", "effective_date": "2026-05-15"})
    case = get_case(auth, "hr", case["id"])
    assert case["status"] == "appointed", case["status"]
    return int(case["id"])


def training_nomination(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """Mentor, unit head, hr (claiming first), and the proposer's report."""
    case = start_training(auth)
    case = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
                    {"recommendation": "support", "mentor_comment": "Tốt"})
    days_pass(auth, manual_clock, 1)
    case = complete(auth, "head_khcn", ready_task(case, "unit_head_approval")["id"], {"decision": "approve"})
    enrol = ready_task(case, "hr_enrolment")
    claimed = auth.as_("hr").post(f"{API}/tasks/{enrol['id']}/claim")
    assert claimed.status_code < 300, claimed.get_json()
    case = complete(auth, "hr", enrol["id"], {"class_code": "AI-01", "class_start": "2026-04-01"})
    days_pass(auth, manual_clock, 30)
    case = complete(auth, "head_khcn", ready_task(case, "report_attendance")["id"],
                    {"completed": True, "certificate_ref": "CC-9"})
    assert case["status"] == "trained", case["status"]
    return int(case["id"])


def _review_with_children(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """Three talents assessed in child cases, an override with a reason, a list sent back, approved."""
    from tests.workflows.test_annual_talent_review import PLAIN, assessments, review, start_review, talent

    stalled = ((2022, "hoan_thanh"), (2023, "hoan_thanh"), (2024, "hoan_thanh"), (2025, "hoan_thanh"))
    lan = talent(service.store, "Trần Thị Lan", "SGDDT", date(2021, 12, 20), stalled)  # 4 years by 15 December, not 5
    talent(service.store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15), stalled[1:])
    talent(service.store, "Nguyễn Thu Hà", None, date(2025, 10, 20))
    case = start_review(auth)
    days_pass(auth, manual_clock, 10)
    [gddt], [qlkh], [unit_less] = (assessments(auth, user, case["id"]) for user in ("head_gddt", "head_qlkh", "hr"))
    complete(auth, "head_gddt", gddt["id"], PLAIN)
    complete(auth, "head_qlkh", qlkh["id"], {**PLAIN, "recommendation": "at_risk"})
    days_pass(auth, manual_clock, 3)
    complete(auth, "hr", unit_less["id"], {**PLAIN, "rating": "tot"})
    case = complete(auth, "hr", ready_task(review(auth, case["id"]), "consolidate_review")["id"], {"overrides": [
        {"talent_id": lan, "outcome": "keep", "reason": "Đang được xem xét bổ nhiệm"}]})
    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"],
                    {"decision": "return", "approval_comment": "Chưa có quyết định bổ nhiệm"})
    case = complete(auth, "hr", ready_task(case, "consolidate_review")["id"], {})
    case = complete(auth, "approver", ready_task(case, "approve_review_list")["id"], {"decision": "approve"})
    assert case["status"] == "approved", case["status"]
    return int(case["id"])


def annual_talent_review(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """The review itself: its children's results arrive as one recorded message."""
    return _review_with_children(auth, service, manual_clock)


def talent_assessment(auth: Auth, service: Any, manual_clock: clock.ManualClock) -> int:
    """One of the review's child cases: a unit head's assessment of one talent."""
    parent = _review_with_children(auth, service, manual_clock)
    children = auth.as_("hr").get(f"{API}/cases?parent={parent}&per_page=200").get_json()["items"]
    return min(int(c["id"]) for c in children)


SCENARIOS: dict[str, Callable[[Auth, Any, clock.ManualClock], int]] = {
    "talent_nomination": talent_nomination, "leadership_exam": leadership_exam,
    "training_nomination": training_nomination, "annual_talent_review": annual_talent_review,
    "talent_assessment": talent_assessment}


def regenerate(name: str) -> Path:
    manual = clock.ManualClock(START)
    previous = clock.use(manual)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = seeded_app(f"sqlite:///{tmp}/golden.db")
            services = app.extensions["talentflow"]
            case_id = SCENARIOS[name](Auth(app.test_client()), services.cases, manual)
            with services.store.read() as session:
                history = audit.export_history(session.connection(), case_id)
            services.store.dispose()
    finally:
        clock.use(previous)
    path = HERE / f"{name}.json"
    path.write_text(json.dumps(history, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    for wanted in sys.argv[1:] or list(SCENARIOS):
        if wanted not in SCENARIOS:
            raise SystemExit(f"unknown scenario {wanted!r}; one of {', '.join(SCENARIOS)}")
        written = regenerate(wanted)
        print(f"{wanted}: {len(json.loads(written.read_text())['events'])} events -> {written}")
