"""Review of the long lists (issue 17): walking a list with ``after`` while it changes, with many
equal timestamps (the manual clock stands still), must show every row that stayed unchanged exactly
once; a cursor of another list is refused; totals beyond the cap are not called exact."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from engine.store.models import Task
from engine.time import clock
from tests.api.support import API, start
from tests.api.test_list_paging import _page, _reviews
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
