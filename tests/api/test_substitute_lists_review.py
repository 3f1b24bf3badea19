"""Review of int7's worklist change: every list of a substitute's work holds only what they may do.

The worklist leaves out a role-limited task (the approver's decision) when the substitute lacks
the role (``delegation.not_passing``), as GET answers 404 for it; so must the other lists built from
``delegation.substitute_clause``: the morning digest and a task kind's grid / "next task" link.
"""
from __future__ import annotations

from typing import Any

import pytest

from engine.cases.delegation import personal_pairs, role_limited_pairs
from engine.people.actors import actor_for
from engine.people.directory import get_user, grant_role, revoke_role
from engine.time import clock
from tests.api.support import API
from tests.api.test_list_paging import _page
from tests.api.test_substitutes import set_substitute
from tests.helpers import complete, ready_task
from tests.workflows.test_annual_talent_review import start_review
from workflows import POLICIES, annual_talent_review

DECISION = "approve_review_list"


@pytest.fixture
def decision_of_an_absent_approver(auth, store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """expert2 stands in for the approver but no longer holds the role: the decision may not pass."""
    with store.transaction() as session:
        grant_role(session, get_user(session, "expert2"), "approver", granted_by="admin")
    review = start_review(auth)
    complete(auth, "hr", ready_task(review, "consolidate_review")["id"], {"overrides": []})
    set_substitute(auth, "approver", substitute="expert2", starts_on="2026-03-02", ends_on="2026-03-06")
    with store.transaction() as session:
        revoke_role(session, get_user(session, "expert2"), "approver", revoked_by="admin")
    decision = ready_task(auth.as_("approver").get(f"{API}/cases/{review['id']}").get_json(), DECISION)
    assert decision["id"] not in [t["id"] for t in _page(auth, "expert2", "tasks", scope="all")["items"]]
    assert auth.as_("expert2").get(f"{API}/tasks/{decision['id']}").status_code == 404
    return decision


def test_the_digest_does_not_offer_a_substitute_the_decision_their_worklist_hides(
        store, decision_of_an_absent_approver):
    from engine.mail.digest import open_tasks

    def digest_of(username: str) -> list[str]:  # with what the executor's digest job is given (workflows/services.py)
        with store.read() as session:
            return [t["task_id"] for t in open_tasks(session.connection(), get_user(session, username), clock.now(),
                                                     personal_pairs(POLICIES.items()),
                                                     role_limited_pairs(POLICIES.items()))]

    assert decision_of_an_absent_approver["id"] not in digest_of("expert2")
    assert decision_of_an_absent_approver["id"] in digest_of("approver")  # still the approver's own


def test_a_task_kinds_grid_and_next_link_do_not_offer_the_decision_the_worklist_hides(
        store, decision_of_an_absent_approver):
    from api.web.pages.taskkinds import open_tasks

    with store.read() as session:
        expert2 = actor_for(session, get_user(session, "expert2"))
        listed = open_tasks(session, expert2, annual_talent_review.PROCESS_KEY, DECISION)
    assert decision_of_an_absent_approver["id"] not in [task.id for task in listed]
