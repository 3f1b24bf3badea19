"""Whatever a client sends, the answer is a 4xx in the one error shape and nothing changes.

Each scenario runs against a database that already holds a running case, and
checks (through the store) that cases, tasks, events and definitions are
exactly as they were afterwards.
"""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from api import create_app
from tests.api.support import API, bpmn, deployed, error_of, unchanged
from tests.conftest import proposal
from tests.helpers import start_training


@pytest.fixture
def running(auth):  # type: ignore[no-untyped-def]
    """One running training case; everyone who takes part has a token already."""
    for user in ("admin", "hr", "head_khcn", "expert1", "nobody"):
        auth.token(user)
    return start_training(auth)


# ------------------------------------------------------------------ 401
def test_no_token_is_401_and_changes_nothing(client, store, running):
    with unchanged(store):
        for method, path in [("get", "/cases"), ("post", "/cases"), ("get", f"/cases/{running['id']}"),
                             ("get", "/tasks"), ("post", f"/tasks/{running['tasks'][0]['id']}/complete"),
                             ("get", "/processes"), ("get", "/me")]:
            response = getattr(client, method)(API + path, json={"process": "training_nomination", "data": {}})
            error_of(response, 401, "unauthorized")


@pytest.mark.parametrize("header", ["Bearer not-a-real-token", "Bearer " + "x" * 400, "Basic YWRtaW46eA==",
                                    "Bearer", "bearer ", "token-without-scheme"])
def test_bad_token_is_401(client, store, running, header):
    with unchanged(store):
        response = client.post(f"{API}/cases", json={"process": "training_nomination", "data": {}},
                               headers={"Authorization": header})
        error = error_of(response, 401)
        assert error["code"] in ("unauthorized", "invalid_token")


def test_wrong_password_gets_no_token(client, store):
    response = client.post(f"{API}/auth/token", json={"username": "hr", "password": "wrong-password"})
    assert error_of(response, 401, "invalid_credentials")["message"]
    response = client.post(f"{API}/auth/token", json={"username": "ghost", "password": "whatever-it-is"})
    error_of(response, 401, "invalid_credentials")


def test_token_expires_after_twelve_hours(auth, client, store, manual_clock, running):
    headers = auth.headers("head_khcn")
    manual_clock.advance(timedelta(hours=11, minutes=59))
    assert client.get(f"{API}/cases/{running['id']}", headers=headers).status_code == 200

    manual_clock.advance(timedelta(minutes=1))  # exactly 12 h after it was issued
    with unchanged(store):
        error_of(client.get(f"{API}/cases/{running['id']}", headers=headers), 401, "invalid_token")
        task_id = running["tasks"][0]["id"]
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=auth.headers("expert1"),
                               json={"data": {"recommendation": "support", "mentor_comment": "ok"}})
        error_of(response, 401, "invalid_token")


# ------------------------------------------------------------------ 400 / 422: the body
def test_malformed_json_is_400(auth, store, running):
    with unchanged(store):
        for raw in ['{"process": "training_nomination", ', "{'process': 1}", "not json at all", "{}}"]:
            response = auth.as_("head_khcn").post(f"{API}/cases", data=raw, content_type="application/json")
            error = error_of(response, 400, "malformed_request")
            assert "json" in error["details"]


@pytest.mark.parametrize("body, field", [
    ([{"process": "training_nomination"}], "_schema"),
    ("training_nomination", "_schema"),
    (42, "_schema"),
])
def test_body_that_is_not_an_object_is_422(auth, store, running, body, field):
    with unchanged(store):
        error = error_of(auth.as_("head_khcn").post(f"{API}/cases", json=body), 422, "validation_error")
        assert field in error["details"]


def test_wrong_types_are_422_naming_each_field(auth, store, running):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", json={"process": 5, "data": ["a"], "business_key": 7})
        details = error_of(response, 422, "validation_error")["details"]
        assert set(details) == {"process", "data", "business_key"}
        assert all(isinstance(messages, list) and messages for messages in details.values())

        task_id = running["tasks"][0]["id"]
        response = auth.as_("expert1").post(f"{API}/tasks/{task_id}/complete", json={"data": "support"})
        assert set(error_of(response, 422, "validation_error")["details"]) == {"data"}
        response = auth.as_("expert1").post(f"{API}/tasks/{task_id}/complete", json={"data": None})
        assert set(error_of(response, 422, "validation_error")["details"]) == {"data"}
        response = auth.as_("expert1").post(f"{API}/tasks/{task_id}/complete", json={})
        assert error_of(response, 422)["details"]["data"] == ["Missing data for required field."]


def test_unknown_fields_are_422(auth, store, running):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", json={
            "process": "training_nomination", "data": {}, "priority": "high"})
        assert error_of(response, 422, "validation_error")["details"] == {"priority": ["Unknown field."]}
        response = auth.as_("head_khcn").post(f"{API}/cases/{running['id']}/cancel",
                                              json={"reason": "duplicate", "force": True})
        assert "force" in error_of(response, 422)["details"]


def test_body_over_the_default_limit_is_413(auth, store, running):
    with unchanged(store):
        big = {"process": "training_nomination", "data": {"reason": "x" * (1024 * 1024 + 1)}}
        error_of(auth.as_("head_khcn").post(f"{API}/cases", json=big), 413, "too_large")


def test_body_over_a_configured_limit_is_413(auth, store, database_url, running):
    small = create_app({"DATABASE_URL": database_url, "TESTING": True, "MAX_CONTENT_LENGTH": 1000,
                        "MAX_DEPLOY_BYTES": 1000})
    try:
        client = small.test_client()
        headers = auth.headers("admin")
        with unchanged(store):
            response = client.post(f"{API}/cases", headers=headers,
                                   json={"process": "training_nomination", "data": {"reason": "x" * 1200}})
            error_of(response, 413, "too_large")
            response = client.post(f"{API}/processes", headers=headers, content_type="multipart/form-data",
                                   data={"file": (io.BytesIO(bpmn("document_review.bpmn")), "review.bpmn")})
            error_of(response, 413, "too_large")
        # the same app still answers a small request
        assert client.get(f"{API}/cases/{running['id']}", headers=headers).status_code == 200
    finally:
        small.extensions["talentflow"].store.dispose()


# ------------------------------------------------------------------ 404
def test_unknown_case_task_and_process_are_404(auth, store, running):
    as_admin = auth.as_("admin")
    with unchanged(store):
        for response in (as_admin.get(f"{API}/cases/987654"),
                         as_admin.get(f"{API}/cases/987654/history"),
                         as_admin.post(f"{API}/cases/987654/cancel", json={"reason": "gone"}),
                         as_admin.post(f"{API}/cases/987654/retry")):
            assert "987654" in error_of(response, 404, "not_found")["message"]
        missing_task = "00000000-0000-0000-0000-000000000000"
        for response in (as_admin.get(f"{API}/tasks/{missing_task}"),
                         as_admin.post(f"{API}/tasks/{missing_task}/claim"),
                         as_admin.post(f"{API}/tasks/{missing_task}/release"),
                         as_admin.post(f"{API}/tasks/{missing_task}/complete", json={"data": {}}),
                         as_admin.get(f"{API}/tasks/not-even-a-uuid")):
            error_of(response, 404, "not_found")
        error_of(as_admin.get(f"{API}/processes/no_such_process"), 404, "not_found")
        response = as_admin.post(f"{API}/cases", json={"process": "no_such_process", "data": {}})
        assert "process" in error_of(response, 404, "not_found")["details"]


def test_unknown_route_under_the_api_is_a_json_404(auth, client):
    error_of(auth.as_("hr").get(f"{API}/no/such/route"), 404, "not_found")
    error_of(auth.as_("hr").get(f"{API}/cases/not-a-number"), 404, "not_found")
    # without a token the API does not say which routes exist
    error_of(client.get(f"{API}/no/such/route"), 401)


def test_wrong_method_is_a_json_405(auth, store, running):
    with unchanged(store):
        error_of(auth.as_("admin").delete(f"{API}/cases/{running['id']}"), 405, "method_not_allowed")


# ------------------------------------------------------------------ 422: query parameters
@pytest.mark.parametrize("path, field", [
    ("/cases?page=0", "page"),
    ("/cases?page=-3", "page"),
    ("/cases?per_page=1000", "per_page"),
    ("/cases?per_page=0", "per_page"),
    ("/cases?page=two", "page"),
    ("/tasks?scope=bogus", "scope"),
    ("/tasks?per_page=1000", "per_page"),
    ("/tasks?page=0", "page"),
    ("/tasks?status=lost", "status"),
    ("/tasks?overdue=maybe", "overdue"),
    ("/tasks?case=abc", "case"),
    ("/tasks?case=0", "case"),
])
def test_bad_query_parameters_are_422_naming_the_parameter(auth, store, running, path, field):
    with unchanged(store):
        error = error_of(auth.as_("head_khcn").get(API + path), 422, "validation_error")
        assert field in error["details"], error


# ------------------------------------------------------------------ public endpoints
def test_healthz_answers_without_a_token(client, store):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["database"]) == ("ok", store.engine.dialect.name)  # scheduler: test_health.py


def test_openapi_document_is_served_to_a_logged_in_caller(auth, client):
    # README: every endpoint but POST /auth/token and /healthz needs a token, the OpenAPI
    # document included (commit 91addde "OpenAPI behind a token").
    error_of(client.get(f"{API}/openapi.json"), 401, "unauthorized")
    response = auth.as_("nobody").get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["info"]["title"] == "talentflow"
    assert {"/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/tasks/{task_id}/complete",
            "/api/v1/processes"} <= set(document["paths"])
    assert "post" in document["paths"]["/api/v1/cases"] and "get" in document["paths"]["/api/v1/cases"]


# ------------------------------------------------------------------ no 500 for any input
# BUG (found here; fixed in 7010897, this test keeps it fixed): a deeply nested JSON body made
# json.loads raise RecursionError inside webargs' parser and api/errors.py:_unexpected answered 500
# internal_error.
def test_deeply_nested_json_body_is_400_not_500(auth, store, running):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", data="[" * 100_000,
                                              content_type="application/json")
        error_of(response, 400, "malformed_request")


# BUG (found here; fixed in 7010897, this test keeps it fixed): ids beyond the 64-bit range passed
# the <int:...> converter and TaskQuery/PageArgs (no upper bound); the driver then raised
# OverflowError (SQLite) or NumericValueOutOfRange (PostgreSQL) -> 500. They must answer 404 (path)
# or 422 (query).
@pytest.mark.parametrize("path, status", [
    ("/cases/99999999999999999999", 404),
    ("/cases/9223372036854775808/history", 404),
    ("/tasks?case=99999999999999999999", 422),
    ("/cases?page=99999999999999999999", 422),
])
def test_huge_integers_are_not_a_500(auth, store, running, path, status):
    with unchanged(store):
        error_of(auth.as_("head_khcn").get(API + path), status)


# BUG (found here; fixed in 7010897, this test keeps it fixed): NaN / Infinity were accepted in
# free-form data (Python's json accepts them). On SQLite the case was stored and the 201 answer
# contained a bare `NaN` (not JSON); on PostgreSQL the JSON column refused it and the request
# answered 500.
@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_in_data_are_refused(auth, store, running, constant):
    deployed(auth, "document_review.bpmn")
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", data='{"process": "document_review", '
                                              f'"data": {{"score": {constant}}}}}', content_type="application/json")
        error_of(response, 400, "malformed_request")


# BUG (found here; fixed in 7010897, this test keeps it fixed): PostgreSQL refuses NUL in text
# columns ("A string literal cannot contain NUL"); a business_key with NUL escaped as 500 there (and
# was stored on SQLite).
def test_nul_character_in_business_key_is_refused_on_every_backend(auth, store, running):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", json={
            "process": "training_nomination", "business_key": "NT\u00002026", "data": proposal()})
        assert 400 <= response.status_code < 500
        error_of(response, response.status_code)


@pytest.mark.parametrize("path, body", [
    ("/auth/token", '{"username": "\\ud800", "password": "x"}'),
    ("/cases", '{"process": "training_nomination", "business_key": "A\\udc00B", "data": {}}'),
])
def test_an_unpaired_surrogate_is_malformed_even_before_login(client, auth, store, running, path, body):
    headers = auth.headers("head_khcn") if path != "/auth/token" else {}
    with unchanged(store):
        response = client.post(API + path, data=body, content_type="application/json", headers=headers)
        error_of(response, 400, "malformed_request")


def test_a_paired_surrogate_is_ordinary_text(auth, running):
    response = auth.as_("head_khcn").post(f"{API}/cases", content_type="application/json", data=(
        '{"process": "training_nomination", "business_key": "NT-\\ud83d\\ude00", "data": '
        '{"talent_name": "Nguyễn Văn Khoa", "unit": "SKHCN", "course": "Lớp AI", '
        '"field_of_study": "science_technology", "mentor": "expert1"}}'))
    assert response.status_code == 201 and response.get_json()["business_key"] == "NT-😀"


def test_a_number_beyond_the_float_range_is_malformed(auth, store, running):
    with unchanged(store):
        response = auth.as_("head_khcn").post(f"{API}/cases", content_type="application/json",
                                              data='{"process": "training_nomination", "data": {"x": 1e400}}')
        error_of(response, 400, "malformed_request")


def test_a_chunked_body_over_the_limit_is_413_not_a_truncated_400(auth, store, database_url, running):
    small = create_app({"DATABASE_URL": database_url, "TESTING": True, "MAX_CONTENT_LENGTH": 1000,
                        "MAX_DEPLOY_BYTES": 1000})
    client = small.test_client()
    token = client.post(f"{API}/auth/token", json={"username": "head_khcn", "password": "correct-horse-1"})
    body = ('{"process": "training_nomination", "data": {"pad": "' + "x" * 5000 + '"}}').encode()
    with unchanged(store):
        response = client.post(f"{API}/cases", input_stream=io.BytesIO(body), content_type="application/json",
                               headers={"Authorization": f"Bearer {token.get_json()['token']}",
                                        "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it
        error_of(response, 413, "too_large")
    small.extensions["talentflow"].store.dispose()
