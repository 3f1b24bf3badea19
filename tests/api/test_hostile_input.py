"""Input that once wedged a case or answered 500: deep nesting, a backslash before ``u0000``, an id
beyond 64 bits, and a case whose stored state cannot be loaded.

Each answer is a 4xx in the one error shape (``{"error": {"code", "message", "details"}}``), and
what is refused changes nothing.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from api import config
from engine.store.models import Case
from tests.api.support import API, deployed, error_of, start, unchanged


def nested(levels: int) -> str:
    """JSON text of ``levels`` arrays, one inside the other, around a 1."""
    return "[" * levels + "1" + "]" * levels


def body(data_levels: int) -> str:
    """A document_review start whose data holds ``data_levels`` nested arrays: the body itself
    nests two more (the body object and its ``data``)."""
    return '{"process": "document_review", "data": {"notes": %s}}' % nested(data_levels)


@pytest.fixture
def review(auth):  # type: ignore[no-untyped-def]
    """document_review deployed (its start takes any data); head_khcn has a token."""
    deployed(auth, "document_review.bpmn")
    auth.token("head_khcn")


def post_case(auth, text: str):  # type: ignore[no-untyped-def]
    return auth.as_("head_khcn").post(f"{API}/cases", data=text, content_type="application/json")


# ------------------------------------------------------------------ nesting
@pytest.mark.parametrize("data_levels", [31, 600])
def test_json_nested_deeper_than_the_limit_is_refused_and_creates_nothing(auth, store, review, data_levels):
    with unchanged(store):
        error = error_of(post_case(auth, body(data_levels)), 400, "malformed_request")
    assert "nested too deeply" in json.dumps(error["details"])


def test_json_nested_up_to_the_limit_is_accepted(auth, review, app):
    assert app.config["MAX_JSON_DEPTH"] == 32
    response = post_case(auth, body(30))  # 32 levels in all
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["notes"] == json.loads(nested(30))


def test_the_depth_limit_is_a_setting(auth, store, review, app, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_MAX_JSON_DEPTH", "4")
    assert config.from_env()["MAX_JSON_DEPTH"] == 4
    app.config["MAX_JSON_DEPTH"] = 4
    with unchanged(store):
        error_of(post_case(auth, body(3)), 400, "malformed_request")
    assert post_case(auth, body(2)).status_code == 201


def test_deep_nesting_is_refused_on_every_json_route_even_before_sign_in(client, store):
    with unchanged(store):
        response = client.post(f"{API}/auth/token", data='{"username": %s, "password": "x"}' % nested(40),
                               content_type="application/json")
        error_of(response, 400, "malformed_request")


# ------------------------------------------------------------------ NUL
def test_an_escaped_backslash_before_u0000_is_ordinary_text(auth, review):
    # the JSON text "C:\\u0000" is the string C:\u0000 (a backslash, then u0000): no NUL in it
    response = post_case(auth, '{"process": "document_review", "business_key": "NT\\\\u00002026", '
                               '"data": {"path": "C:\\\\u0000", "meta": {"k\\\\u0000": 1}}}')
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["data"]["path"] == "C:\\u0000" and case["data"]["meta"] == {"k\\u0000": 1}
    assert case["business_key"] == "NT\\u00002026"


@pytest.mark.parametrize("text", [
    '{"process": "document_review", "data": {"path": "C:\\u0000"}}',  # a NUL in a value
    '{"process": "document_review", "data": {"k\\u0000": 1}}',  # a NUL in a key
    '{"process": "document_review", "data": {"path": "\\\\\\u0000"}}',  # a backslash, then a NUL
])
def test_a_real_nul_is_still_refused(auth, store, review, text):
    with unchanged(store):
        error = error_of(post_case(auth, text), 400, "malformed_request")
    assert "NUL" in json.dumps(error["details"])


# ------------------------------------------------------------------ ids
@pytest.mark.parametrize("notification_id", ["99999999999999999999", "9223372036854775808"])
def test_a_notification_id_beyond_64_bits_is_not_found_not_a_500(auth, store, notification_id):
    with unchanged(store):
        error_of(auth.as_("hr").post(f"{API}/me/notifications/{notification_id}/read"), 404, "not_found")


# ------------------------------------------------------------------ a state that cannot be loaded
def test_a_case_whose_state_cannot_be_loaded_answers_clear_errors_and_an_admin_can_cancel_it(auth, store, review):
    case = start(auth, "head_khcn", "document_review", {"title": "memo"})
    task_id = case["tasks"][0]["id"]
    with store.transaction() as session:  # as data nested 600 deep once left it: stored, never loadable
        state = json.loads(session.scalar(select(Case.state).where(Case.id == case["id"])))
        state["data"]["deep"] = "MARK"
        unloadable = json.dumps(state).replace('"MARK"', nested(600))
        session.execute(update(Case).where(Case.id == case["id"])
                        .values(state=unloadable, version=Case.version + 1))  # as another process left it

    diagram = auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/diagram.svg")
    error_of(diagram, 422, "case_state_unloadable")
    assert auth.as_("head_khcn").get(f"{API}/cases/{case['id']}").status_code == 200

    response = auth.as_("head_khcn").post(f"{API}/tasks/{task_id}/complete", json={"data": {}})
    error = error_of(response, 422, "case_state_unloadable")
    assert error["details"]["case_id"] == case["id"] and "cannot be loaded" in error["message"]
    shown = auth.as_("admin").get(f"{API}/cases/{case['id']}").get_json()
    assert shown["status"] == "error"

    error_of(auth.as_("admin").post(f"{API}/cases/{case['id']}/retry"), 422, "case_state_unloadable")
    response = auth.as_("admin").post(f"{API}/cases/{case['id']}/cancel", json={"reason": "state lost"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "cancelled"
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay")  # the history still holds
    assert replayed.status_code == 200 and replayed.get_json()["consistent"] is True, replayed.get_json()
