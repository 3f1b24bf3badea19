"""Messages written with their cause: who receives them (the worklist's rule, with unit scope) and
what each person chose (immediate, the digest only, off; escalations always)."""
from __future__ import annotations

from engine.mail.outbox import wants
from engine.people.directory import get_user, grant_role
from tests.engine.mail.mailbox import later, outbox, set_mail
from tests.engine.mail.test_sender import start_review
from tests.helpers import complete, ready_task, start_training

MENTOR_SAYS = {"recommendation": "support", "mentor_comment": "Rất phù hợp"}


def sent_to(store) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(row.kind, row.to_address.split("@")[0]) for row in outbox(store)]


def test_a_new_task_is_told_to_the_unit_heads_of_its_unit_and_no_one_else(app, store, auth):
    for name in ("head_khcn", "head_qlkh", "head_gddt", "expert1", "hr"):
        set_mail(store, name)
    case = start_training(auth)
    assert sent_to(store) == [("task", "expert1")]  # the mentor's own task
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"], MENTOR_SAYS)
    # SKHCN's head decides: not the head of the division below it, not another department's head
    assert sent_to(store) == [("task", "expert1"), ("task", "head_khcn")]
    row = outbox(store)[-1]
    assert row.data["task_name"] == "Thủ trưởng đơn vị phê duyệt" and row.case_id == case["id"]
    assert row.data["to_name"] == "head_khcn" and row.language == "vi"


def test_a_step_that_is_refused_leaves_no_message(app, store, auth):
    set_mail(store, "expert1")
    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    complete(auth, "expert1", task["id"], {"recommendation": "maybe"}, status=422)
    assert sent_to(store) == [("task", "expert1")]


def test_nothing_is_sent_to_someone_who_turned_e_mail_off(app, store, auth):
    set_mail(store, "expert1", notify="off")
    start_training(auth)
    assert outbox(store) == []


def test_digest_only_means_no_message_as_things_happen(app, store, auth):
    set_mail(store, "expert1", notify="digest")
    start_training(auth)
    assert outbox(store) == []


def test_a_user_without_an_address_gets_nothing(app, store, auth):
    start_training(auth)
    assert outbox(store) == []


def test_escalations_go_even_to_those_who_turned_e_mail_off(app, store, service, manual_clock):
    set_mail(store, "reviewer", notify="off")
    set_mail(store, "admin", notify="digest")
    set_mail(store, "hr", notify="immediate")
    start_review(store, service)
    assert outbox(store) == []  # the reviewer chose no e-mail: no notice of the new task
    later(manual_clock, hours=2, minutes=1)
    service.fire_due()
    assert outbox(store) == []  # nor the reminder
    later(manual_clock, hours=2)
    service.fire_due()
    # the escalation names the assignee and the admins: both get it, whatever they chose
    assert sorted(sent_to(store)) == [("escalation", "admin"), ("escalation", "reviewer")]


def test_what_each_choice_lets_through():
    assert [kind for kind in ("task", "reminder", "escalation", "digest") if wants("immediate", kind)] == \
        ["task", "reminder", "escalation", "digest"]
    assert [kind for kind in ("task", "reminder", "escalation", "digest") if wants("digest", kind)] == \
        ["escalation", "digest"]
    assert [kind for kind in ("task", "reminder", "escalation", "digest") if wants("off", kind)] == ["escalation"]


def test_a_released_task_is_told_to_its_other_candidates_as_available_again(app, store, auth):
    with store.transaction() as session:  # expert2 heads the city: SKHCN's tasks are theirs too
        grant_role(session, get_user(session, "expert2"), "unit_head", "HP")
    for name in ("head_khcn", "expert1", "expert2"):
        set_mail(store, name)
    case = start_training(auth)
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"], MENTOR_SAYS)
    assert sent_to(store) == [("task", "expert1"), ("task", "head_khcn"), ("task", "expert2")]
    task_id = auth.as_("head_khcn").get(f"/api/v1/tasks?scope=available&case={case['id']}").get_json()["items"][0]["id"]
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert len(outbox(store)) == 3  # claimed: no one is told
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{task_id}/release").status_code == 200
    # available again: the other candidate is told, not the one who released it
    assert sent_to(store)[3:] == [("task", "expert2")]


def test_a_task_given_to_another_candidate_is_told_to_its_new_holder_only(app, store, auth):
    from tests.api.test_reassign import REASON, minhs_assessment, reassign

    minh = minhs_assessment(auth, store)
    assert auth.as_("head_khcn").post(f"/api/v1/tasks/{minh['id']}/claim").status_code == 200
    for name in ("head_khcn", "head_qlkh", "hr"):
        set_mail(store, name)
    assert reassign(auth, "hr", minh["id"], to="head_qlkh", reason=REASON).status_code == 200
    assert sent_to(store) == [("task", "head_qlkh")]  # not hr who gave it, not the one it was taken from
    assert outbox(store)[-1].task_id == minh["id"]
