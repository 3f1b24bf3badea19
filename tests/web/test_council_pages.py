"""Council pages of the leadership exam: sheets of one row per candidate, blind round 2, results."""
from __future__ import annotations

import re
from datetime import timedelta

from engine.time.clock import CITY_ZONE
from workflows.leadership_exam import REMARK_DAYS

from tests.web.sheets import send_sheet
from tests.web.support import signed_in, text_of, unlabelled_controls
from tests.workflows.exam_support import (close_remarking, declare_all, do, exam_with_marks, score, start_exam,
                                          task_of, close_registration, screen)

MARKS = {"TS01": 80, "TS02": 70, "TS03": 40}


def test_the_declaration_offers_the_cases_candidates_and_the_mark_sheet_has_a_row_each(app, auth, service,
                                                                                        manual_clock):
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, *MARKS)
    page = signed_in(app, "secretary")
    declaration = task_of(auth, "secretary", case_id, "declare_conflict")
    html = page.get(f"/tasks/{declaration['id']}")
    response = page.post(f"/tasks/{declaration['id']}", {"_add": "relations", "relations-rows": "0"}, status=200)
    html = response.get_data(as_text=True)
    assert unlabelled_controls(html) == []
    options = re.findall(r'<option value="(TS\d+)"[^>]*>([^<]+)</option>', html)
    assert options[:3] == [("TS01", "TS01 — Nguyễn Văn An"), ("TS02", "TS02 — Trần Thị Bình"),
                           ("TS03", "TS03 — Chu Thị Châu")]
    marks = task_of(auth, "secretary", case_id, "record_written_marks")
    html = page.get(f"/tasks/{marks['id']}")
    assert re.findall(r'name="marks-\d+-candidate_code"[^>]*value="(TS\d+)"', html) == list(MARKS)
    assert 'name="_add"' not in html  # one fixed row per candidate, with the candidate's name
    assert re.findall(r'class="subject row-note">([^<]+)<', html) == ["Nguyễn Văn An", "Trần Thị Bình", "Chu Thị Châu"]
    declare_all(auth, case_id)
    response = page.post(f"/tasks/{marks['id']}", {"marks-rows": "3", "marks-0-candidate_code": "TS01",
                                                   "marks-0-mark": "101", "marks-1-candidate_code": "TS02",
                                                   "marks-1-mark": "7,5", "marks-2-candidate_code": "TS03",
                                                   "marks-2-mark": "abc"}, status=422)
    html = response.get_data(as_text=True)
    assert 'id="f-marks-0-mark-err"' in html and 'id="f-marks-2-mark-err"' in html
    assert 'id="f-marks-1-mark-err"' not in html  # 7,5 is a number as written in Vietnam
    assert 'value="abc"' in html  # what was typed is shown again


def test_round_2_sheets_show_own_scores_only_until_everyone_has_scored(app, auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, MARKS)
    close_remarking(auth, service, manual_clock)
    member1 = signed_in(app, "member1")
    sheet = task_of(auth, "member1", case_id, "score_round2")
    html = member1.get(f"/tasks/{sheet['id']}")
    assert re.findall(r'name="scores-\d+-candidate_code"[^>]*value="(TS\d+)"', html) == ["TS01", "TS02"]
    send_sheet(member1, f"/tasks/{sheet['id']}", {"scores-rows": "2", "scores-0-candidate_code": "TS01",
                                                 "scores-0-score": "91", "scores-1-candidate_code": "TS02",
                                                 "scores-1-score": "62"})
    score(auth, "chair", case_id, {"TS01": 77, "TS02": 66})
    for reader in ("member1", "member2", "hr"):
        page = signed_in(app, reader)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/council"):
            text = text_of(page.get(path))
            assert "2/5" in text, (reader, path)
            assert not {"91", "62", "77", "66"} & set(text.split()), (reader, path)  # nobody's scores yet
    for member in ("secretary", "member2", "member3"):
        score(auth, member, case_id, {"TS01": 80, "TS02": 60})
    text = text_of(signed_in(app, "member2").get(f"/cases/{case_id}/council"))
    assert "Xếp hạng" in text or "Kết quả" in text
    assert "TS01 · Nguyễn Văn An" in text and "161,6" in text  # 80 + mean(91, 77, 80, 80, 80), as Vietnamese writes it
    assert "chờ chủ tịch hội đồng xác nhận" in text


def test_the_results_are_marked_confirmed_once_the_chair_confirms(app, auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, MARKS)
    close_remarking(auth, service, manual_clock)
    for member in ("chair", "secretary", "member1", "member2", "member3"):
        score(auth, member, case_id, {"TS01": 70, "TS02": 90})
    do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    html = signed_in(app, "approver").get(f"/cases/{case_id}/council")
    today = manual_clock.now().astimezone(CITY_ZONE).strftime("%d/%m/%Y")
    assert 'class="winner"' in html and f"đã xác nhận ngày {today}" in text_of(html)


def test_a_council_page_of_another_process_or_an_unknown_case_is_not_found(app, auth):
    from tests.helpers import start_training

    case = start_training(auth)
    page = signed_in(app, "head_khcn")
    page.get(f"/cases/{case['id']}/council", status=404)
    page.get("/cases/999999/council", status=404)


def test_sealed_round_2_scores_are_in_no_page_and_in_no_api_answer_for_the_same_people(app, auth, service,
                                                                                       manual_clock):
    def numbers_in(value):  # type: ignore[no-untyped-def]
        if isinstance(value, dict):
            return {n for v in value.values() for n in numbers_in(v)}
        if isinstance(value, list):
            return {n for v in value for n in numbers_in(v)}
        return {f"{value:g}"} if isinstance(value, (int, float)) and not isinstance(value, bool) else set()

    case_id = exam_with_marks(auth, service, manual_clock, MARKS)
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    score(auth, "member1", case_id, {"TS01": 91.5, "TS02": 62.25})
    score(auth, "chair", case_id, {"TS01": 77.75, "TS02": 63.5})
    sealed = {"91.5", "62.25", "77.75", "63.5"}  # no id, sequence number or mark can look like these
    for reader in ("member1", "member2", "hr", "approver"):
        for part in ("", "/history"):
            assert not sealed & numbers_in(auth.as_(reader).get(f"/api/v1/cases/{case_id}{part}").get_json()), \
                (reader, part)
        page = signed_in(app, reader)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/council", f"/tasks/{sheet['id']}"):
            assert not sealed & set(text_of(page.get(path)).split()), (reader, path)


def test_during_re_marking_the_council_page_shows_each_candidates_standing_and_the_windows_last_day(
        app, auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 100, "TS02": 70, "TS03": 40})
    last_day = (manual_clock.now().astimezone(CITY_ZONE) + timedelta(days=REMARK_DAYS)).strftime("%d/%m/%Y")
    text = text_of(signed_in(app, "hr").get(f"/cases/{case_id}/council"))
    assert f"Đang trong thời hạn phúc khảo: nhận đơn đến hết ngày {last_day}" in text
    rows = {code: row for code, row in re.findall(r"(TS0\d) (.*?)(?= TS0\d|$)", text[text.index("TS01 "):])}
    assert "100 đạt vòng 1 — chờ hết hạn phúc khảo" in rows["TS01"]  # not "dừng", whatever the mark
    assert "70 đạt vòng 1 — chờ hết hạn phúc khảo" in rows["TS02"]
    assert "40 chưa đạt — có thể phúc khảo" in rows["TS03"]
    assert " dừng" not in text
    close_remarking(auth, service, manual_clock)
    text = text_of(signed_in(app, "hr").get(f"/cases/{case_id}/council"))
    assert "phúc khảo: nhận đơn" not in text and "dừng" in text  # the window closed: TS03 is out
