"""Issue 14, point 7: a start form is offered only to who may start it, and a start refused
after submit keeps what was typed and says why in the reader's language."""
from __future__ import annotations

import re

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


def options_of(html: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"{name} is not a select"
    return {value: text.strip() for value, text in re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>',
                                                              select.group(1), re.S) if value}


def test_units_are_chosen_by_name_among_those_the_user_may_start_for(app):
    head = signed_in(app, "head_khcn")  # unit head of SKHCN and below
    units = options_of(head.get("/cases/new/training_nomination"), "unit")
    assert "SKHCN" in units and "SKHCN-QLKH" in units and "SGDDT" not in units
    assert units["SKHCN"] != "SKHCN"  # the unit's name, not its code
    hr_units = options_of(signed_in(app, "hr").get("/cases/new/training_nomination"), "unit")
    assert {"SKHCN", "SGDDT"} <= set(hr_units)
    nominated = options_of(signed_in(app, "nominator").get("/cases/new/talent_nomination"), "unit")
    assert {"SKHCN", "SGDDT"} <= set(nominated)  # the nominee's unit, if any: any unit of the city


def test_the_exam_plan_offers_units_and_post_levels_by_their_words(app):
    hr = signed_in(app, "hr")
    html = hr.get("/cases/new/leadership_exam")
    assert "SGDDT" in options_of(html, "unit")
    levels = options_of(html, "level")
    assert list(levels) == ["giam_doc_so", "pho_giam_doc_so", "truong_phong", "pho_truong_phong", "other"]
    assert levels["truong_phong"] == "Trưởng phòng"
    hr.client.get("/lang/en")
    assert options_of(hr.get("/cases/new/leadership_exam"), "level")["truong_phong"] == "Head of division"


def test_a_unit_chosen_and_refused_stays_chosen(app):
    head = signed_in(app, "head_khcn")
    head.get("/cases/new/training_nomination")
    html = head.post("/cases/new/training_nomination", {"talent_name": "T", "unit": "SKHCN-QLKH"},
                     status=422).get_data(as_text=True)
    assert re.search(r'<option value="SKHCN-QLKH"\s+selected', html)
