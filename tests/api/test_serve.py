"""``talentflow serve`` for real: gunicorn on loopback, the README's walk through the demo."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.waiting import free_port, stop_server, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # type: ignore[no-untyped-def]
    workdir = tmp_path_factory.mktemp("serve")
    env = dict(os.environ, TALENTFLOW_DATABASE_URL=f"sqlite:///{workdir / 'serve.db'}")
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    with open(workdir / "server.log", "w") as log:
        process = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2"], env=env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, workdir / "server.log")
        yield base
    finally:
        stop_server(process)


def login(base: str, username: str) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{base}/api/v1/auth/token", json={"username": username, "password": "talentflow-demo"})
    assert response.status_code == 200, response.text
    session.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return session


def test_healthz_answers_without_a_token_and_the_api_wants_one(server):
    assert requests.get(f"{server}/healthz").json()["status"] == "ok"
    refused = requests.get(f"{server}/api/v1/cases")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"


def test_a_demo_case_runs_to_the_end_through_the_served_api(server):
    head, mentor, hr = login(server, "head_khcn"), login(server, "expert1"), login(server, "hr")
    assert "training_nomination" in [p["key"] for p in head.get(f"{server}/api/v1/processes").json()]
    case = head.post(f"{server}/api/v1/cases", json={
        "process": "training_nomination", "business_key": "DT-SERVE-1",
        "data": {"talent_name": "Trần Thu Hà", "unit": "SKHCN", "course": "Lớp AI ứng dụng 2026",
                 "field_of_study": "science_technology", "mentor": "expert1"}}).json()
    assert case["status"] == "running"

    def first(session: requests.Session, scope: str = "available") -> str:
        items = session.get(f"{server}/api/v1/tasks", params={"scope": scope, "case": case["id"]}).json()["items"]
        assert items, f"no {scope} task in case {case['id']}"
        return items[0]["id"]

    task = first(mentor)
    assert mentor.post(f"{server}/api/v1/tasks/{task}/claim").json()["claimed_by"] == "expert1"
    assert first(mentor, "mine") == task
    mentor.post(f"{server}/api/v1/tasks/{task}/complete",
                json={"data": {"recommendation": "support", "mentor_comment": "Rất phù hợp"}}).raise_for_status()
    head.post(f"{server}/api/v1/tasks/{first(head)}/complete",
              json={"data": {"decision": "approve"}}).raise_for_status()
    hr.post(f"{server}/api/v1/tasks/{first(hr)}/complete",
            json={"data": {"class_code": "AI-01", "class_start": "2026-12-07"}}).raise_for_status()
    done = head.post(f"{server}/api/v1/tasks/{first(head, 'mine')}/complete",
                     json={"data": {"completed": True, "certificate_ref": "CC-2026-17"}}).json()
    assert done["status"] == "trained" and done["tasks"] == []
    history = head.get(f"{server}/api/v1/cases/{case['id']}/history").json()
    assert [e["type"] for e in history].count("task_completed") == 4
