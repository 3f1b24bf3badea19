"""The review's progress page for hr, its "Nhắc đơn vị" buttons, and the reminder in the heads' pages.

The same three units as tests/workflows/test_review_progress.py: SGDDT done, SKHCN-QLKH half,
SKHCN nothing, and the deadline passed. The pages work without JavaScript: a button is a form.
"""
from __future__ import annotations

import re
from html import unescape
from typing import Any

from tests.web.said import messages_in, not_vietnamese
from tests.web.support import signed_in, text_of
from tests.workflows.test_review_progress import three_units_review


def progress_rows(html: str) -> dict[str, list[str]]:
    """The progress table's rows: the unit's code -> the figures and what the last cell says."""
    table = html[html.index('class="grid small progress-table"'):]
    table = table[:table.index("</table>")]
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]:
        cells = [text_of(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
        rows[cells[0].split(" · ")[0]] = cells[1:]
    return rows


def test_hr_sees_each_unit_s_figures_and_reminds_the_late_unit_from_the_page(app, auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    hr = signed_in(app, "hr")
    html = hr.get(f"/cases/{case['id']}/progress")
    said = text_of(html)
    assert "Tiến độ đánh giá theo đơn vị: 2026" in said and "Hạn đánh giá: 15/12/2026" in said
    assert "3/7 đã đánh giá" in said and "4 chưa đánh giá, trong đó 4 quá hạn" in said
    rows = progress_rows(html)
    # assessed, open, overdue, ended unassessed, total, reminder
    assert rows == {"SGDDT": ["2", "0", "0", "0", "2", "—"], "SKHCN": ["0", "3", "3", "0", "3", "Nhắc đơn vị"],
                    "SKHCN-QLKH": ["1", "1", "1", "0", "2", "Nhắc đơn vị"]}
    assert 'aria-label="Nhắc đơn vị SKHCN: 3 hồ sơ chưa đánh giá"' in html
    # the case page links to it, with the summary
    assert f'href="/cases/{case["id"]}/progress"' in hr.get(f"/cases/{case['id']}")

    sent = hr.post(f"/cases/{case['id']}/remind", {"target": "SKHCN", "next": f"/cases/{case['id']}/progress"},
                   status=302)
    assert sent.headers["Location"].endswith(f"/cases/{case['id']}/progress")
    assert "Đã gửi nhắc việc tới thủ trưởng đơn vị SKHCN." in text_of(hr.get(f"/cases/{case['id']}/progress"))
    hr.post(f"/cases/{case['id']}/remind", {"target": "SKHCN"}, status=302)  # the double click
    assert "Đơn vị này vừa được nhắc cách đây không lâu; không gửi nhắc lần thứ hai." in text_of(
        hr.get(f"/cases/{case['id']}"))
    hr.get("/lang/en", status=302)
    hr.post(f"/cases/{case['id']}/remind", {"target": "SGDDT"}, status=302)
    assert "There is nothing open to remind this unit of; nothing was sent." in text_of(hr.get(f"/cases/{case['id']}"))
    [event] = [e for e in auth.as_("hr").get(f"/api/v1/cases/{case['id']}/history").get_json()
               if e["type"] == "reminder_requested"]
    assert event["data"]["unit"] == "SKHCN" and event["actor"] == "hr"
    assert "Reminder sent" in text_of(hr.get(f"/cases/{case['id']}"))  # the timeline names the event


def test_the_reminded_heads_read_it_in_their_language_and_the_others_get_none(app, auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    signed_in(app, "hr").post(f"/cases/{case['id']}/remind", {"target": "SKHCN"}, status=302)
    head = signed_in(app, "head_khcn")
    page = unescape(text_of(head.get("/notifications")))
    assert "1 chưa đọc" in page
    assert ("Nhắc việc: Sở Nội vụ nhắc SKHCN · Sở KH&CN: còn 3 hồ sơ đánh giá nhân tài năm 2026 đã quá hạn "
            "(hạn 15/12/2026).") in page
    head.get("/lang/en", status=302)
    assert ("Reminder: hr reminds SKHCN · Sở KH&CN: 3 talent assessments of the 2026 review are overdue "
            "(deadline 15/12/2026).") in unescape(text_of(head.get("/notifications")))
    for other in ("head_gddt", "head_qlkh"):
        assert "Không có thông báo nào." in text_of(signed_in(app, other).get("/notifications")), other


def test_a_unit_head_can_neither_open_hr_s_progress_page_nor_remind(app, auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    head = signed_in(app, "head_khcn")
    head.get(f"/cases/{case['id']}/progress", status=404)
    assert "Nhắc đơn vị" not in head.get(f"/cases/{case['id']}")
    head.post(f"/cases/{case['id']}/remind", {"target": "SKHCN"}, status=302)
    assert "Chỉ Sở Nội vụ được gửi nhắc việc này; chưa có gì được gửi." in text_of(head.get(f"/cases/{case['id']}"))
    head.get("/lang/en", status=302)
    head.post(f"/cases/{case['id']}/remind", {"target": "SKHCN"}, status=302)
    assert "This reminder is for hr to send; nothing was sent." in text_of(head.get(f"/cases/{case['id']}"))
    assert auth.as_("head_khcn").get("/api/v1/me/notifications").get_json()["items"] == []


def test_a_reminder_refused_for_its_target_says_why_not_to_look_beside_fields_the_page_has_not(
        app, auth, store, manual_clock):
    case = three_units_review(auth, store, manual_clock)
    hr = signed_in(app, "hr")
    said = {}
    for language in ("vi", "en"):
        hr.get(f"/lang/{language}", status=302)
        hr.post(f"/cases/{case['id']}/remind", {"target": "x" * 100}, status=302)
        said[language] = messages_in(hr.get(f"/cases/{case['id']}/progress"), 200)
    assert said["vi"] == ["Chưa thực hiện được: Bắt buộc, tối đa 64 ký tự."]
    assert said["en"] == ["Nothing was done: Required, at most 64 characters."]
    assert not_vietnamese(said["vi"]) == {}
    history = auth.as_("hr").get(f"/api/v1/cases/{case['id']}/history").get_json()
    assert [e for e in history if e["type"] == "reminder_requested"] == []  # nothing was sent
    assert auth.as_("head_khcn").get("/api/v1/me/notifications").get_json()["items"] == []


def test_a_refusal_with_field_messages_on_a_page_without_fields_says_the_messages(app):
    from flask import session

    from api.web.messages import refusal
    from engine.errors import Invalid

    err = Invalid("unknown unit 'HP-X'", {"target": ["unknown unit"], "rows": [{"unit": ["unknown unit"]}]})
    with app.test_request_context("/"):
        session["lang"] = "vi"
        assert refusal(err, beside_fields=False) == "Chưa thực hiện được: Đơn vị không hợp lệ."
        assert refusal(err) == "Biểu mẫu có lỗi: xem thông báo bên cạnh từng trường."  # a form: beside its fields
    with app.test_request_context("/"):
        session["lang"] = "en"
        assert refusal(err, beside_fields=False) == "Nothing was done: Unknown unit."
