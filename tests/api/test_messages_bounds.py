"""Messages and signals from outside at their edges: a broadcast that meets a case changing under it,
the bound on waiting cases, a message start sent twice with one business key (and twice at once),
the command line refusing what the API refuses, and a task list page too deep.
"""
from __future__ import annotations

from typing import Any

from engine.cases import message_routing, paging
from engine.errors import Conflict
from tests.api.conformance import deploy_file, drive, replays_consistent
from tests.api.support import API, error_of, get_case, start, unchanged
from tests.api.test_messages_api import START_FILE, SIGNAL_FILE, cli, correlate  # noqa: F401 (cli: a fixture)
from tests.helpers import in_threads

ROUNDS = 4


def waiting_for_budget(auth: Any, n: int) -> list[dict[str, Any]]:
    """``n`` cases of ``signal_from_outside`` past their task, waiting for ``budget_approved``."""
    return [drive(auth, start(auth, "hr", "signal_from_outside"), {"prepare": {"plan": "p"}}) for _ in range(n)]


def broadcast(auth: Any, amount: int = 5) -> Any:
    return auth.as_("admin").post(f"{API}/signals", json={"name": "budget_approved", "payload": {"amount": amount}})


# ------------------------------------------------------------------ broadcast: a case that changed meanwhile
def test_a_broadcast_retries_a_case_that_changed_meanwhile_and_reports_one_it_never_reached(auth, service,
                                                                                             monkeypatch):
    deploy_file(auth, SIGNAL_FILE)
    once, always = waiting_for_budget(auth, 2)
    stale = {once["id"]: 1, always["id"]: 100}  # how many more deliveries find the case changed
    real = service.messages.to_case

    def to_case(actor: Any, case_id: int, kind: str, name: str, payload: Any, view: Any = None) -> Any:
        if stale.get(case_id, 0) > 0:
            stale[case_id] -= 1
            raise Conflict(f"case {case_id} was changed by another request; reload and retry", code="stale_case")
        return real(actor, case_id, kind, name, payload, view)

    monkeypatch.setattr(service.messages, "to_case", to_case)
    response = broadcast(auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"delivered_to": [once["id"]], "failed": [],
                                   "undelivered": [{"case_id": always["id"], "code": "stale_case"}]}
    assert stale[always["id"]] == 100 - message_routing.STALE_RETRIES  # bounded, not for ever
    assert get_case(auth, "hr", once["id"])["status"] == "completed"
    assert get_case(auth, "hr", always["id"])["status"] == "running"
    replays_consistent(auth, once["id"])


# ------------------------------------------------------------------ the bound counts waiting cases
def test_the_bound_counts_the_cases_that_wait_not_those_that_could_catch_the_signal(auth, store, monkeypatch):
    deploy_file(auth, SIGNAL_FILE)
    monkeypatch.setattr(message_routing, "MAX_WAITING", 2)
    not_yet = [start(auth, "hr", "signal_from_outside") for _ in range(3)]  # could catch it, do not wait yet
    first = waiting_for_budget(auth, 2)
    response = broadcast(auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["delivered_to"] == [c["id"] for c in first]

    more = waiting_for_budget(auth, 3)
    with unchanged(store):
        refused = error_of(broadcast(auth), 409, "too_many_candidates")
        assert "more than 2" in refused["message"] and refused["details"] == {"waiting": 3}
    assert all(get_case(auth, "hr", c["id"])["status"] == "running" for c in more + not_yet)

    monkeypatch.setattr(message_routing, "MAX_SCANNED", 5)  # 6 could catch it: not even looked at
    with unchanged(store):
        refused = error_of(broadcast(auth), 409, "too_many_candidates")
        assert refused["details"] == {"candidates": 6}


# ------------------------------------------------------------------ a message start, twice
def test_a_message_start_sent_twice_with_one_business_key_starts_one_case(auth, store):
    deploy_file(auth, START_FILE)
    body = {"name": "application", "payload": {"name": "Ann"}, "business_key": "APP-7"}
    first = correlate(auth, body)
    assert first.status_code == 200, first.get_json()
    started = first.get_json()["started"]
    with unchanged(store):
        again = error_of(correlate(auth, body), 409, "duplicate_business_key")
        assert "APP-7" in again["message"] and again["details"]["case_id"] == started
    # another key starts its own case; a cancelled case does not hold its key
    assert "started" in correlate(auth, {**body, "business_key": "APP-8"}).get_json()
    assert auth.as_("admin").post(f"{API}/cases/{started}/cancel", json={"reason": "gửi nhầm"}).status_code == 200
    restarted = correlate(auth, body).get_json()["started"]
    assert restarted != started and get_case(auth, "admin", restarted)["business_key"] == "APP-7"


def test_two_message_starts_of_one_business_key_at_once_start_one_case(app, auth, store):
    deploy_file(auth, START_FILE)
    headers = auth.headers("admin")
    for round_ in range(ROUNDS):
        key = f"APP-RACE-{round_}"

        def send() -> Any:
            client = app.test_client()  # each thread its own client
            return lambda: client.post(f"{API}/messages", headers=headers,
                                       json={"name": "application", "payload": {"name": "Ann"}, "business_key": key})

        responses = in_threads({"a": send(), "b": send()})
        statuses = sorted(r.status_code for r in responses.values())
        assert statuses == [200, 409], [r.get_json() for r in responses.values()]
        loser = next(r for r in responses.values() if r.status_code == 409)
        assert error_of(loser, 409)["code"] == "duplicate_business_key"
        cases = auth.as_("admin").get(f"{API}/cases?business_key={key}").get_json()["items"]
        assert len(cases) == 1


# ------------------------------------------------------------------ the command line refuses what the API refuses
def test_send_message_refuses_the_input_the_api_refuses_in_the_same_words(cli, auth, store):
    deploy_file(auth, START_FILE)
    bad_bodies = [{"name": "application", "payload": {}, "business_key": "K" * 256},
                  {"name": "application", "payload": {}, "business_key": "APP\x01"},
                  {"name": "a" * 256, "payload": {}},
                  {"name": "application", "payload": {}, "case_id": 2**63}]
    with unchanged(store):
        for body in bad_bodies:
            details = error_of(correlate(auth, body), 422)["details"]
            args = ["send-message", body["name"]]
            if "business_key" in body:
                args += ["--business-key", body["business_key"]]
            if "case_id" in body:
                args += ["--case", body["case_id"]]
            refused = cli(*args)
            [(field, words)] = details.items()
            assert refused.exit_code == 2 and f"{field}: {' '.join(words)}" in refused.output, (body, refused.output)
        # what the API's JSON parser refuses (not a number, too deep), the command line refuses as well
        for payload, said in (('{"score": NaN}', "NaN is not valid JSON"),
                              ('{"a": ' * 40 + "1" + "}" * 40, "nested too deeply")):
            response = auth.as_("admin").post(f"{API}/messages", data='{"name": "application", "payload": '
                                              + payload + "}", content_type="application/json")
            assert response.status_code == 400 and said in str(response.get_json()), response.get_json()
            refused = cli("send-message", "application", "--payload", payload)
            assert refused.exit_code == 2 and said in refused.output, refused.output
        refused = cli("send-message", "assessments_done")  # an internal message, as the API says it
        assert refused.exit_code == 2 and "internal to process annual_talent_review" in refused.output
        # a case id past what the database holds: the same words, never a database error
        refused = cli("send-signal", str(2**63), "budget_approved")
        assert refused.exit_code == 2 and "case_id: Must be greater than or equal to 1" in refused.output, \
            refused.output


# ------------------------------------------------------------------ a task list page too deep
def test_a_task_list_page_past_the_deepest_offset_points_to_the_after_cursor(auth, monkeypatch):
    deploy_file(auth, SIGNAL_FILE)
    for _ in range(3):
        start(auth, "hr", "signal_from_outside")
    monkeypatch.setattr(paging, "MAX_OFFSET", 2)
    refused = error_of(auth.as_("hr").get(f"{API}/tasks?scope=all&per_page=1&page=4"), 422, "validation_error")
    assert "after" in refused["message"] and "after" in " ".join(refused["details"]["page"])
    page = auth.as_("hr").get(f"{API}/tasks?scope=all&per_page=1&page=3").get_json()
    assert len(page["items"]) == 1  # still within reach
