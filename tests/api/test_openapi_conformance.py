"""The OpenAPI document tells the truth: schemathesis against a live server.

The document (``GET /api/v1/openapi.json``) is what clients generate code from, so it is checked
against what a real server (``talentflow serve``: gunicorn, the demo data) answers, not against
the Flask test client: every operation, with inputs generated from the document (valid ones and
invalid ones), as an admin and as a user who holds no role. A check fails on any 5xx, on a status
code the operation does not document, on a content type it does not document, and on a body that
does not match the documented schema (errors included: ``{"error": {code, message, details}}``).

Generated requests seldom reach a real record (task ids are UUIDs), so the demo's own tasks,
cases and talents are read too, and a valid appointment and figures sent, each answer checked the
same way.

The examples are bounded (``MAX_EXAMPLES`` per operation and mode) and derandomized, so the run
takes the same requests every time and a failure found once is found again; every operation is
run before failing, so one report names every mismatch.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests.waiting import free_port, stop_server, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
#: The callers, created for the run: one holds the admin role, the other no role at all. Their
#: names appear nowhere in the document, so generated requests (which do use the document's
#: words, e.g. ``admin``) do not revoke their roles or close their accounts. Their tokens are
#: taken before any generated request is sent: a wrong current password sent to
#: ``POST /me/password`` counts towards the caller's lock-out, as it should.
CALLERS = {"conformance-admin": [{"role": "admin", "unit": None}], "conformance-user": []}
DEMO_PASSWORD = "talentflow-demo"
CALLER_PASSWORD = "conformance-password-1"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
#: Demo users who read the demo records too (a unit head sees their units' cases, data filtered).
DEMO_READERS = ("head_khcn",)
#: Generated requests per operation and generation mode (valid inputs, invalid inputs).
MAX_EXAMPLES = 8
#: A busy machine can take long to start gunicorn; any error before this is transient.
READY_DEADLINE_SECONDS = 180.0
REQUEST_TIMEOUT_SECONDS = 60.0


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``talentflow serve`` on a free loopback port over a fresh demo database: its base URL and
    a bearer token for each caller."""
    workdir = tmp_path_factory.mktemp("conformance")
    env = dict(os.environ, TALENTFLOW_DATABASE_URL=f"sqlite:///{workdir / 'conformance.db'}",
               TALENTFLOW_FILES_DIR=str(workdir / "files"))
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    log_path = workdir / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_serving(base, process, log_path, seconds=READY_DEADLINE_SECONDS)
            yield base, _add_callers(base)
        finally:
            stop_server(process)


def _token(base: str, username: str, password: str = CALLER_PASSWORD) -> str:
    response = requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": password},
                             timeout=REQUEST_TIMEOUT_SECONDS)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _add_callers(base: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {_token(base, 'admin', DEMO_PASSWORD)}"}
    for username, roles in CALLERS.items():
        response = requests.post(f"{base}/api/v1/users", headers=headers, timeout=REQUEST_TIMEOUT_SECONDS,
                                 json={"username": username, "password": CALLER_PASSWORD, "unit": "SKHCN",
                                       "roles": roles})
        assert response.status_code == 201, response.text
    tokens = {username: _token(base, username) for username in CALLERS}
    tokens.update({username: _token(base, username, DEMO_PASSWORD) for username in DEMO_READERS})
    return tokens


def _run(operation, mode: GenerationMode, base: str, headers: dict[str, str]) -> str | None:  # type: ignore[no-untyped-def]
    """Send ``MAX_EXAMPLES`` generated requests to ``operation``; the failure report, if any."""

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    def check(case):  # type: ignore[no-untyped-def]
        case.call_and_validate(base_url=base, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)

    try:
        check()
    except Unsatisfiable:
        return None  # nothing to make invalid (no parameters, no body): there is no negative request
    except BaseException as failure:  # noqa: BLE001 - a check's failure group, or the request's error
        if isinstance(failure, (KeyboardInterrupt, SystemExit)):
            raise
        return f"{operation.method.upper()} {operation.path} ({mode.value}): {failure}"
    return None


def _known_requests(base: str, headers: dict[str, str]) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    """Requests on the demo's own records (method, documented path, parameters), which generated
    requests seldom reach: task ids are UUIDs, and valid figures or appointments are narrow."""

    def items(path: str, **params: object) -> list[dict]:  # type: ignore[type-arg]
        response = requests.get(f"{base}/api/v1{path}", params=params, headers=headers,
                                timeout=REQUEST_TIMEOUT_SECONDS)
        return response.json()["items"] if response.status_code == 200 else []

    calls: list[tuple[str, str, dict]] = []  # type: ignore[type-arg]
    for task in items("/tasks", scope="all", per_page=200):
        calls += [("GET", "/api/v1/tasks/{task_id}", {"path_parameters": {"task_id": task["id"]}})]
    for case in items("/cases", per_page=200):
        ids = {"path_parameters": {"case_id": case["id"]}}
        calls += [("GET", "/api/v1/cases/{case_id}", ids), ("GET", "/api/v1/cases/{case_id}/history", ids),
                  ("GET", "/api/v1/cases/{case_id}/state", ids), ("POST", "/api/v1/cases/{case_id}/replay", ids)]
    for talent in items("/talents"):
        calls += [("GET", "/api/v1/talents/{talent_id}", {"path_parameters": {"talent_id": talent["id"]}})]
    return calls + [
        ("GET", "/api/v1/processes/{key}", {"path_parameters": {"key": "training_nomination"}}),
        ("GET", "/api/v1/appointments", {"query": {"year": 2026}}),
        ("POST", "/api/v1/appointments", {"body": {"post": "Trưởng phòng Kế hoạch", "level": "truong_phong",
                                                   "unit": "SKHCN", "person_name": "Nguyễn Văn An",
                                                   "appointed_on": "2026-05-04"}}),
        ("GET", "/api/v1/reports/targets", {"query": {"year": 2026}}),
        ("POST", "/api/v1/reports/figures", {"body": {"year": 2026, "figures": {"new_recruits": 40,
                                                                                "talent_recruits": 6}}}),
        ("GET", "/api/v1/me/notifications", {}),
        ("POST", "/api/v1/audit/checkpoints", {}),
        ("GET", "/api/v1/audit/checkpoints/latest", {}),
        ("GET", "/api/v1/audit/verify", {}),
    ]


@pytest.mark.parametrize("username", ["conformance-admin", *DEMO_READERS])
def test_the_demo_records_read_as_the_document_says(live_server: tuple[str, dict[str, str]], username: str) -> None:
    """Runs before the generated requests, which may cancel the demo's cases."""
    base, tokens = live_server
    headers = {"Authorization": f"Bearer {tokens[username]}"}
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", headers=headers,
                                           timeout=REQUEST_TIMEOUT_SECONDS)
    failures, succeeded = [], 0
    for method, path, parameters in _known_requests(base, headers):
        case = schema[path][method].Case(headers=headers, **parameters)
        try:
            response = case.call_and_validate(base_url=base, checks=CHECKS, timeout=REQUEST_TIMEOUT_SECONDS)
        except BaseException as failure:  # noqa: BLE001 - a check's failure group, or the request's error
            if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                raise
            failures.append(f"{method} {path} {parameters}: {failure}")
        else:
            succeeded += response.status_code < 300
    assert not failures, f"{len(failures)} answer(s) do not match the document:\n\n" + "\n\n".join(failures)
    assert succeeded >= 10, f"only {succeeded} requests succeeded: the demo records were not read"


@pytest.mark.parametrize("username", sorted(CALLERS))
def test_every_operation_answers_as_the_document_says(live_server: tuple[str, dict[str, str]],
                                                      username: str) -> None:
    base, tokens = live_server
    headers = {"Authorization": f"Bearer {tokens[username]}"}
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json", headers=headers,
                                           timeout=REQUEST_TIMEOUT_SECONDS)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            report = _run(operation, mode, base, headers)
            if report is not None:
                failures.append(report)
    assert operations >= 30, f"the document lists only {operations} operations"
    me = requests.get(f"{base}/api/v1/me", headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
    assert me.status_code == 200, f"the run ended signed out, so it may have checked little: {me.text}"
    assert not failures, f"{len(failures)} operation(s) do not answer as documented:\n\n" + "\n\n".join(failures)
