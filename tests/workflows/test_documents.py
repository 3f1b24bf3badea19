"""The papers of real runs, read back as a reviewer reads them: a leadership exam's scoring
minutes, result report and appointment decision, and a nomination's recognition decision, each
as DOCX (python-docx) and PDF (poppler-utils) in the format of Decree 30/2020."""
from __future__ import annotations

from datetime import date

from tests.helpers import complete, ready_task
from tests.workflows import papers
from tests.workflows.test_annual_talent_review import PLAIN, assessments, review, start_review, talent
from tests.workflows.exam_support import (close_registration, close_remarking, declare_all, do, record_marks,
                                          score_all, screen, start_exam)
from tests.workflows.test_talent_nomination import COUNCIL, council_votes, nominate, verify

FIVE = {"TS01": 80, "TS02": 62, "TS03": 48, "TS04": 55, "TS05": 30}


def run_exam(auth, service, manual_clock) -> int:  # type: ignore[no-untyped-def]
    """The exam of DOMAIN.md: a re-mark lifts TS03 (Chu Thị Châu) into round 2, and she wins."""
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, *FIVE)
    declare_all(auth, case_id)
    record_marks(auth, case_id, FIVE)
    do(auth, "secretary", case_id, "record_remarks",
       {"remarks": [{"candidate_code": "TS03", "new_mark": 71, "request_ref": "PK-01/2026"}]})
    close_remarking(auth, service, manual_clock)
    score_all(auth, case_id, {"TS01": [60, 62, 58, 61, 59], "TS02": [70.01, 70, 70, 70, 70.02],
                              "TS03": [75, 76, 74, 77, 73], "TS04": [45, 48, 50, 47, 46]})
    return case_id


def paper(auth, user, case_id, kind, name):  # type: ignore[no-untyped-def]
    made = papers.generate(auth, user, case_id, kind)
    document, text = papers.docx_text(papers.download(auth, user, case_id, made["docx_file_id"]))
    papers.assert_decree30_page(document)
    facts = papers.pdf_facts(papers.download(auth, user, case_id, made["pdf_file_id"]), name)
    papers.assert_a4_serif(facts)
    return made, text, facts["text"]


def test_an_exams_papers_carry_its_names_marks_ranking_and_numbers(auth, service, manual_clock):
    papers.require_tools()
    case_id = run_exam(auth, service, manual_clock)
    listing = auth.as_("hr").get(f"/api/v1/cases/{case_id}/documents").get_json()
    assert [d["kind"] for d in listing["available"]] == ["scoring_minutes"]  # not confirmed yet

    made, text, pdf = paper(auth, "hr", case_id, "scoring_minutes", "scoring_minutes")
    assert made["symbol"] == "1/BB-HĐTT" and made["year"] == 2026
    for said in (text, pdf):
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in said and "Độc lập - Tự do - Hạnh phúc" in said
        assert "Số: 1/BB-HĐTT" in said and "HỘI ĐỒNG THI TUYỂN" in said and "Nơi nhận" in said
        for name in ("Nguyễn Văn An", "Trần Thị Bình", "Chu Thị Châu", "Lê Văn Dũng", "Phạm Thu Giang"):
            assert name in said
        assert "TS03: 48 → 71" in said  # the re-mark is minuted
    assert "Chu Thị Châu TS03 71 75 146" in pdf and "Trần Thị Bình TS02 62 70,01 132,01" in pdf
    assert "Phạm Thu Giang TS05 30 - -" in pdf  # out after the written round

    do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    made, text, pdf = paper(auth, "hr", case_id, "result_report", "result_report")
    assert made["symbol"] == "1/BC-HĐTT"
    assert "1 Chu Thị Châu 71 75 146 Đạt" in pdf and "2 Nguyễn Văn An 80 60 140 Đạt" in pdf
    assert "3 Trần Thị Bình 62 70,01 132,01 Đạt" in pdf and "Lê Văn Dũng 55 47,2 102,2 Không đạt" in pdf
    assert "Người trúng tuyển: Chu Thị Châu." in text

    made, text, pdf = paper(auth, "approver", case_id, "appointment_decision", "appointment_decision")
    assert made["symbol"] == "1/QĐ-UBND"
    assert "Số: 1/QĐ-UBND" in pdf and "QUYẾT ĐỊNH" in pdf
    issued = made["issued_on"]
    day = f"{int(issued[8:]):02d}" if int(issued[8:]) < 10 else str(int(issued[8:]))
    assert f"Hải Phòng, ngày {day} tháng {int(issued[5:7])} năm 2026" in text
    assert "Bổ nhiệm Ông/Bà Chu Thị Châu" in text and "Giám đốc Sở Khoa học và Công nghệ" in text
    assert "Thời hạn giữ chức vụ là 5 năm" in text
    again = auth.as_("hr").post(f"/api/v1/cases/{case_id}/documents", json={"kind": "appointment_decision"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_generated"

    # the approver records the decision they sign: that paper's number, effective from its date
    wrong = auth.as_("approver").post(f"/api/v1/tasks/{task_id(auth, case_id)}/complete", json={"data": {
        "appointment": "appoint", "decision_no": "77/QĐ-UBND", "effective_date": issued}})
    assert wrong.status_code == 422 and set(wrong.get_json()["error"]["details"]) == {"decision_no"}
    assert "1/QĐ-UBND" in wrong.get_json()["error"]["details"]["decision_no"][0]
    late = auth.as_("approver").post(f"/api/v1/tasks/{task_id(auth, case_id)}/complete", json={"data": {
        "appointment": "appoint", "decision_no": "1/QĐ-UBND", "effective_date": "2026-12-31"}})
    assert late.status_code == 422 and set(late.get_json()["error"]["details"]) == {"effective_date"}
    assert auth.as_("hr").get("/api/v1/appointments").get_json()["items"] == []  # nothing recorded
    case = do(auth, "approver", case_id, "appointment_decision",
              {"appointment": "appoint", "decision_no": "1/QĐ-UBND", "effective_date": issued})
    assert case["status"] == "appointed"
    [appointment] = auth.as_("hr").get("/api/v1/appointments").get_json()["items"]
    assert appointment["decision_no"] == "1/QĐ-UBND"


def task_id(auth, case_id):  # type: ignore[no-untyped-def]
    case = auth.as_("approver").get(f"/api/v1/cases/{case_id}").get_json()
    return next(t["id"] for t in case["tasks"] if t["element_id"] == "appointment_decision")


def test_a_recognition_decision_names_the_talent_and_the_allowance_from_its_date(auth):
    papers.require_tools()
    case = nominate(auth)
    case = verify(auth, case, verification_result="verified", council_members=COUNCIL)
    assert auth.as_("hr").get(f"/api/v1/cases/{case['id']}/documents").get_json()["available"] == []
    council_votes(auth, case, {"member1": "approve", "member2": "approve", "member3": "approve",
                               "member4": "reject"})
    made, text, pdf = paper(auth, "approver", case["id"], "recognition_decision", "recognition_decision")
    assert made["symbol"] == "1/QĐ-UBND"
    issued = made["issued_on"]
    vn = f"{issued[8:]}/{issued[5:7]}/{issued[:4]}"
    for said in (text, pdf):
        assert "Trần Thị Minh Anh" in said and "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG" in said
        assert "Nhà khoa học trẻ" in said or "nhà khoa học trẻ" in said.lower()
    assert f"phụ cấp bằng 150% mức lương hiện hưởng kể từ ngày {vn}" in text
    assert "(3/4 thành viên đồng ý)" in text and "Số: 1/QĐ-UBND" in pdf


def assessed_review(auth, store):  # type: ignore[no-untyped-def]
    """A 2026 review of two talents of two units, both assessed by their unit heads (at risk, removed)."""
    papers.require_tools()
    stalled = ((2022, "hoan_thanh"), (2023, "hoan_thanh"), (2024, "hoan_thanh"), (2025, "hoan_thanh"))
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1), stalled)
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15), stalled[1:])
    case = start_review(auth)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    complete(auth, "head_qlkh", assessments(auth, "head_qlkh", case["id"])[0]["id"], PLAIN)
    return case


def test_the_reviewed_list_sorts_kept_at_risk_and_removed_with_reasons(auth, store):
    case = assessed_review(auth, store)
    assert auth.as_("hr").get(f"/api/v1/cases/{case['id']}/documents").get_json()["available"] == []
    complete(auth, "hr", ready_task(review(auth, case["id"]), "consolidate_review")["id"], {})
    made, text, pdf = paper(auth, "hr", case["id"], "reviewed_talent_list", "reviewed_talent_list")
    assert made["symbol"] == "1/DS-UBND" and "DANH SÁCH" in pdf
    assert "I. Tiếp tục duy trì trong danh sách (0 người)" in text
    assert "II. Cảnh báo (1 người)" in text and "III. Đưa ra khỏi danh sách (1 người)" in text
    assert "Lê Văn Minh" in pdf and "Trần Thị Lan" in pdf and "chưa có dấu hiệu phát triển" in text


def test_a_unit_head_neither_sees_nor_downloads_the_city_wide_reviewed_list(auth, store):
    """The reviewed list names every unit's talents; a unit head reads only their own units' in the
    case data, so the paper is hidden from them as the data is (listing, file list, download)."""
    case = assessed_review(auth, store)
    complete(auth, "hr", ready_task(review(auth, case["id"]), "consolidate_review")["id"], {})
    made = papers.generate(auth, "hr", case["id"], "reviewed_talent_list")
    head, api = auth.as_("head_gddt"), f"/api/v1/cases/{case['id']}"
    assert [t["full_name"] for t in head.get(api).get_json()["data"]["talents"]] == ["Trần Thị Lan"]
    assert head.get(f"{api}/files").get_json() == []
    assert head.get(f"{api}/documents").get_json()["generated"] == []
    assert head.get(f"{api}/files/{made['pdf_file_id']}").status_code == 404
    hr_files = {f["id"] for f in auth.as_("hr").get(f"{api}/files").get_json()}
    assert {made["docx_file_id"], made["pdf_file_id"]} <= hr_files
    assert auth.as_("approver").get(f"{api}/files/{made['pdf_file_id']}").status_code == 200


NAMES = {"chair": "Phạm Minh Chính", "secretary": "Đỗ Thị Thu", "member1": "Hoàng Văn An",
         "member2": "Vũ Thị Bình", "member3": "Ngô Đức Cường"}


def called(store, names):  # type: ignore[no-untyped-def]
    """Give the users the names they are called by (the test users are called by their usernames)."""
    from sqlalchemy import update

    from engine.store.models import User

    with store.transaction() as session:
        for username, name in names.items():
            session.execute(update(User).where(User.username == username).values(display_name=name))


def test_the_minutes_name_the_council_by_seat_and_the_chair_signs_by_display_name_never_username(
        auth, service, manual_clock, store):
    import re

    papers.require_tools()
    case_id = run_exam(auth, service, manual_clock)
    called(store, NAMES)
    made = papers.generate(auth, "hr", case_id, "scoring_minutes")
    document, text = papers.docx_text(papers.download(auth, "hr", case_id, made["docx_file_id"]))
    council = [p.text for p in document.paragraphs if p.text.startswith("- ")]
    assert council == ["- Phạm Minh Chính: Chủ tịch Hội đồng;", "- Đỗ Thị Thu: Thư ký Hội đồng;",
                       "- Hoàng Văn An: Ủy viên;", "- Vũ Thị Bình: Ủy viên;", "- Ngô Đức Cường: Ủy viên;"]
    signer_block = document.tables[-1].rows[0].cells[1].text
    assert "CHỦ TỊCH HỘI ĐỒNG" in signer_block and signer_block.rstrip().endswith("Phạm Minh Chính")
    assert not re.search(r"\b(chair|secretary|member[123])\b", text), text  # no username on the paper

    do(auth, "chair", case_id, "confirm_results", {"results_confirmed": True})
    report = papers.generate(auth, "hr", case_id, "result_report")
    document, text = papers.docx_text(papers.download(auth, "hr", case_id, report["docx_file_id"]))
    assert document.tables[-1].rows[0].cells[1].text.rstrip().endswith("Phạm Minh Chính")
    assert not re.search(r"\b(chair|secretary|member[123])\b", text), text
