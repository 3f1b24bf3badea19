"""Review of the long lists (issue 17): walking a list with ``after`` while it changes, with many
equal timestamps (the manual clock stands still), must show every row that stayed unchanged exactly
once; a cursor of another list is refused; totals beyond the cap are not called exact."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from engine.store.models import Task
from engine.time import clock
from tests.api.support import API, start
from tests.api.test_list_paging import _page, _reviews
from tests.api.test_substitute_lists_review import decision_of_an_absent_approver  # noqa: F401
from tests.helpers import complete, ready_task


def _due(store: Any, hours: dict[str, int | None]) -> None:
    now = clock.now()
    with store.transaction() as session:
        for task_id, h in hours.items():
            session.execute(update(Task).where(Task.id == task_id).values(
                due_at=None if h is None else now + timedelta(hours=h)))


def _walk_changing(auth: Any, user: str, per_page: int, change: Any, **params: Any) -> list[str]:
    """Every id the walk shows, calling ``change(step)`` between two pages."""
    shown, after, step = [], None, 0
    while True:
        got = _page(auth, user, "tasks", per_page=per_page, **params, **({"after": after} if after else {}))
        shown += [t["id"] for t in got["items"]]
        after = got.get("next")
        if after is None:
            return shown
        change(step)
        step += 1
        assert step < 100


def test_a_walk_of_tied_and_undated_tasks_while_others_are_done_claimed_and_started_shows_each_unchanged_once(
        auth, store):
    cases = _reviews(auth, 9)
    ids = [ready_task(c, "review")["id"] for c in cases]
    _due(store, {ids[0]: 2, ids[1]: 2, ids[2]: 2, ids[3]: 1})  # three equal due dates, the rest undated
    whole = [t["id"] for t in _page(auth, "reviewer", "tasks", scope="all", per_page=200)["items"]]
    assert len(whole) == 9
    done: set[str] = set()

    def change(step: int) -> None:
        if step == 0:  # one far ahead is done: it leaves the list
            complete(auth, "reviewer", whole[-1], {"approved": True})
            done.add(whole[-1])
        elif step == 1:  # one ahead is claimed by me: it moves from the role branch to mine, same place
            assert auth.as_("reviewer").post(f"{API}/tasks/{whole[5]}/claim").status_code == 200
        elif step == 2:  # new work arrives
            c = start(auth, "head_qlkh", "document_review", {"title": "Mới"})
            complete(auth, "head_qlkh", ready_task(c, "prepare")["id"], {"summary": "Bản mới"})

    for per_page in (1, 2):
        shown = _walk_changing(auth, "reviewer", per_page, change, scope="all")
        assert len(shown) == len(set(shown)), shown
        assert [i for i in whole if i not in done and i in shown] == [i for i in whole if i not in done]
        whole = [t["id"] for t in _page(auth, "reviewer", "tasks", scope="all", per_page=200)["items"]]
        done = set()

        def change(step: int) -> None:  # noqa: F811 - second walk: nothing changes
            return None


def test_the_worklist_page_never_calls_a_capped_total_the_whole_number_of_tasks(app, auth, monkeypatch):
    from api.web.pages import worklist as worklist_page
    from engine.cases import paging
    from tests.helpers import start_training
    from tests.web.support import signed_in, text_of

    for _ in range(4):
        start_training(auth)
    monkeypatch.setattr(worklist_page, "PER_PAGE", 2)
    monkeypatch.setattr(paging, "TOTAL_CAP", 3)
    text = text_of(signed_in(app, "expert1").get("/"))
    assert "(3+)" in text  # the heading already says "more than"
    assert "trên tổng số 3:" not in text  # "2 of 3" would be false: there are 4
    assert "Đang hiển thị 2 trên hơn 3" in text


def test_a_substitute_finds_in_the_case_list_every_case_whose_tasks_they_may_open(auth, store, manual_clock):
    from tests.api.test_substitutes import on_leave, review_waiting_for_head_khcn

    _, tasks = review_waiting_for_head_khcn(auth, store)
    on_leave(auth)  # expert1 stands in for head_khcn
    listed = [t for t in _page(auth, "expert1", "tasks", scope="all", per_page=200)["items"]]
    assert listed, "the substitute sees the absent person's tasks"
    cases = {t["case_id"] for t in listed}
    for case_id in cases:
        assert auth.as_("expert1").get(f"{API}/cases/{case_id}").status_code == 200
    in_list = {c["id"] for c in _page(auth, "expert1", "cases", per_page=200)["items"]}
    assert cases <= in_list, (cases, in_list)
    _the_list_is_what_get_allows(auth, "expert1")


def _the_list_is_what_get_allows(auth: Any, user: str) -> None:
    """Every case of the database: in ``user``'s list (walked page by page) exactly when GET opens it,
    and counted by total=exact."""
    every = [c["id"] for c in _page(auth, "admin", "cases", per_page=200)["items"]]
    opened = {i for i in every if auth.as_(user).get(f"{API}/cases/{i}").status_code == 200}
    walked, after = [], None
    while True:
        got = _page(auth, user, "cases", per_page=2, **({"after": after} if after else {}))
        walked += [c["id"] for c in got["items"]]
        after = got.get("next")
        if after is None:
            break
    assert sorted(walked) == sorted(opened) and len(walked) == len(set(walked))
    assert _page(auth, user, "cases", total="exact")["total"] == len(opened)


def test_unit_heads_participants_and_readers_list_exactly_the_cases_they_may_open(auth):
    from tests.api.support import training_at_unit_head

    _reviews(auth, 3)
    training_at_unit_head(auth, unit="SKHCN-QLKH")
    training_at_unit_head(auth, unit="SGDDT", starter="head_gddt")
    for user in ("head_qlkh", "head_gddt", "reviewer", "expert1", "hr", "auditor"):
        _the_list_is_what_get_allows(auth, user)


def test_a_council_seat_of_the_absent_shows_the_substitute_no_case_in_the_list_as_in_get(
        auth, service, manual_clock, store):
    from tests.api.test_substitutes import set_substitute
    from tests.workflows.exam_support import close_remarking, exam_with_marks, task_of, today

    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    task_of(auth, "member1", case_id, "score_round2")
    set_substitute(auth, "hr", absent="member1", substitute="member4", starts_on=today(), ends_on=today())
    assert auth.as_("member4").get(f"{API}/cases/{case_id}").status_code == 404
    _the_list_is_what_get_allows(auth, "member4")


def test_an_approvers_decision_shows_its_case_only_to_a_substitute_holding_the_role(auth, store):
    from engine.people.directory import get_user, grant_role, revoke_role
    from tests.api.test_substitutes import set_substitute
    from tests.workflows.test_annual_talent_review import start_review

    with store.transaction() as session:
        grant_role(session, get_user(session, "expert2"), "approver", granted_by="admin")
    review = start_review(auth)
    consolidation = ready_task(review, "consolidate_review")
    complete(auth, "hr", consolidation["id"], {"overrides": []})
    set_substitute(auth, "approver", substitute="expert2", starts_on="2026-03-02", ends_on="2026-03-06")
    assert auth.as_("expert2").get(f"{API}/cases/{review['id']}").status_code == 200
    _the_list_is_what_get_allows(auth, "expert2")
    with store.transaction() as session:
        revoke_role(session, get_user(session, "expert2"), "approver", revoked_by="admin")
    _the_list_is_what_get_allows(auth, "expert2")


def test_a_task_the_worklist_lists_to_a_substitute_can_be_opened_by_them(auth, store,
                                                                         decision_of_an_absent_approver):
    """An approver's substitute who has since lost the approver role may not decide for them: the
    decision is in none of their lists, as it is not theirs to open (a hidden task looks exactly
    like a missing one); every task listed to them opens."""
    from engine.people.directory import get_user, grant_role

    decision = decision_of_an_absent_approver
    for scope in ("all", "available", "mine"):
        listed = _page(auth, "expert2", "tasks", scope=scope)["items"]
        assert decision["id"] not in [task["id"] for task in listed]
        for task in listed:
            assert auth.as_("expert2").get(f"{API}/tasks/{task['id']}").status_code == 200
    with store.transaction() as session:  # an approver again: the decision passes, and is listed
        grant_role(session, get_user(session, "expert2"), "approver", granted_by="admin")
    assert decision["id"] in [task["id"] for task in _page(auth, "expert2", "tasks", scope="all")["items"]]


def test_the_cases_pager_of_a_capped_total_offers_no_page_past_the_last_one(app, auth, monkeypatch):
    import re

    from api.web.pages import cases as cases_page
    from engine.cases import paging
    from tests.web.support import signed_in

    oldest = min(c["id"] for c in _reviews(auth, 5))
    monkeypatch.setattr(cases_page, "PER_PAGE", 2)
    monkeypatch.setattr(paging, "TOTAL_CAP", 3)  # five cases: counted as "more than 3"
    page = signed_in(app, "admin")
    linked = {int(n) for n in re.findall(r"[?&;]page=(\d+)", page.get("/cases?page=1"))}
    assert linked == {2}  # more than 3 cases: at least two pages
    assert {int(n) for n in re.findall(r"[?&;]page=(\d+)", page.get("/cases?page=2"))} == {1, 3}  # and a next
    last = page.get("/cases?page=3")
    assert f">#{oldest}<" in last  # the last page holds the oldest case
    assert {int(n) for n in re.findall(r"[?&;]page=(\d+)", last)} == {1, 2}  # nothing after the last case


def test_a_walk_of_done_tasks_made_at_one_instant_shows_each_once_while_more_are_done(auth):
    cases = _reviews(auth, 7)
    ids = [ready_task(c, "review")["id"] for c in cases]
    for task_id in ids[:5]:
        complete(auth, "reviewer", task_id, {"approved": True})
    whole = [t["id"] for t in _page(auth, "reviewer", "tasks", status="completed", per_page=200)["items"]]
    assert sorted(whole) == sorted(ids[:5])
    later = iter(ids[5:])

    def change(step: int) -> None:
        nxt = next(later, None)
        if nxt is not None:
            complete(auth, "reviewer", nxt, {"approved": True})

    shown = _walk_changing(auth, "reviewer", 2, change, status="completed")
    assert len(shown) == len(set(shown)) and set(whole) <= set(shown)


def test_a_walk_of_running_cases_shows_each_unchanged_case_once_while_others_start_and_end(auth):
    newest_first = sorted((c["id"] for c in _reviews(auth, 6)), reverse=True)
    shown, after, step = [], None, 0
    ended: set[int] = set()
    while True:
        got = _page(auth, "head_qlkh", "cases", status="running", per_page=2, **({"after": after} if after else {}))
        shown += [c["id"] for c in got["items"]]
        after = got.get("next")
        if after is None:
            break
        ahead = [i for i in newest_first if i not in shown and i not in ended]
        if ahead:  # the next case ahead ends (cancelled), and a new case starts
            answer = auth.as_("admin").post(f"{API}/cases/{ahead[0]}/cancel", json={"reason": "Trùng hồ sơ"})
            assert answer.status_code == 200, answer.get_json()
            ended.add(ahead[0])
        start(auth, "head_qlkh", "document_review", {"title": f"Mới {step}"})
        step += 1
    assert len(shown) == len(set(shown))
    assert [i for i in newest_first if i not in ended] == [i for i in shown if i in newest_first]
