"""Paging the task and case lists with ``after`` (keyset), totals that stop counting at a cap, and what
paging must never do: skip or repeat a row, or show (or count) a case the reader may not see."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from engine.cases import paging
from engine.store.models import Task
from engine.time import clock
from tests.api.support import API, deployed, error_of, start, training_at_unit_head
from tests.helpers import complete, ready_task


def _page(auth: Any, user: str, path: str, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    response = auth.as_(user).get(f"{API}/{path}?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _walk(auth: Any, user: str, path: str, **params: Any) -> list[list[Any]]:
    """Every page of a list, following ``next``; the ids of each page."""
    pages, after = [], None
    while True:
        got = _page(auth, user, path, **params, **({"after": after} if after else {}))
        pages.append([item["id"] for item in got["items"]])
        after = got.get("next")
        if after is None:
            return pages
        assert len(pages) < 50, "next never ends"


def _reviews(auth: Any, n: int) -> list[dict[str, Any]]:
    """``n`` document reviews waiting in the reviewer role's worklist (all made at one instant)."""
    deployed(auth, "document_review.bpmn")
    cases = []
    for i in range(n):
        case = start(auth, "head_qlkh", "document_review", {"title": f"Quy chế {i}"})
        cases.append(complete(auth, "head_qlkh", ready_task(case, "prepare")["id"], {"summary": f"Bản {i}"}))
    return cases


def test_a_worklist_paged_with_after_shows_every_task_once_in_order_even_when_they_were_made_at_one_instant(auth):
    cases = _reviews(auth, 7)
    whole = [t["id"] for t in _page(auth, "reviewer", "tasks", scope="available", per_page=200)["items"]]
    assert sorted(whole) == sorted(ready_task(c, "review")["id"] for c in cases)

    pages = _walk(auth, "reviewer", "tasks", scope="available", per_page=3)
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in p] == whole  # the same order, nothing skipped, nothing twice
    first = _page(auth, "reviewer", "tasks", scope="available", per_page=3)
    assert first["total"] == 7 and "total_exact" not in first and first["next"]
    last = _page(auth, "reviewer", "tasks", scope="available", per_page=7)
    assert "next" not in last  # a page that ends the list has no next


def test_dated_tasks_come_first_soonest_first_and_paging_crosses_from_dated_to_undated(auth, store):
    cases = _reviews(auth, 6)
    ids = [ready_task(c, "review")["id"] for c in cases]
    now = clock.now()
    with store.transaction() as session:  # the projection's due dates, as a timer boundary would set them
        for task_id, hours in ((ids[4], 5), (ids[1], 1), (ids[3], 5)):
            session.execute(update(Task).where(Task.id == task_id).values(due_at=now + timedelta(hours=hours)))

    pages = _walk(auth, "reviewer", "tasks", scope="available", per_page=2)
    flat = [i for p in pages for i in p]
    assert flat[0] == ids[1] and set(flat[1:3]) == {ids[3], ids[4]}  # soonest due first; a tie broken by id
    assert flat[1:3] == sorted([ids[3], ids[4]])
    assert set(flat[3:]) == {ids[0], ids[2], ids[5]} and len(flat) == 6
    assert flat == [t["id"] for t in _page(auth, "reviewer", "tasks", scope="available", per_page=200)["items"]]


def test_a_task_done_between_two_pages_is_neither_skipped_over_nor_shown_twice(auth):
    cases = _reviews(auth, 6)
    first = _page(auth, "reviewer", "tasks", scope="available", per_page=2)
    shown = [t["id"] for t in first["items"]]
    rest = [t["id"] for t in _page(auth, "reviewer", "tasks", scope="available", per_page=200)["items"]][2:]
    complete(auth, "reviewer", shown[0], {"approved": True})  # one of the page already seen
    complete(auth, "reviewer", rest[0], {"approved": True})  # and one of the next page
    second = _page(auth, "reviewer", "tasks", scope="available", per_page=2, after=first["next"])
    assert [t["id"] for t in second["items"]] == rest[1:3]
    assert len(cases) == 6


def test_unit_heads_page_through_the_tasks_of_their_subtree_only(auth):
    mine = [training_at_unit_head(auth, unit="SKHCN-QLKH")[1]["id"] for _ in range(3)]
    other = training_at_unit_head(auth, unit="SGDDT", starter="head_gddt")[1]["id"]
    pages = _walk(auth, "head_qlkh", "tasks", scope="available", per_page=2)
    assert sorted(i for p in pages for i in p) == sorted(mine) and other not in {i for p in pages for i in p}
    assert _page(auth, "head_qlkh", "tasks", scope="available", per_page=2)["total"] == 3


def test_cases_paged_with_after_are_newest_first_and_a_hidden_case_is_neither_listed_nor_counted(auth):
    cases = _reviews(auth, 5)
    hidden = start(auth, "head_gddt", "document_review", {"title": "Không liên quan"})
    pages = _walk(auth, "head_qlkh", "cases", status="running", per_page=2)
    assert [i for p in pages for i in p] == sorted((c["id"] for c in cases), reverse=True)
    assert hidden["id"] not in {i for p in pages for i in p}
    assert _page(auth, "head_qlkh", "cases", status="running", per_page=2)["total"] == 5
    assert _page(auth, "head_qlkh", "cases", status="running", per_page=2, total="exact")["total"] == 5
    # the reviewer takes part in the five through their tasks, never in the one not yet prepared
    assert sorted(i for p in _walk(auth, "reviewer", "cases", per_page=3) for i in p) == sorted(c["id"] for c in cases)
    # a reader pages through all six
    assert [i for p in _walk(auth, "admin", "cases", status="running", per_page=4) for i in p] == \
        sorted([hidden["id"], *(c["id"] for c in cases)], reverse=True)


def test_a_total_beyond_the_cap_says_it_is_not_exact_until_the_exact_count_is_asked(auth, monkeypatch):
    _reviews(auth, 5)
    monkeypatch.setattr(paging, "TOTAL_CAP", 3)
    capped = _page(auth, "reviewer", "tasks", scope="available", per_page=2)
    assert (capped["total"], capped["total_exact"]) == (3, False)
    exact = _page(auth, "reviewer", "tasks", scope="available", per_page=2, total="exact")
    assert exact["total"] == 5 and "total_exact" not in exact
    cases = _page(auth, "head_qlkh", "cases", per_page=2)
    assert (cases["total"], cases["total_exact"]) == (3, False)
    assert _page(auth, "head_qlkh", "cases", per_page=2, total="exact")["total"] == 5


def test_a_bad_cursor_a_page_with_a_cursor_and_a_page_too_deep_are_refused(auth, monkeypatch):
    _reviews(auth, 3)
    for path in ("tasks?scope=available", "cases?status=running"):
        error_of(auth.as_("reviewer").get(f"{API}/{path}&after=bm90LWEtY3Vyc29y"), 422, "validation_error")
        first = _page(auth, "reviewer", path.split("?")[0], per_page=1, **dict([path.split("?")[1].split("=")]))
        error_of(auth.as_("reviewer").get(f"{API}/{path}&per_page=1&page=2&after={first['next']}"), 422,
                 "validation_error")
    monkeypatch.setattr(paging, "MAX_OFFSET", 2)
    error_of(auth.as_("reviewer").get(f"{API}/cases?per_page=1&page=4"), 422, "validation_error")
    assert _page(auth, "reviewer", "cases", per_page=1, page=3)["items"]  # still within reach
    # a task cursor is not a case cursor
    task_next = _page(auth, "reviewer", "tasks", scope="available", per_page=1)["next"]
    error_of(auth.as_("reviewer").get(f"{API}/cases?after={task_next}"), 422, "validation_error")


def test_crafted_cursors_are_refused_as_bad_cursors_never_a_500(auth):
    import base64
    import json as _json

    def cursor(value):  # type: ignore[no-untyped-def]
        return base64.urlsafe_b64encode(_json.dumps(value).encode()).decode().rstrip("=")

    as_admin = auth.as_("admin")
    for path, value in (("/cases", [None]), ("/cases", ["1"]),
                        ("/tasks", ["9999-12-31T23:59:59-12:00", "2026-01-01T00:00:00+00:00", "a"]),
                        ("/tasks", [None, "0001-01-01T00:00:00+14:00", "a"]),
                        ("/tasks", [None, "2026-01-01T00:00:00+00:00", "\ud800"]),
                        ("/tasks", [None, "2026-01-01T00:00:00+00:00", "x\u0000"])):
        response = as_admin.get(f"{API}{path}", query_string={"after": cursor(value)})
        assert response.status_code == 422, (path, value, response.status_code)
