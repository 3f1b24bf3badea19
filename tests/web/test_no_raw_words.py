"""No page shows a raw key, code, sign-in name or token: people read labels and names.

The demo's cases are driven through every process to its later stages (three exams: one
appointed after a re-mark, one scoring round 2, one inside its re-marking window; a nomination
verified and voted on, one screened out; the year's review assessed and approved), then every
page each demo user can reach is followed link by link from their worklist, in Vietnamese, and
its visible text is searched for what only a programmer would write: ``snake_case`` keys, ``role:``
tokens, demo sign-in names, ISO dates, the English codes of the forms' choices, a unit's place in the
tree (``/1/2/``), a one-word key of some case's data (``history``, ``talents``) and, in the case data
shown, a unit's code where its name belongs.
"""
from __future__ import annotations

import re
from collections import defaultdict
from html import unescape
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

import forms
from engine.store.models import Case, Unit, User
from tests.conftest import USERS as TEST_USERS
from tests.helpers import complete, ready_task
from tests.web.support import signed_in
from tests.workflows.exam_support import (close_registration, close_remarking, days_pass, declare_all, do,
                                          get_case, record_marks, score, score_all, screen, start_exam,
                                          tell_rejected)
from tests.workflows.test_annual_talent_review import PLAIN, assessments
from tests.workflows.test_talent_nomination import council_votes, nominate, verify
from workflows.demo import USERS, load_demo

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
TOKEN = re.compile(r"\b(?:role|group|user):\S*")
#: A unit's place in the tree (``/1/2/``), never a date (``15/12/2026``).
TREE_PATH = re.compile(r"(?<!\w)/\d+/(?:\d+/)*")
#: A key of a case's data that is one plain English word (``history``): the snake_case ones SNAKE finds.
ONE_WORD = re.compile(r"[a-z]+")
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}\S*)?")
#: The demo's sign-in names, and the tests' own users the demo finds already there.
SIGN_IN_NAMES = {u.username for u in USERS} | set(TEST_USERS)
#: Real data shown as it is, each with why.
ALLOWED: dict[str, str] = {}
#: Unit codes the case data may show as they are, each with why (none: every unit has a name).
UNIT_CODES_ALLOWED: dict[str, str] = {}
#: Recorded text shown as it was recorded, each with why.
RECORDED = {
    # The nomination tells the nominator "… theo quyết định số N ngày YYYY-MM-DD." (an event of the case's
    # hash chain): rewording it would make every recorded nomination's replay diverge at that event.
    re.compile(r"theo quyết định số \S+ ngày \d{4}-\d{2}-\d{2}"): "a recorded message to the nominator",
}
#: Where a sign-in name is the thing itself: the accounts page manages users *by* their sign-in names.
NAMES_ARE_DATA = ("/admin/users",)
#: Links that are not pages to read: files, downloads, signing out, the language switch.
NOT_PAGES = re.compile(r"^/(logout|lang/|static/|api/)|\.(xlsx|docx|pdf|svg|png|json)$|/files/|/documents/")
#: Pages of one path read with many queries (a step of the audit slider, a page of a list).
PER_PATH = 30


def enum_codes() -> set[str]:
    """Every code the forms offer as a choice (``OneOf``), at any depth of any form."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(str(v) for v in node.get("enum") or () if isinstance(v, str))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for key in forms.keys():
        walk(forms.json_schema(key))
    return found


def visible_text(html: str) -> str:
    """What a reader sees or hears: the text between tags, and the words of titles, labels, placeholders."""
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    said = re.findall(r'\s(?:title|aria-label|alt|placeholder)="([^"]*)"', html)
    text = " ".join(unescape(" ".join([re.sub(r"<[^>]+>", " ", html), *said])).split())
    for recorded in RECORDED:
        text = recorded.sub(" ", text)
    return text


def data_keys(store: Any) -> set[str]:
    """Every key of every case's data (at any depth) that is one plain English word."""
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(str(k) for k in value if ONE_WORD.fullmatch(str(k)))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    with store.read() as db:
        for data in db.scalars(select(Case.data)):
            walk(data)
    return keys


def unit_codes(store: Any) -> set[str]:
    with store.read() as db:
        return set(db.scalars(select(Unit.code))) - set(UNIT_CODES_ALLOWED)


def data_views(html: str) -> str:
    """The text of the case data shown on a page (each outermost ``<dl class="data …">`` with what it holds)."""
    parts = []
    for start in (m.start() for m in re.finditer(r'<dl class="data depth-0"', html)):
        depth, end = 0, start
        for tag in re.finditer(r"<(/?)dl\b", html[start:]):
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                end = start + tag.end()
                break
        parts.append(html[start:end])
    return visible_text(" ".join(parts))


def raw_words(text: str, codes: set[str], path: str) -> set[str]:
    words = set(re.findall(r"[\w:.-]+", text))
    found = set(SNAKE.findall(text)) | set(TOKEN.findall(text)) | set(ISO.findall(text))
    found |= set(TREE_PATH.findall(text))
    found |= {w for w in words if w in codes}
    found |= {w for w in words if w in SIGN_IN_NAMES}
    if path.startswith(NAMES_ARE_DATA):
        found -= SIGN_IN_NAMES
    return found - set(ALLOWED)


def links(html: str) -> Iterator[str]:
    for href in re.findall(r'<a\s[^>]*href="([^"#]+)', html):
        href = unescape(href)
        parts = urlsplit(href)
        if not parts.netloc and href.startswith("/") and not NOT_PAGES.search(parts.path):
            yield href


def crawl(app: Any, username: str) -> Iterator[tuple[str, str]]:
    """Every page ``username`` reaches by following links from the worklist: (path, html)."""
    page = signed_in(app, username)
    queue, seen, per_path = ["/", "/notifications", "/search?q=nguyen", "/cases/new"], set(), defaultdict(int)
    while queue:
        href = queue.pop(0)
        path = urlsplit(href).path
        if href in seen or per_path[path] >= PER_PATH:
            continue
        seen.add(href)
        per_path[path] += 1
        response = page.client.get(href)
        if response.status_code != 200:
            assert response.status_code in (302, 403, 404), (username, href, response.status_code)
            continue
        html = response.get_data(as_text=True)
        yield href, html
        queue.extend(link for link in links(html) if link not in seen)


def known_by_name(store: Any) -> None:
    """The demo's people with their names; the tests' own users (created known by sign-in names only)
    get a name too (they are created named by their sign-in names), as every account the city creates has one, so a select of people offers names."""
    with store.transaction() as db:
        for user in USERS:
            db.execute(update(User).where(User.username == user.username).values(display_name=user.display_name))
        unnamed = db.scalars(select(User.username).where(User.display_name.is_(None) | (User.display_name == User.username))
                             .order_by(User.username)).all()
        for number, username in enumerate(unnamed, start=1):
            db.execute(update(User).where(User.username == username).values(display_name=f"Cán bộ thử {number}"))


def demo_case(store: Any, business_key: str) -> int:
    with store.read() as db:
        return db.scalar(select(Case.id).where(Case.business_key == business_key))


def exam_to_round1(auth: Any, case_id: int, marks: dict[str, float]) -> None:
    screen(auth, case_id, *marks, rejected=("TS06",))
    tell_rejected(auth, case_id, "TS06")
    declare_all(auth, case_id)
    record_marks(auth, case_id, marks)


@pytest.fixture
def later_stages(app: Any, auth: Any, store: Any, service: Any, manual_clock: Any) -> dict[str, int]:
    """The demo, and every process driven on to its later stages."""
    load_demo(store, service)
    known_by_name(store)
    cases = {"exam_in_round2": demo_case(store, "TT-2026-001"),
             "exam_appointed": start_exam(auth, post="Trưởng phòng Quản lý khoa học", unit="SKHCN-QLKH",
                                          level="truong_phong")["id"]}
    waiting = get_case(auth, "hr", demo_case(store, "NT-2026-001"))
    council_votes(auth, verify(auth, waiting, verification_result="verified",
                               council_members=["member1", "member2", "member3"]), {"member1": "approve"})
    cases["screened_out"] = nominate(auth, category="excellent_graduate", birth_date="1990-03-02",
                                     university_type="domestic", degree_classification="xuat_sac",
                                     prizes=[{"contest": "national_gifted", "rank": "second", "year": 2012}])["id"]
    review = demo_case(store, "RS-DEMO")
    for task in assessments(auth, "head_khcn", review):
        complete(auth, "head_khcn", task["id"], {**PLAIN, "rating": "tot", "in_planning": True})
    review_case = get_case(auth, "hr", review)
    review_case = complete(auth, "hr", ready_task(review_case, "consolidate_review")["id"], {"overrides": []})
    complete(auth, "approver", ready_task(review_case, "approve_review_list")["id"], {"decision": "approve"})

    close_registration(auth, service, manual_clock)
    exam_to_round1(auth, cases["exam_in_round2"], {"TS01": 80, "TS02": 62, "TS03": 40})
    exam_to_round1(auth, cases["exam_appointed"], {"TS01": 70, "TS02": 48, "TS03": 55})
    do(auth, "secretary", cases["exam_appointed"], "record_remarks",
       {"remarks": [{"candidate_code": "TS02", "new_mark": 66, "request_ref": "PK-01/2026"}]})
    close_remarking(auth, service, manual_clock)
    score(auth, "member1", cases["exam_in_round2"], {"TS01": 70, "TS02": 60})
    score_all(auth, cases["exam_appointed"], {"TS01": [60] * 5, "TS02": [75] * 5, "TS03": [52] * 5})
    do(auth, "chair", cases["exam_appointed"], "confirm_results", {"results_confirmed": True})
    do(auth, "approver", cases["exam_appointed"], "appointment_decision",
       {"appointment": "appoint", "decision_no": "123/QĐ-UBND", "effective_date": "2026-05-15"})

    cases["exam_remarking"] = start_exam(auth, post="Giám đốc Sở Giáo dục và Đào tạo", unit="SGDDT")["id"]
    close_registration(auth, service, manual_clock)
    exam_to_round1(auth, cases["exam_remarking"], {"TS01": 100, "TS02": 45, "TS03": 70})
    days_pass(auth, manual_clock, 3)
    service.fire_due()  # reminders of the tasks due soon: notifications
    return cases


def findings(app: Any, users: Iterable[str], store: Any) -> tuple[dict[str, set[str]], dict[str, int]]:
    codes, units = enum_codes() | data_keys(store), unit_codes(store)
    found: dict[str, set[str]] = defaultdict(set)
    visited: dict[str, int] = {}
    for username in users:
        pages = 0
        for href, html in crawl(app, username):
            pages += 1
            for word in raw_words(visible_text(html), codes, urlsplit(href).path):
                found[word].add(f"{username} {href}")
            for word in set(re.findall(r"[\w:.-]+", data_views(html))) & units:
                found[f"unit code {word}"].add(f"{username} {href}")
        visited[username] = pages
    return found, visited


def test_no_page_of_any_demo_user_shows_a_key_a_code_a_sign_in_name_or_a_token(app, store, later_stages):
    found, visited = findings(app, [u.username for u in USERS], store)
    assert visited["hr"] > 30 and visited["auditor"] > 100 and visited["member1"] > 5, visited
    report: dict[str, set[str]] = defaultdict(set)  # the kind of page (ids as N) -> what it shows
    for word, where in found.items():
        for line in where:
            report[re.sub(r"\d+", "N", re.sub(r"[0-9a-f-]{36}", "ID", line.split("?")[0]))].add(word)
    assert not report, "\n".join(f"{page}: {sorted(words)}" for page, words in sorted(report.items()))


def test_during_re_marking_a_candidate_with_full_marks_is_not_out_and_the_window_has_a_last_day(app, later_stages):
    html = signed_in(app, "hr").get(f"/cases/{later_stages['exam_remarking']}/council")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    row = text[text.index("TS01"):text.index("TS02")]
    assert "100" in row and "dừng" not in row and "đạt vòng 1" in row
    assert re.search(r"Đang trong thời hạn phúc khảo[^.]*\d{2}/\d{2}/\d{4}", text), text[:2000]
