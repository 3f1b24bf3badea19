"""The assessment grid, through the pages (Flask's test client): a unit head's thirty assessments on one
page, sorted as asked, saved row by row through the normal completion, with progress and the deadline;
after a completion the next task is one click away; worklists say whom a task is about."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timezone

from sqlalchemy import select

from engine.cases.search import search_key
from engine.store.models import Event
from tests.helpers import start_training
from tests.web.grid_support import GRID, PLAIN_ROW, assessment_tasks, review_with_talents
from tests.web.support import signed_in, text_of, unlabelled_controls


def row_names(html: str) -> list[str]:
    """The talents the grid lists, in its order (each row's header)."""
    return re.findall(r'<th scope="row"><a href="/tasks/[0-9a-f-]{36}">([^<]+)</a>', html)


def row_of(html: str, task_id: str) -> str:
    start = html.index(f'<tr id="row-{task_id}"')
    return html[start:html.index("</tr>", start)]


def task_by_name(auth, user: str, name: str) -> dict:
    [task] = [t for t in assessment_tasks(auth, user) if t["subject"].startswith(name)]
    return task


def test_a_unit_head_sees_every_assessment_of_their_units_on_one_page_and_another_head_none(app, auth, store):
    review = review_with_talents(store, auth)
    head = signed_in(app, "head_khcn")
    html = head.get(GRID)
    assert sorted(row_names(html)) == sorted(review["ours"])  # SKHCN and its division, 30 rows
    assert not unlabelled_controls(html)
    page = text_of(html)
    assert "0/30 đã đánh giá" in page and "Hạn chót: 15/12/2026" in page
    assert "Nhà khoa học trẻ" in page and "Cán bộ, công chức, viên chức" in page  # the category, in words
    assert "Phòng QLKH" in page and "Sở KH&amp;CN" in html  # units by name

    other = signed_in(app, "head_gddt").get(GRID)
    assert sorted(row_names(other)) == sorted(review["theirs"])
    assert all(name not in other for name in review["ours"])
    assert "0/2 đã đánh giá" in text_of(other)


def test_the_grid_sorts_by_name_by_unit_and_by_due(app, auth, store):
    review_with_talents(store, auth)
    head = signed_in(app, "head_khcn")
    by_name = row_names(head.get(GRID + "?sort=name"))
    assert by_name == sorted(by_name, key=search_key)
    assert row_names(head.get(GRID)) == by_name  # by name unless asked otherwise
    by_unit = text_of(head.get(GRID + "?sort=unit"))
    assert by_unit.index("Phòng QLKH") < by_unit.rindex("Phòng QLKH") < by_unit.index("Sở KH&amp;CN")
    assert row_names(head.get(GRID + "?sort=due")) == by_name  # one deadline for all: then by name
    assert row_names(head.get(GRID + "?sort=nonsense")) == by_name


def test_a_row_saved_is_one_assessment_completed_and_the_grid_goes_on_at_the_next_row(app, auth, store):
    review_with_talents(store, auth)
    head = signed_in(app, "head_khcn")
    order = re.findall(r'<tr id="row-([0-9a-f-]{36})"', head.get(GRID))
    response = head.post(f"{GRID}/{order[0]}?sort=name", {**PLAIN_ROW, "in_planning": "1"}, status=302)
    assert response.headers["Location"].endswith(f"{GRID}?sort=name#row-{order[1]}")
    html = head.get(GRID)
    assert order[0] not in html and "1/30 đã đánh giá" in text_of(html)
    assert "Việc tiếp theo:" in text_of(html)
    done = auth.as_("head_khcn").get(f"/api/v1/tasks/{order[0]}").get_json()
    assert done["status"] == "completed"
    case = auth.as_("hr").get(f"/api/v1/cases/{done['case_id']}").get_json()
    assert case["status"] == "assessed" and case["data"]["in_planning"] is True
    events = [e["type"] for e in auth.as_("hr").get(f"/api/v1/cases/{done['case_id']}/history").get_json()]
    assert events.count("task_completed") == 1
    again = head.post(f"{GRID}/{order[0]}?sort=name", PLAIN_ROW, status=302)  # the same row saved twice
    assert "Công việc này đã đóng." in text_of(head.get(again.headers["Location"]))
    assert [e["type"] for e in auth.as_("hr").get(f"/api/v1/cases/{done['case_id']}/history").get_json()] \
        .count("task_completed") == 1


def test_a_refused_row_says_why_on_that_row_keeps_what_was_typed_and_changes_nothing(app, auth, store):
    review_with_talents(store, auth)
    head = signed_in(app, "head_khcn")
    order = re.findall(r'<tr id="row-([0-9a-f-]{36})"', head.get(GRID))
    task = auth.as_("head_khcn").get(f"/api/v1/tasks/{order[3]}").get_json()
    before = auth.as_("hr").get(f"/api/v1/cases/{task['case_id']}/history").get_json()
    response = head.post(f"{GRID}/{order[3]}?sort=name", {"recommendation": "at_risk", "comment": "Cần xem lại",
                                                          "disciplined": "1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    row = row_of(html, order[3])
    assert 'class="refused"' in row and "Thiếu dữ liệu của trường bắt buộc." in text_of(row)  # rating, in Vietnamese
    assert "Cần xem lại" in row and re.search(r'value="at_risk"\s+selected', row)
    assert re.search(r'name="disciplined" value="1" checked', row)
    assert "Missing data" not in html and "refused" not in row_of(html, order[4])
    assert auth.as_("hr").get(f"/api/v1/cases/{task['case_id']}/history").get_json() == before
    assert auth.as_("head_khcn").get(f"/api/v1/tasks/{order[3]}").get_json()["status"] == "ready"
    assert "0/30 đã đánh giá" in text_of(html)


def test_progress_counts_what_is_done_in_the_reader_s_scope(app, auth, store):
    review_with_talents(store, auth)
    tasks = assessment_tasks(auth, "head_qlkh")  # the division's head: 15 of the 30
    assert len(tasks) == 15
    qlkh = signed_in(app, "head_qlkh")
    for task in tasks[:4]:
        qlkh.post(f"{GRID}/{task['id']}", PLAIN_ROW, status=302)
    assert "4/15 đã đánh giá" in text_of(qlkh.get(GRID))
    assert "4/30 đã đánh giá" in text_of(signed_in(app, "head_khcn").get(GRID))  # the department sees its division
    assert "0/2 đã đánh giá" in text_of(signed_in(app, "head_gddt").get(GRID))


def test_a_task_not_yours_in_the_grid_url_looks_exactly_like_a_missing_one(app, auth, store):
    review_with_talents(store, auth)
    theirs = assessment_tasks(auth, "head_gddt")[0]["id"]
    training = start_training(auth)["tasks"][0]["id"]  # head_khcn's, but of another kind
    head = signed_in(app, "head_khcn")
    missing = head.post(f"{GRID}/{uuid.uuid4()}", PLAIN_ROW, status=404)
    for task_id in (theirs, training):
        response = head.post(f"{GRID}/{task_id}", PLAIN_ROW, status=404)
        assert text_of(response.get_data(as_text=True)) == text_of(missing.get_data(as_text=True))
    mine = assessment_tasks(auth, "head_khcn")[0]["id"]
    hr = signed_in(app, "hr")  # may read every assessment, may do none
    assert text_of(hr.post(f"{GRID}/{mine}", PLAIN_ROW, status=404).get_data(as_text=True)) == \
        text_of(hr.post(f"{GRID}/{uuid.uuid4()}", PLAIN_ROW, status=404).get_data(as_text=True))
    nothing = text_of(hr.get(GRID))
    assert "0/0 đã đánh giá" in nothing and "Không còn việc nào ở đây." in nothing
    head.get("/tasks/grid/training_nomination/unit_head_decision", status=404)
    head.get("/tasks/grid/nonexistent/assess_talent", status=404)
    assert auth.as_("head_gddt").get(f"/api/v1/tasks/{theirs}").get_json()["status"] == "ready"


def test_after_completing_a_task_on_its_page_the_next_one_is_one_click_away(app, auth, store):
    review_with_talents(store, auth, ours=2, theirs=0)
    first, second = sorted(assessment_tasks(auth, "head_khcn"), key=lambda t: t["subject"])
    head = signed_in(app, "head_khcn")
    assert "Làm cả 2 việc này trên một trang" in text_of(head.get(f"/tasks/{first['id']}"))
    response = head.post(f"/tasks/{first['id']}", PLAIN_ROW, status=302)
    landed = head.get(response.headers["Location"])
    link = re.search(r'Việc tiếp theo: <a href="(/tasks/[0-9a-f-]{36})" class="next-task">([^<]+)</a>', landed)
    assert link and link.group(1) == f"/tasks/{second['id']}" and second["subject"] in link.group(2)
    assert "Làm cả" not in text_of(head.get(f"/tasks/{second['id']}"))  # one left: no grid offered
    assert f'href="{GRID}"' not in head.get("/")
    response = head.post(f"/tasks/{second['id']}", PLAIN_ROW, status=302)
    landed = head.get(response.headers["Location"])
    assert "Không còn việc cùng loại." in text_of(landed) and 'href="/" class="next-task"' in landed


def test_the_worklist_names_each_talent_offers_the_grid_and_shows_the_last_day(app, auth, store):
    review = review_with_talents(store, auth)
    html = signed_in(app, "head_khcn").get("/")
    page = text_of(html)
    assert all(name in page for name in review["ours"])  # whom each assessment is about, not only its case number
    assert f'href="{GRID}"' in html and "30 việc đang mở, làm trên một trang" in page
    assert "15/12/2026" in page and "16/12/2026" not in page
    task = assessment_tasks(auth, "head_khcn")[0]
    task_page = text_of(signed_in(app, "head_khcn").get(f"/tasks/{task['id']}"))
    assert "15/12/2026" in task_page and "16/12/2026" not in task_page


def grid_rows(page) -> list[str]:
    return re.findall(r'<tr id="row-([0-9a-f-]{36})"', page.get(GRID))


def completions(store, task_id: str) -> list[str]:
    """Who completed ``task_id``, from its case's chain (read from the store: after the deadline the
    tests' API tokens have expired with the clock)."""
    with store.read() as db:
        return list(db.scalars(select(Event.actor).where(Event.task_id == task_id, Event.type == "task_completed")))


def test_a_row_saved_after_the_deadline_closed_it_is_said_on_the_grid_not_a_missing_page(app, auth, store, service,
                                                                                         manual_clock):
    review_with_talents(store, auth, ours=4, theirs=0)
    manual_clock.set(datetime(2026, 12, 15, 16, 0, tzinfo=timezone.utc))  # 15/12 23:00: the grid still open
    head = signed_in(app, "head_khcn")
    order = grid_rows(head)
    manual_clock.set(datetime(2026, 12, 15, 17, 1, tzinfo=timezone.utc))  # 16/12 00:01 in Hai Phong
    assert service.fire_due(), "the assessments' deadline did not fire"
    response = head.post(f"{GRID}/{order[0]}?sort=name", {**PLAIN_ROW, "comment": "Đã nhập muộn"}, status=302)
    assert response.headers["Location"].endswith(f"{GRID}?sort=name")
    page = text_of(head.get(response.headers["Location"]))
    assert "không còn mở: việc đã đóng trước khi được hoàn thành (đã quá hạn" in page
    assert "Nội dung đã nhập ở dòng này chưa được lưu." in page and "Không tìm thấy" not in page
    assert completions(store, order[0]) == []


def test_a_row_a_colleague_completed_or_claimed_first_is_said_and_the_other_rows_still_save(app, auth, store):
    review_with_talents(store, auth, ours=4, theirs=0)
    head = signed_in(app, "head_khcn")
    order = grid_rows(head)
    qlkh = {task["id"] for task in assessment_tasks(auth, "head_qlkh")}  # the division's head: 2 of the 4
    done_first, claimed_first = [task_id for task_id in order if task_id in qlkh]
    signed_in(app, "head_qlkh").post(f"{GRID}/{done_first}", PLAIN_ROW, status=302)  # in another office
    assert auth.as_("head_qlkh").post(f"/api/v1/tasks/{claimed_first}/claim").status_code == 200

    response = head.post(f"{GRID}/{done_first}", {**PLAIN_ROW, "rating": "hoan_thanh_xuat_sac"}, status=302)
    page = text_of(head.get(response.headers["Location"]))
    assert "không còn mở: người khác đã hoàn thành việc này trước." in page and "Không tìm thấy" not in page
    assert completions(store, done_first) == ["head_qlkh"]  # the colleague's, not overwritten
    response = head.post(f"{GRID}/{claimed_first}", PLAIN_ROW, status=302)
    page = text_of(head.get(response.headers["Location"]))
    assert "đã do người khác nhận nên không còn trong bảng của đồng chí." in page
    assert completions(store, claimed_first) == []
    assert auth.as_("head_khcn").get(f"/api/v1/tasks/{claimed_first}").get_json()["claimed_by"] == "head_qlkh"

    left = [task_id for task_id in order if task_id not in qlkh]
    assert grid_rows(head) == left
    head.post(f"{GRID}/{left[0]}", PLAIN_ROW, status=302)
    assert completions(store, left[0]) == ["head_khcn"]


def test_progress_counts_the_rows_the_reader_may_do_and_says_apart_those_a_colleague_holds(app, auth, store):
    review_with_talents(store, auth, ours=4, theirs=1)
    held = assessment_tasks(auth, "head_qlkh")[0]["id"]
    assert auth.as_("head_qlkh").post(f"/api/v1/tasks/{held}/claim").status_code == 200
    head = signed_in(app, "head_khcn")
    order = grid_rows(head)
    page = text_of(head.get(GRID))
    assert len(order) == 3 and "0/3 đã đánh giá" in page
    assert "1 việc do người khác nhận, không có trong bảng này" in page
    for task_id in order:
        head.post(f"{GRID}/{task_id}", PLAIN_ROW, status=302)
    page = text_of(head.get(GRID))
    assert "3/3 đã đánh giá" in page and "1 việc do người khác nhận" in page  # n/n reached
    holder = text_of(signed_in(app, "head_qlkh").get(GRID))
    assert "1/2 đã đánh giá" in holder and "do người khác nhận" not in holder  # the claimed row is theirs


def test_a_substitutes_grid_holds_the_absent_unit_heads_assessments(app, auth, store, manual_clock):
    from tests.api.test_substitutes import on_leave

    review_with_talents(store, auth, ours=4, theirs=0)
    on_leave(auth)  # head_khcn away, expert1 standing in
    html = signed_in(app, "expert1").get(GRID)
    assert len(row_names(html)) == 4
