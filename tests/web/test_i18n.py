"""Languages: every message of the pages is translated to Vietnamese, English on request, dd/mm/yyyy dates."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from api.web import i18n
from tests.helpers import ready_task, start_training
from tests.web.support import signed_in, text_of

WEB = Path(i18n.__file__).resolve().parent


def test_every_message_of_the_pages_has_a_vietnamese_translation():
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), method_map, keywords={"_": None, "gettext": None, "_l": None, "lazy_gettext": None})}
    with (WEB / "translations/vi/LC_MESSAGES/messages.po").open("rb") as po:
        vi = {m.id: m.string for m in read_po(po) if m.id}
    missing = sorted(m for m in found if not vi.get(m))
    assert len(found) > 200 and missing == []


def test_catalogues_compile_to_mo_files_at_start(tmp_path):
    target = i18n.compile_catalogues(tmp_path)
    assert (target / "vi/LC_MESSAGES/messages.mo").stat().st_size > 1000
    assert (target / "en/LC_MESSAGES/messages.mo").exists()


def test_dates_read_dd_mm_yyyy_in_the_citys_zone_and_time_left_in_days_and_hours():
    late_evening_utc = datetime(2026, 3, 31, 18, 30, tzinfo=timezone.utc)  # already 1 April in Hai Phong
    assert i18n.date_local(late_evening_utc) == "01/04/2026"
    assert i18n.datetime_local(late_evening_utc) == "01/04/2026 01:30"
    assert i18n.date_local(date(2026, 5, 15)) == i18n.plain("2026-05-15") == "15/05/2026"
    assert i18n.plain(80.0) == "80" and i18n.plain(70.01) == "70,01"  # outside a page: Vietnamese


def test_english_on_request_with_the_forms_english_labels(app, auth):
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    page = signed_in(app, "expert1")
    vi = text_of(page.get(f"/tasks/{task['id']}"))
    assert "Ý kiến" in vi and "Ủng hộ" in vi and "Gửi và hoàn thành công việc" in vi
    page.client.get("/lang/en")
    en = text_of(page.get(f"/tasks/{task['id']}"))
    assert "Recommendation" in en and "Support" in en and "Submit and complete the task" in en
    assert "Ý kiến" not in en
    page.client.get("/lang/xx")  # an unknown language changes nothing
    assert "Submit and complete the task" in text_of(page.get(f"/tasks/{task['id']}"))
