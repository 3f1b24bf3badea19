"""PostgreSQL stops for a while under load: a real ``talentflow serve`` answers 503 in the JSON error
shape (the pages: an error page in the reader's language), never a traceback, comes back by itself
when the database does, and leaves no case half-written.

The database is a PostgreSQL server of this test's own (tests/own_postgres.py): stopping the shared
one would break every other test running against it.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from engine.audit.verify import verify_all
from engine.store.database import Store
from tests.own_postgres import OwnPostgres
from tests.waiting import DEADLINE_SECONDS, free_port, stop_server, wait_for, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "talentflow-demo"
#: How long the database stays away: about what a restart or a fail-over takes.
OUTAGE_SECONDS = 10
VI_BUSY = "Cơ sở dữ liệu đang bận hoặc không kết nối được"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def served(postgres: OwnPostgres, tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if k != "TALENTFLOW_SECRET_KEY"}
    env.update(TALENTFLOW_DATABASE_URL=postgres.url, TALENTFLOW_INSTANCE_PATH=str(tmp_path / "instance"),
               TALENTFLOW_SECURE_COOKIES="0", TALENTFLOW_CONTROL_SOCKET="off")
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "demo"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=DEADLINE_SECONDS)
    port, log_path = free_port(), tmp_path / "server.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "2", "--threads", "4"],
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, log_path)
        yield base
    finally:
        stop_server(process)


def api_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    answer = session.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                          timeout=DEADLINE_SECONDS)
    assert answer.status_code == 200, answer.text
    session.headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return session


def page_session(base: str, username: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/login", timeout=DEADLINE_SECONDS).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, form[:500]
    answer = session.post(f"{base}/login", data={"csrf_token": token.group(1), "username": username,
                                                 "password": PASSWORD}, allow_redirects=False,
                          timeout=DEADLINE_SECONDS)
    assert answer.status_code == 302, answer.text[:500]
    return session


class Load:
    """Threads that start cases, list them and open a page, without pause, recording every answer."""

    def __init__(self, base: str, threads: int = 4) -> None:
        self.base, self.answers, self.created = base, [], []
        self.lock, self.stopping = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(api_session(base, "head_khcn"),
                                                                 page_session(base, "head_khcn")))
                        for _ in range(threads)]

    def _record(self, kind: str, response: requests.Response) -> None:
        with self.lock:
            self.answers.append((kind, response.status_code, response.headers.get("Content-Type", ""),
                                 response.text))
            if kind == "start" and response.status_code == 201:
                self.created.append(response.json()["id"])

    def _run(self, api: requests.Session, page: requests.Session) -> None:
        while not self.stopping.is_set():
            try:
                self._record("start", api.post(f"{self.base}/api/v1/cases", timeout=DEADLINE_SECONDS, json={
                    "process": "training_nomination", "business_key": f"OUT-{uuid.uuid4().hex[:12]}",
                    "data": {"talent_name": "Trần Thu Hà", "unit": "SKHCN", "course": "Lớp AI ứng dụng 2026",
                             "field_of_study": "science_technology", "mentor": "expert1"}}))
                self._record("list", api.get(f"{self.base}/api/v1/cases", timeout=DEADLINE_SECONDS))
                self._record("page", page.get(f"{self.base}/", timeout=DEADLINE_SECONDS))
                self._record("health", requests.get(f"{self.base}/healthz", timeout=DEADLINE_SECONDS))
            except requests.RequestException as err:  # a dropped connection is an answer too: a wrong one
                with self.lock:
                    self.answers.append(("error", 0, "", repr(err)))

    def count(self, status: int) -> int:
        with self.lock:
            return sum(1 for answer in self.answers if answer[1] == status)

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(DEADLINE_SECONDS)


def test_the_database_stopping_under_load_answers_503_and_the_service_recovers(postgres, served):
    with Load(served) as load:
        assert wait_for(lambda: load.count(201) >= 8), load.answers[-5:]
        postgres.stop()
        try:
            assert wait_for(lambda: load.count(503) >= 8), load.answers[-5:]
            load.stopping.wait(OUTAGE_SECONDS)  # the outage goes on while the load does
        finally:
            postgres.start()
        served_before = load.count(201) + load.count(200)
        assert wait_for(lambda: load.count(201) + load.count(200) >= served_before + 20), load.answers[-5:]
    answers = load.answers

    assert {status for _, status, _, _ in answers} <= {200, 201, 503}, \
        [a for a in answers if a[1] not in (200, 201, 503)][:3]
    assert not [a for a in answers if "Traceback" in a[3]]
    for kind, status, content_type, body in answers:
        if status != 503:
            continue
        if kind == "page":  # the error page, in the reader's language (Vietnamese unless chosen)
            assert content_type.startswith("text/html") and VI_BUSY in body, body[:500]
        else:
            assert content_type == "application/json", body[:500]
            error = json.loads(body)["error"]
            assert error["code"] in ("database_unavailable",) and {"message", "details"} <= set(error)
    assert {kind for kind, status, _, _ in answers if status == 503} >= {"start", "list", "page", "health"}

    # nothing half-written: every case answered 201 is there, and every chain matches its case row
    store = Store(postgres.url)
    try:
        with store.read() as session:
            report = verify_all(session.connection())
            found = set(session.connection().exec_driver_sql("SELECT id FROM \"case\"").scalars())
    finally:
        store.dispose()
    assert report.ok, report.breaks[:3]
    assert set(load.created) <= found


def test_a_drivers_own_connection_error_answers_503_too(app, auth, monkeypatch):
    """Code on a raw connection (the token check's fast path) meets the driver's error unwrapped."""
    import psycopg

    def away(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.OperationalError("connection failed: the database system is shutting down")

    headers = auth.headers("head_khcn")
    monkeypatch.setattr(app.extensions["talentflow"].actors, "authenticate", away)
    answer = app.test_client().get("/api/v1/cases", headers=headers)
    assert answer.status_code == 503 and answer.get_json()["error"]["code"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "1"
