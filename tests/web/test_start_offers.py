"""Issue 14, point 7: a start form is offered only to who may start it, and a start refused
after submit keeps what was typed and says why in the reader's language."""
from __future__ import annotations

from tests.web.said import messages_in
from tests.web.support import signed_in, text_of


def test_the_process_list_offers_only_what_the_user_may_start(app):
    nominator = signed_in(app, "nominator")
    listed = nominator.get("/cases/new")
    assert "/cases/new/talent_nomination" in listed
    assert "/cases/new/leadership_exam" not in listed  # the exam plan is hr's
    assert "/cases/new/talent_assessment" not in listed  # only a review starts one
    hr = signed_in(app, "hr").get("/cases/new")
    assert "/cases/new/leadership_exam" in hr and "/cases/new/annual_talent_review" in hr
    head = signed_in(app, "head_khcn").get("/cases/new")
    assert "/cases/new/training_nomination" in head and "/cases/new/leadership_exam" not in head


def test_a_process_one_may_not_start_is_refused_before_its_form_in_the_readers_language(app):
    nominator = signed_in(app, "nominator")
    html = nominator.get("/cases/new/leadership_exam", status=403)
    assert "Bạn không được khởi tạo quy trình này." in messages_in(html, 403)
    assert 'name="council-rows"' not in html and 'name="post"' not in html
    nominator.client.get("/lang/en")
    html = nominator.get("/cases/new/leadership_exam", status=403)
    assert "You may not start this process." in messages_in(html, 403)
    response = nominator.post("/cases/new/leadership_exam", {"post": "Giám đốc"}, status=403)
    assert "You may not start this process." in messages_in(response.get_data(as_text=True), 403)


def test_a_start_refused_for_the_unit_keeps_the_form_as_typed(app):
    head = signed_in(app, "head_khcn")
    head.get("/cases/new/training_nomination")
    typed = {"business_key": "DT-77", "talent_name": "Trần Thu Hà", "unit": "SGDDT", "course": "Lớp AI",
             "field_of_study": "management", "mentor": "expert1"}
    response = head.post("/cases/new/training_nomination", typed, status=403)
    html = response.get_data(as_text=True)
    assert "Bạn không được khởi tạo quy trình này cho đơn vị đã chọn." in messages_in(html, 403)
    assert 'value="DT-77"' in html and "Trần Thu Hà" in html and "Lớp AI" in html
    assert 'name="talent_name"' in html
    head.client.get("/lang/en")
    head.get("/cases/new/training_nomination")
    html = head.post("/cases/new/training_nomination", typed, status=403).get_data(as_text=True)
    assert "You may not start this process for the unit you chose." in text_of(html)
    assert "Trần Thu Hà" in html
