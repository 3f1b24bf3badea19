"""The review's ``assessments_done`` is the engine's own message: nobody fakes it, and a review that
is somehow no longer waiting for it never stops its last assessment from ending.

The last assessment to end sends the review every result (``CaseLinks.child_finished``). Sent from
outside first, the message moved the review on, and the last assessment's completion then answered
409 for ever: that assessment could never end. Now the policy declares the message internal
(``ProcessPolicy.internal_messages``), every way in from outside refuses it, and a parent that no
longer waits gets a ``message_not_delivered`` note on its chain instead of failing the child.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from engine.cases.messages import refuse_internal
from engine.errors import Invalid
from engine.people.actors import SYSTEM
from engine.policy import DEFAULT_POLICY
from tests.api.conformance import replays_consistent
from tests.api.support import API, error_of, history, unchanged
from tests.conftest import Auth
from tests.helpers import complete, ready_task
from tests.workflows.test_annual_talent_review import PLAIN, assessments, review, start_review, talent
from workflows import annual_talent_review

FAKE = {"results": {}}


def two_talent_review(auth: Auth, store: Any) -> tuple[dict[str, Any], dict[str, Any], list[int]]:
    """A review of two talents, one assessed already: the other's assessment task and the talents."""
    lan = talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    minh = talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    case = start_review(auth)
    complete(auth, "head_gddt", assessments(auth, "head_gddt", case["id"])[0]["id"], PLAIN)
    [last] = assessments(auth, "head_qlkh", case["id"])
    return case, last, [lan, minh]


def test_the_review_declares_the_message_its_assessments_send_as_internal():
    policy = annual_talent_review.Policy()
    name, _ = policy.children_finished([])
    assert name in policy.internal_messages and DEFAULT_POLICY.internal_messages == frozenset()
    with pytest.raises(Invalid, match="assessments_done") as refused:
        refuse_internal(name, [("annual_talent_review", policy), ("other", DEFAULT_POLICY)])
    assert refused.value.code == "internal_message"
    refuse_internal("exam_result", [("annual_talent_review", policy)])  # any other message passes


def test_a_faked_assessments_done_is_refused_on_every_way_in_and_the_last_assessment_still_ends(
        auth: Auth, store, service):
    case, last, talents = two_talent_review(auth, store)
    with unchanged(store):
        for response in (
                auth.as_("admin").post(f"{API}/cases/{case['id']}/messages",
                                       json={"name": "assessments_done", "payload": FAKE}),
                auth.as_("admin").post(f"{API}/messages", json={"name": "assessments_done", "payload": FAKE}),
                auth.as_("admin").post(f"{API}/messages", json={"name": "assessments_done", "payload": FAKE,
                                                                "case_id": case["id"]})):
            refused = error_of(response, 422, "internal_message")
            assert "assessments_done" in refused["message"] and refused["details"]["name"]
        with pytest.raises(Invalid, match="assessments_done"):
            service.deliver(SYSTEM, case["id"], "assessments_done", FAKE)
    complete(auth, "head_qlkh", last["id"], PLAIN)
    after = review(auth, case["id"])
    assert after["children"] == {"assessed": 2} and ready_task(after, "consolidate_review")
    [received] = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_received"]
    assert sorted(received["data"]["payload"]["results"]) == sorted(str(t) for t in talents)


def test_a_review_no_longer_waiting_lets_its_last_assessment_end_and_keeps_the_missed_message(
        auth: Auth, store, service):
    case, last, talents = two_talent_review(auth, store)
    # the review moved past its wait by a path the engine did not foresee (here: its own delivery,
    # called directly, as the refused faked message once did)
    with store.command() as conn:
        service.links._deliver_in(conn, SYSTEM, service.steps.lock(conn, case["id"]), "assessments_done", FAKE)
    moved_on = review(auth, case["id"])
    assert ready_task(moved_on, "consolidate_review")

    done = complete(auth, "head_qlkh", last["id"], PLAIN)  # was 409 not_waiting, for ever
    assert done["status"] == "assessed"
    after = review(auth, case["id"])
    assert after["children"] == {"assessed": 2}
    assert after["data"] == moved_on["data"] and after["version"] == moved_on["version"] + 1
    [missed] = [e for e in history(auth, "auditor", case["id"]) if e["type"] == "message_not_delivered"]
    assert missed["data"]["message"] == "assessments_done" and missed["data"]["reason"] == "not_waiting"
    assert sorted(missed["data"]["payload"]["results"]) == sorted(str(t) for t in talents)
    assert [e["type"] for e in history(auth, "auditor", case["id"])].count("message_received") == 1
    replays_consistent(auth, case["id"])
    replays_consistent(auth, last["case_id"])
