"""What a substitute does for the absent person, through the HTTP API: claims, tasks the substitute
could do in their own right, events in other cases, files, the morning digest, and who may name whom.

The scene of :mod:`tests.api.test_substitutes`: head_khcn (unit head of SKHCN) is on leave from 2 to
6 March 2026 while the 2026 review waits for their assessments.
"""
from __future__ import annotations

from datetime import timedelta

from engine.mail.digest import open_tasks
from engine.people.directory import get_user, grant_role
from engine.time import clock
from tests.api.support import error_of, history, unchanged
from tests.api.test_files import attached
from tests.api.test_substitutes import AFTER_THE_RANGE, API, on_leave, refused, review_waiting_for_head_khcn
from tests.conftest import Auth
from tests.helpers import complete
from tests.workflows.test_annual_talent_review import PLAIN


def event(auth: Auth, case_id: int, type_: str, task_id: str) -> dict:
    return next(e for e in history(auth, "auditor", case_id) if e["type"] == type_ and e["task_id"] == task_id)


def listed_for_head_qlkh(auth: Auth) -> dict[str, str | None]:
    """head_qlkh's open tasks: for whom each is theirs (None: their own)."""
    items = auth.as_("head_qlkh").get(f"{API}/tasks?scope=all").get_json()["items"]
    return {t["id"]: t.get("on_behalf_of") for t in items}


def test_a_substitutes_claim_is_the_absent_persons_and_goes_back_to_them_when_the_leave_ends(
        auth, store, manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    on_leave(auth)
    first = tasks[0]
    claimed = auth.as_("expert1").post(f"{API}/tasks/{first['id']}/claim").get_json()
    assert (claimed["claimed_by"], claimed["on_behalf_of"]) == ("head_khcn", "head_khcn")
    claim = event(auth, first["case_id"], "task_claimed", first["id"])
    assert (claim["actor"], claim["on_behalf_of"]) == ("expert1", "head_khcn")

    manual_clock.set(AFTER_THE_RANGE + timedelta(hours=2))
    auth = Auth(auth.client)
    assert auth.as_("expert1").get(f"{API}/tasks?scope=mine").get_json()["items"] == []
    assert auth.as_("expert1").get(f"{API}/tasks/{first['id']}").status_code == 404
    mine = auth.as_("head_khcn").get(f"{API}/tasks?scope=mine").get_json()["items"]
    assert [t["id"] for t in mine] == [first["id"]]
    done = complete(auth, "head_khcn", first["id"], PLAIN)
    assert done["status"] == "assessed"


def test_a_substitute_who_is_a_candidate_too_does_the_absent_persons_claimed_task_for_them(auth, store, manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    minh = next(t for t in tasks if "Minh" in t["subject"])
    tuan = next(t for t in tasks if "Tuấn" in t["subject"])
    on_leave(auth, substitute="head_qlkh")
    listed = listed_for_head_qlkh(auth)
    assert listed == {minh["id"]: None, tuan["id"]: "head_khcn"}  # Minh's is head_qlkh's own while open

    assert auth.as_("head_khcn").post(f"{API}/tasks/{minh['id']}/claim").status_code == 200
    listed = listed_for_head_qlkh(auth)
    assert listed[minh["id"]] == "head_khcn"
    shown = auth.as_("head_qlkh").get(f"{API}/tasks/{minh['id']}").get_json()
    assert (shown["can_act"], shown["on_behalf_of"]) == (True, "head_khcn")
    complete(auth, "head_qlkh", minh["id"], PLAIN)
    done = event(auth, minh["case_id"], "task_completed", minh["id"])
    assert (done["actor"], done["on_behalf_of"]) == ("head_qlkh", "head_khcn")


def test_every_event_a_substitutes_step_writes_in_the_parent_review_says_for_whom(auth, store, manual_clock):
    review_id, tasks = review_waiting_for_head_khcn(auth, store)
    on_leave(auth)
    for task in tasks:
        complete(auth, "expert1", task["id"], PLAIN)
    by_expert1 = [e for e in history(auth, "auditor", review_id) if e["actor"] == "expert1"]
    assert by_expert1 and {e["on_behalf_of"] for e in by_expert1} == {"head_khcn"}
    replay = auth.as_("auditor").post(f"{API}/cases/{review_id}/replay").get_json()
    assert (replay["consistent"], replay["divergence"]) == (True, None)
    assert auth.as_("auditor").get(f"{API}/audit/verify").get_json()["breaks"] == []


def test_a_substitute_attaches_a_file_to_the_task_they_do_for_the_absent_person(auth, store, manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    on_leave(auth)
    first = tasks[0]
    stored = attached(auth, "expert1", first["case_id"], b"%PDF-1.4 bien ban", task_id=first["id"])
    assert stored["task_id"] == first["id"]


def test_the_morning_digest_of_a_substitute_lists_the_absent_persons_tasks(auth, store, manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    with store.read() as session:
        assert open_tasks(session.connection(), get_user(session, "expert1"), clock.now()) == []
    on_leave(auth)
    with store.read() as session:
        listed = open_tasks(session.connection(), get_user(session, "expert1"), clock.now())
    assert sorted(t["task_id"] for t in listed) == sorted(t["id"] for t in tasks)


def test_nobody_is_named_substitute_while_away_or_standing_in_for_someone_else(auth, store):
    on_leave(auth, by="hr", absent="expert1", substitute="expert2")  # expert1 away 2–6 March
    with unchanged(store):
        refused(auth, "hr", 409, "substitute_away", ends_on="2026-03-03")  # head_khcn -> expert1 -> expert2
        refused(auth, "hr", 409, "absent_stands_in", absent="expert2", substitute="head_qlkh",
                starts_on="2026-03-06", ends_on="2026-03-09")  # expert2 stands in for expert1 on the 6th
    on_leave(auth, by="hr", substitute="head_qlkh")  # someone at work is accepted


def test_a_unit_head_may_not_name_the_substitute_of_someone_holding_a_city_wide_role(auth, store):
    with store.transaction() as session:
        grant_role(session, get_user(session, "expert1"), "hr_officer", granted_by="admin")
    with unchanged(store):
        refused(auth, "head_khcn", 403, "may_not_set_substitute", absent="expert1", substitute="expert2")
    named = on_leave(auth, by="hr", absent="expert1", substitute="expert2")
    assert named["set_by"] == "hr"


def test_a_claim_a_substitute_makes_replays_as_the_absent_persons_even_after_the_case_is_cancelled(auth, store,
                                                                                                     manual_clock):
    _, tasks = review_waiting_for_head_khcn(auth, store)
    on_leave(auth)
    first = tasks[0]
    assert auth.as_("expert1").post(f"{API}/tasks/{first['id']}/claim").get_json()["claimed_by"] == "head_khcn"
    replay = auth.as_("auditor").post(f"{API}/cases/{first['case_id']}/replay").get_json()
    assert replay["consistent"] is True, replay
    state = auth.as_("auditor").get(f"{API}/cases/{first['case_id']}/state").get_json()
    [task] = state["tasks"]
    assert (task["task_id"], task["claimed_by"], task["candidates"]) == (first["id"], "head_khcn", ["user:head_khcn"])
    assert auth.as_("hr").post(f"{API}/cases/{first['case_id']}/cancel", json={"reason": "Sai danh sách"}
                               ).status_code in (200, 201, 204)
    assert auth.as_("auditor").post(f"{API}/cases/{first['case_id']}/replay").get_json()["consistent"] is True
