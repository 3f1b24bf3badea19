"""Substitutes and reassignment in the pages: /substitutes, "thay cho …" in the worklist, and the task
page's "give to someone else" — words in Vietnamese by default, refusals said and nothing changed.

head_khcn is Nguyễn Văn An here; the 2026 review waits for the assessments of two SKHCN talents.
"""
from __future__ import annotations

from datetime import date

from flask import session
from sqlalchemy import select

from engine.errors import Forbidden
from engine.store.models import Substitute, User
from tests.api.support import count, history, unchanged
from tests.web.support import signed_in, text_of
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent
from api.web.messages import refusal

API = "/api/v1"


def named_head(store) -> None:  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        session.scalar(select(User).where(User.username == "head_khcn")).display_name = "Nguyễn Văn An"


def waiting_assessments(auth, store) -> list[dict]:  # type: ignore[no-untyped-def]
    talent(store, "Phạm Anh Tuấn", "SKHCN", date(2023, 11, 20))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2024, 6, 15))
    return assessments(auth, "head_khcn", start_review(auth)["id"])


def test_a_unit_head_sets_their_substitute_who_then_sees_thay_cho_in_the_worklist(app, auth, store):
    named_head(store)
    tasks = waiting_assessments(auth, store)
    head = signed_in(app, "head_khcn")
    page = head.get("/substitutes")
    assert "Ủy quyền, phân công thay thế" in text_of(page)
    absent = page[page.index('id="absent"'):page.index("</select>", page.index('id="absent"'))]
    assert '"head_qlkh"' in absent and '"head_gddt"' not in absent  # themselves and the people of their units
    assert 'id="absent"' not in signed_in(app, "expert2").get("/substitutes")  # anyone else: only themselves
    done = head.post("/substitutes", {"absent": "head_khcn", "substitute": "expert1", "starts_on": "02/03/2026",
                                      "ends_on": "06/03/2026", "reason": "Nghỉ phép năm"}, status=302)
    assert done.headers["Location"].endswith("/substitutes")
    words = text_of(head.get("/substitutes"))
    assert "Đã ủy quyền." in words and "Nguyễn Văn An expert1 02/03/2026 06/03/2026 Nghỉ phép năm" in words
    assert "Đang có hiệu lực" in words

    substitute = signed_in(app, "expert1")
    worklist = text_of(substitute.get("/"))
    assert worklist.count("thay cho Nguyễn Văn An") == len(tasks) == 2
    task_page = text_of(substitute.get(f"/tasks/{tasks[0]['id']}"))
    assert "Bạn thực hiện công việc này thay cho Nguyễn Văn An (được ủy quyền)." in task_page
    assert "Giao lại công việc cho người khác" not in task_page  # a substitute gives nothing away

    done = auth.as_("expert1").post(f"{API}/tasks/{tasks[0]['id']}/complete", json={"data": PLAIN}).get_json()
    timeline = text_of(signed_in(app, "auditor").get(f"/cases/{done['id']}"))
    assert "expert1 thay cho Nguyễn Văn An" in timeline  # the history names both people


def test_hr_sets_a_substitute_for_a_unit_head_and_bad_days_are_said_and_change_nothing(app, store):
    hr = signed_in(app, "hr")
    assert 'id="absent"' in hr.get("/substitutes")  # hr chooses who is away
    with unchanged(store):
        typo = hr.post("/substitutes", {"absent": "head_khcn", "substitute": "expert1", "starts_on": "31/02/2026",
                                        "ends_on": "06/03/2026"}, status=422)
        words = text_of(typo.get_data(as_text=True))
        assert "Hãy nhập ngày theo dạng dd/mm/yyyy, ví dụ 15/12/2026." in words
        assert 'value="31/02/2026"' in typo.get_data(as_text=True)  # the form comes back as typed
        backwards = hr.post("/substitutes", {"absent": "head_khcn", "substitute": "expert1",
                                             "starts_on": "06/03/2026", "ends_on": "02/03/2026"}, status=422)
        assert "Không được trước ngày bắt đầu." in text_of(backwards.get_data(as_text=True))
        lacking = hr.post("/substitutes", {"absent": "approver", "substitute": "expert1",
                                           "starts_on": "02/03/2026", "ends_on": "06/03/2026"}, status=403)
        assert "chỉ được ủy quyền cho một người có thẩm quyền khác" in text_of(lacking.get_data(as_text=True))
    assert count(store, Substitute) == 0
    hr.post("/substitutes", {"absent": "head_khcn", "substitute": "expert1", "starts_on": "2/3/2026",
                             "ends_on": "6/3/2026"}, status=302)
    with store.read() as session_:
        [row] = session_.execute(select(Substitute.__table__)).all()
    assert (row.set_by, row.starts_on, row.ends_on) == ("hr", date(2026, 3, 2), date(2026, 3, 6))
    head = signed_in(app, "head_khcn")  # the head sees it and may end it
    ended = head.post(f"/substitutes/{row.id}/end", status=302)
    assert ended.headers["Location"].endswith("/substitutes")
    assert "Kết thúc lúc" in text_of(head.get("/substitutes"))


def test_hr_gives_an_assessment_to_another_candidate_from_the_task_page(app, auth, store):
    tasks = waiting_assessments(auth, store)
    [minh] = [t for t in tasks if "SKHCN-QLKH" in t["subject"]]
    hr = signed_in(app, "hr")
    page = hr.get(f"/tasks/{minh['id']}")
    assert "Giao lại công việc cho người khác" in text_of(page)
    assert '<option value="head_khcn">' in page and '<option value="head_qlkh">' in page
    assert '<option value="head_gddt">' not in page  # only the task's candidates are offered
    with unchanged(store):
        hr.post(f"/tasks/{minh['id']}/reassign", {"to": "head_qlkh", "reason": " "}, status=302)
        assert "Hãy nêu lý do giao lại công việc cho người khác." in text_of(hr.get(f"/tasks/{minh['id']}"))
        hr.post(f"/tasks/{minh['id']}/reassign", {"to": "head_gddt", "reason": "Đổi người"}, status=302)
        assert "Người này không được thực hiện công việc này" in text_of(hr.get(f"/tasks/{minh['id']}"))
    hr.post(f"/tasks/{minh['id']}/reassign", {"to": "head_qlkh", "reason": "Trưởng phòng nắm hồ sơ"}, status=302)
    assert "Đã giao lại công việc" in text_of(hr.get(f"/tasks/{minh['id']}"))
    [event] = [e for e in history(auth, "auditor", minh["case_id"]) if e["type"] == "task_reassigned"]
    assert event["data"]["reason"] == "Trưởng phòng nắm hồ sơ"
    approver = signed_in(app, "approver")  # reads every assessment, gives none away
    assert "Giao lại công việc cho người khác" not in text_of(approver.get(f"/tasks/{minh['id']}"))


def test_a_refused_delegation_is_said_in_the_readers_language(app):
    seat = Forbidden("this task is personal", code="task_not_delegable")
    with app.test_request_context("/"):
        assert refusal(seat).startswith("Công việc này thuộc về thành viên hội đồng")
    with app.test_request_context("/"):
        session["lang"] = "en"  # the reader chose English (the header's switch keeps it so)
        assert refusal(seat).startswith("This task belongs to a council seat")
