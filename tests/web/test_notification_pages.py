"""Reminders in the pages: the header counts the unread ones, /notifications lists them, they are marked read.

``tests/data/reminders.bpmn`` reminds the holders of the reviewer role two hours into a review task,
and escalates to the admins and the assignee after four; the pages read the same rows the API does.
"""
from __future__ import annotations

import re
from datetime import timedelta

from tests.api.test_notifications import deploy_reminders, inbox
from tests.web.support import signed_in, text_of

API = "/api/v1"


def header_count(html: str) -> int:
    """The unread count the header shows beside its "Notifications" link (0 when none is shown)."""
    link = re.search(r'<a href="/notifications" class="notes-link"[^>]*>(.*?)</a>', html, re.S)
    assert link, "the header has no notifications link"
    count = re.search(r'class="count">(\d+)<', link.group(1))
    return int(count.group(1)) if count else 0


def test_a_fired_reminder_is_counted_listed_and_marked_read_in_the_pages(auth, service, manual_clock, app):
    deploy_reminders(auth)
    case = auth.as_("hr").post(f"{API}/cases", json={"process": "reminders", "data": {}}).get_json()
    task = case["tasks"][0]
    reviewer = signed_in(app, "reviewer")
    assert header_count(reviewer.get("/")) == 0
    assert "Không có thông báo nào." in text_of(reviewer.get("/notifications"))

    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert service.fire_due() == {case["id"]: ["remind"]}

    home = reviewer.get("/")
    assert header_count(home) == 1
    page = reviewer.get("/notifications")
    words = text_of(page)
    assert "Nhắc việc: Due in an hour: Review the dossier" in words
    assert f'href="/cases/{case["id"]}"' in page and f'href="/tasks/{task["id"]}"' in page  # the task is still open
    assert "1 chưa đọc" in words

    note_id = inbox(auth, "reviewer")["items"][0]["id"]
    response = reviewer.post(f"/notifications/{note_id}/read", {"next": "/notifications"}, status=302)
    assert response.headers["Location"].endswith("/notifications")
    assert header_count(reviewer.get("/")) == 0
    assert inbox(auth, "reviewer")["items"][0]["read"] is True  # the API sees what the page marked
    assert "Đã đọc lúc" in text_of(reviewer.get("/notifications"))

    # someone else's notification cannot be marked from the pages, and nothing says whose it is
    hr = signed_in(app, "hr")
    hr.get("/notifications")
    hr.post(f"/notifications/{note_id}/read", status=302)
    assert "Không có thông báo này của bạn." in text_of(hr.get("/notifications"))


def test_mark_all_as_read_empties_the_count_and_the_list_pages_newest_first(auth, service, manual_clock, app):
    deploy_reminders(auth)
    for _ in range(3):
        auth.as_("hr").post(f"{API}/cases", json={"process": "reminders", "data": {}})
    manual_clock.advance(timedelta(hours=4, seconds=1))
    service.fire_due()  # each case: a reminder to the reviewers, an escalation to the admins and the reviewers
    admin = signed_in(app, "admin")
    listed = inbox(auth, "admin")
    assert header_count(admin.get("/")) == listed["total"] == 3

    page = admin.get("/notifications")
    ids = re.findall(r'action="/notifications/(\d+)/read"', page)
    assert [int(i) for i in ids] == [n["id"] for n in listed["items"]]  # newest first, as the API lists them
    assert "Leo thang" in text_of(page)

    admin.post("/notifications/read", status=302)
    after = admin.get("/notifications")
    assert "Đã đánh dấu đã đọc 3 thông báo." in text_of(after) and header_count(after) == 0
    assert inbox(auth, "admin", unread="true")["total"] == 0
    assert header_count(signed_in(app, "reviewer").get("/")) == 6  # the admin's marking left the reviewers' alone


def test_the_notifications_page_pages_and_survives_a_wrong_page_number(auth, service, manual_clock, app):
    deploy_reminders(auth)
    for _ in range(11):
        auth.as_("hr").post(f"{API}/cases", json={"process": "reminders", "data": {}})
    manual_clock.advance(timedelta(hours=4, seconds=1))
    service.fire_due()
    reviewer = signed_in(app, "reviewer")  # 22 notifications: 20 on the first page, 2 on the second
    first, second = reviewer.get("/notifications"), reviewer.get("/notifications?page=2")
    assert len(re.findall(r'/read" class="inline"', first)) == 20
    assert len(re.findall(r'/read" class="inline"', second)) == 2
    assert "Trang 2 / 2" in text_of(second)
    assert len(re.findall(r'/read" class="inline"', reviewer.get("/notifications?page=abc"))) == 20
    assert "Không có thông báo nào." in text_of(reviewer.get("/notifications?page=9"))
