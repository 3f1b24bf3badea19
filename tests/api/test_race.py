"""Two people act on the same task at the same moment: one wins, the other gets 409.

Each thread has its own test client (its own request context and database
session); a barrier releases both requests together. Repeated, so an
interleaving that only happens sometimes still shows.
"""
from __future__ import annotations

from typing import Any, Callable

from tests.api.support import API, error_of, events, training_at_unit_head
from tests.helpers import in_threads

ROUNDS = 10
RIVALS = ("head_khcn", "head_qlkh")  # both unit_head candidates on a SKHCN-QLKH case


def at_once(app: Any, headers: dict[str, dict[str, str]], call: Callable[[Any, dict[str, str]], Any]) -> dict[str, Any]:
    """Run ``call(client, headers)`` for each user in its own thread (own test client), released together."""
    return in_threads({user: (lambda user=user: call(app.test_client(), headers[user])) for user in headers})


# BUG (found here, SQLite only; fixed in 7010897 by BEGIN IMMEDIATE):
# engine/runner.py:_task_for_command read the task row (`session.scalar(select(Task.case_id)...)`)
# before locking the case; that read opened a WAL snapshot, so the lock's UPDATE
# (engine/db.py:lock_row) could not upgrade once the rival had committed, and
# sqlite3.OperationalError "database is locked" escaped as 500 internal_error. The loser must get
# 409 on both backends.
def test_two_candidates_complete_the_same_task_at_once(app, auth, store):
    headers = {user: auth.headers(user) for user in RIVALS}
    outcomes = []
    for _ in range(ROUNDS):
        case, approval = training_at_unit_head(auth, unit="SKHCN-QLKH")
        url = f"{API}/tasks/{approval['id']}/complete"
        responses = at_once(app, headers, lambda client, h: client.post(
            url, headers=h, json={"data": {"decision": "approve", "decision_reason": h["Authorization"][-6:]}}))

        statuses = sorted(r.status_code for r in responses.values())
        outcomes.append(statuses)
        assert statuses == [200, 409], [r.get_json() for r in responses.values()]
        winner = next(user for user, r in responses.items() if r.status_code == 200)
        loser = next(user for user, r in responses.items() if r.status_code == 409)
        assert error_of(responses[loser], 409)["code"] in ("task_not_ready", "stale_case")

        completed = [e for e in events(store, case["id"], "task_completed") if e.task_id == approval["id"]]
        assert len(completed) == 1 and completed[0].actor == winner
        assert responses[winner].get_json()["data"]["decision_reason"] == headers[winner]["Authorization"][-6:]
        seqs = [e.seq for e in events(store, case["id"])]
        assert seqs == list(range(1, len(seqs) + 1))
    assert outcomes == [[200, 409]] * ROUNDS


def test_two_candidates_claim_the_same_task_at_once(app, auth, store):
    # Regression (was BUG on PostgreSQL: the task row was read with only the case locked, so the
    # loser saw the task as of its snapshot and overwrote the claim; now both rows are locked).
    headers = {user: auth.headers(user) for user in RIVALS}
    for _ in range(ROUNDS):
        case, approval = training_at_unit_head(auth, unit="SKHCN-QLKH")
        url = f"{API}/tasks/{approval['id']}/claim"
        responses = at_once(app, headers, lambda client, h: client.post(url, headers=h))

        statuses = sorted(r.status_code for r in responses.values())
        assert statuses == [200, 409], [r.get_json() for r in responses.values()]
        winner = next(user for user, r in responses.items() if r.status_code == 200)
        loser = next(user for user, r in responses.items() if r.status_code == 409)
        assert responses[winner].get_json()["claimed_by"] == winner
        assert error_of(responses[loser], 409)["code"] in ("claimed_by_other", "stale_case")

        claims = [e for e in events(store, case["id"], "task_claimed") if e.task_id == approval["id"]]
        assert [e.actor for e in claims] == [winner]
        detail = auth.as_(loser).get(f"{API}/tasks/{approval['id']}").get_json()
        assert detail["claimed_by"] == winner and detail["can_act"] is False


def test_a_claim_and_a_completion_at_once_never_both_succeed(app, auth, store):
    headers = {user: auth.headers(user) for user in RIVALS}
    for _ in range(ROUNDS):
        case, approval = training_at_unit_head(auth, unit="SKHCN-QLKH")
        base = f"{API}/tasks/{approval['id']}"

        def act(client: Any, h: dict[str, str]) -> Any:
            if h is headers["head_qlkh"]:
                return client.post(f"{base}/claim", headers=h)
            return client.post(f"{base}/complete", headers=h, json={"data": {"decision": "approve"}})

        responses = at_once(app, headers, act)
        claim, completion = responses["head_qlkh"], responses["head_khcn"]
        assert sorted([claim.status_code, completion.status_code]) == [200, 409], (
            claim.get_json(), completion.get_json())
        if claim.status_code == 200:
            assert error_of(completion, 409)["code"] in ("claimed_by_other", "stale_case")
            assert events(store, case["id"], "task_completed")[-1].task_id != approval["id"]
        else:
            assert error_of(claim, 409)["code"] in ("task_not_ready", "stale_case")
            assert [e.task_id for e in events(store, case["id"], "task_claimed")] == []


def test_simultaneous_deployments_number_versions_and_the_global_chain_without_gaps(app, auth, store):
    from engine.audit.events import event_hash
    from engine.store.models import Event, ProcessDefinition
    from tests.api.support import bpmn

    base = bpmn("document_review.bpmn")
    variants = {f"v{i}": base.replace(b"Review the document", f"Review the document ({i})".encode())
                for i in range(4)}
    admin = auth.headers("admin")

    def deploy_variant(client: Any, h: dict[str, str]) -> Any:
        import io

        name = h["X-Variant"]
        return client.post(f"{API}/processes", headers={"Authorization": h["Authorization"]},
                           data={"file": (io.BytesIO(variants[name]), "document_review.bpmn")},
                           content_type="multipart/form-data")

    responses = at_once(app, {name: {**admin, "X-Variant": name} for name in variants}, deploy_variant)
    assert sorted(r.status_code for r in responses.values()) == [201] * 4
    with store.read() as session:
        versions = sorted(session.scalars(ProcessDefinition.__table__.select()
                                          .with_only_columns(ProcessDefinition.version)
                                          .where(ProcessDefinition.key == "document_review")))
        chain = list(session.scalars(Event.__table__.select().with_only_columns(Event.id)
                                     .where(Event.case_id.is_(None)).order_by(Event.seq)))
        rows = [session.get(Event, event_id) for event_id in chain]
    assert versions == [1, 2, 3, 4]
    assert [e.seq for e in rows] == list(range(1, len(rows) + 1))
    prev = rows[0].prev_hash
    for event in rows:
        assert event.prev_hash == prev and event.hash == event_hash(prev, event)
        prev = event.hash
