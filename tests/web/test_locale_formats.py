"""How figures, deadlines and typed dates read: Vietnamese writes 71,5 and 11,7 %, a deadline at the
city's midnight is the end of the day before, and people type dates as dd/mm/yyyy."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from sqlalchemy import update

from api.web.formats import deadline_local, number, number_typed, parse_day, percent
from engine.store.models import Task
from engine.time.clock import last_day
from tests.helpers import complete, ready_task, start_training
from tests.web.support import signed_in, text_of
from tests.web.test_dashboard_pages import appointments
from tests.workflows.exam_support import exam_with_marks
from workflows.exam_pages import _due_day

END_OF_15_DECEMBER = datetime(2026, 12, 15, 17, 0, tzinfo=timezone.utc)  # 16/12/2026 00:00 in Hai Phong


def test_a_share_on_the_dashboard_reads_11_7_percent_in_vietnamese_and_11_7_percent_in_english(app, store):
    appointments(store, *[("SKHCN", True)] * 7, *[("SKHCN", False)] * 53)  # 7 of 60 by exam
    page = signed_in(app, "hr")
    vi = text_of(page.get("/dashboard?year=2026"))
    assert "Toàn thành phố: 11,7 %" in vi and "11.7" not in vi
    page.client.get("/lang/en")
    en = text_of(page.get("/dashboard?year=2026"))
    assert "City-wide: 11.7 %" in en and "11,7" not in en


def test_a_mark_on_the_council_page_reads_71_5_in_vietnamese_and_71_5_in_english(app, auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 71.5, "TS02": 80, "TS03": 40})
    page = signed_in(app, "hr")
    vi = page.get(f"/cases/{case_id}/council")
    row = re.search(r"<tr[^>]*>\s*<th[^>]*>TS01</th>.*?</tr>", vi, re.S)
    assert row and "71,5" in text_of(row.group(0)) and "71.5" not in vi
    assert "80" in text_of(re.search(r"<tr[^>]*>\s*<th[^>]*>TS02</th>.*?</tr>", vi, re.S).group(0))
    page.client.get("/lang/en")
    en = page.get(f"/cases/{case_id}/council")
    assert "71.5" in text_of(re.search(r"<tr[^>]*>\s*<th[^>]*>TS01</th>.*?</tr>", en, re.S).group(0))
    assert "71,5" not in en


def test_an_allowance_rate_in_the_registry_reads_as_the_reader_writes_it():
    assert percent(1.5, "vi") == percent(1.5, "en") == "150 %"
    assert percent(0.117, "vi") == "11,7 %" and percent(0.117, "en") == "11.7 %" and percent(None) == "—"
    assert number(1250.5, locale="vi") == "1.250,5" and number(1250.5, locale="en") == "1,250.5"
    assert number(2 / 3, 1, "vi") == "0,7" and number(3, 0, "en") == "3" and number(None) == "—"
    # typed back into a mark's input: the reader's decimal sign, never grouped, a mistyped value as typed
    assert number_typed("71.5", "vi") == "71,5" and number_typed("71.5", "en") == "71.5"
    assert number_typed("1250.5", "vi") == "1250,5" and number_typed("abc", "vi") == "abc"


def test_a_deadline_at_the_citys_midnight_is_the_last_minute_of_the_day_before():
    assert last_day(END_OF_15_DECEMBER) == date(2026, 12, 15)
    assert deadline_local(END_OF_15_DECEMBER) == deadline_local("2026-12-16T00:00:00+07:00") == "15/12/2026 23:59"
    assert deadline_local(datetime(2026, 12, 15, 9, 30, tzinfo=timezone.utc)) == "15/12/2026 16:30"
    assert deadline_local(date(2026, 12, 15)) == "15/12/2026" and deadline_local(None) == ""
    # the exam's council panel says the same day ("to be told by 15/12/2026")
    assert _due_day("2026-12-16T00:00:00+07:00") == _due_day("2026-12-15T23:59:59+07:00") == date(2026, 12, 15)


def test_a_task_due_at_the_end_of_15_december_says_15_12_23_59_in_the_worklist_and_on_its_page(app, auth, store):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    with store.command() as conn:
        conn.execute(update(Task).where(Task.id == task["id"]).values(due_at=END_OF_15_DECEMBER))
    page = signed_in(app, "expert1")
    worklist = page.get("/")
    row = re.search(rf'<tr[^>]*>(?:(?!</tr>).)*/tasks/{task["id"]}.*?</tr>', worklist, re.S)
    assert row and "15/12/2026 23:59" in text_of(row.group(0))
    task_page = text_of(page.get(f"/tasks/{task['id']}"))
    assert "15/12/2026 23:59" in task_page
    case_page = page.get(f"/cases/{case['id']}")
    assert "15/12/2026 23:59" in text_of(case_page)
    assert not any("16/12/2026" in html for html in (worklist, task_page, case_page))


def _to_enrolment(auth) -> dict:  # type: ignore[no-untyped-def]
    case = start_training(auth)
    case = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
                    {"recommendation": "support", "mentor_comment": "ok"})
    case = complete(auth, "head_khcn", ready_task(case, "unit_head_approval")["id"], {"decision": "approve"})
    return ready_task(case, "hr_enrolment")


def test_a_date_typed_15_12_2026_is_kept_as_that_day_and_shown_back_as_typed_after_an_error(app, auth):
    task = _to_enrolment(auth)
    page = signed_in(app, "hr")
    form = page.get(f"/tasks/{task['id']}")
    field = re.search(r'<input[^>]*name="class_start"[^>]*>', form, re.S).group(0)
    assert 'type="text"' in field and 'placeholder="dd/mm/yyyy"' in field and "pattern=" in field
    assert "f-class_start-fmt" in field and "dd/mm/yyyy (ví dụ 15/12/2026)" in text_of(form)

    refused = page.post(f"/tasks/{task['id']}", {"class_code": "", "class_start": "15/12/2026"}, status=422)
    html = refused.get_data(as_text=True)
    assert re.search(r'name="class_start"[^>]*value="15/12/2026"', html, re.S)
    assert 'id="f-class_code-err"' in html and 'id="f-class_start-err"' not in html

    page.post(f"/tasks/{task['id']}", {"class_code": "A1", "class_start": "15/12/2026"}, status=302)
    data = auth.as_("hr").get(f"/api/v1/cases/{task['case_id']}").get_json()["data"]
    assert data["class_start"] == "2026-12-15"


def test_a_day_that_does_not_exist_is_refused_in_vietnamese_and_iso_is_still_read(app, auth):
    task = _to_enrolment(auth)
    page = signed_in(app, "hr")
    refused = page.post(f"/tasks/{task['id']}", {"class_code": "A1", "class_start": "31/02/2026"}, status=422)
    html = refused.get_data(as_text=True)
    errors = re.search(r'<ul class="field-errors" id="f-class_start-err">.*?</ul>', html, re.S)
    assert errors and "“31/02/2026” không phải là một ngày: hãy nhập theo dạng dd/mm/yyyy" in text_of(errors.group(0))
    assert re.search(r'name="class_start"[^>]*value="31/02/2026"', html, re.S)
    assert parse_day("2026-12-15") == parse_day("15/12/2026") == parse_day("15.12.2026") == date(2026, 12, 15)
    assert parse_day("31/02/2026") is None and parse_day("15/12") is None and parse_day("2026-13-01") is None


def test_a_typed_number_is_read_only_when_it_cannot_mean_two_things():
    """7,5 and 7.5 are seven and a half; "1.000" and "1,000" are a thousand in one language and one
    in the other, and "7_5" would be 75 to Python: refused (kept as typed, for the form to say so)."""
    from api.web.pages.formpost import _number

    assert _number("7,5", integer=False) == 7.5 and _number(" 7.5 ", integer=False) == 7.5
    assert _number("100", integer=True) == 100 and _number("-3", integer=True) == -3
    for typed in ("7_5", "1.000", "1,000", "1,5,0", "7.", "abc", "1e3", "nan"):
        assert _number(typed, integer=False) == typed
    assert _number("1_0", integer=True) == "1_0" and _number("1.000", integer=True) == "1.000"


def test_a_typed_day_lies_between_1900_and_2100_and_is_shown_with_four_digits():
    from datetime import date

    from api.web.formats import day_typed, parse_day

    assert parse_day("15/12/2026") == date(2026, 12, 15) and parse_day("2026-12-15") == date(2026, 12, 15)
    assert parse_day("01/01/0001") is None and parse_day("0001-01-01") is None
    assert parse_day("31/12/9999") is None and parse_day("1/1/1899") is None
    assert day_typed("1900-01-01") == "01/01/1900" and day_typed(date(1905, 3, 4)) == "04/03/1905"


def test_search_folds_the_eth_often_typed_for_the_vietnamese_d():
    from engine.cases.search import search_key

    assert search_key("Ðặng Văn Ðức") == search_key("Đặng Văn Đức") == "dang van duc"
