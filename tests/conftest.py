"""Shared fixtures: a migrated database per backend, the app, a client, an auth helper.

Every test runs on SQLite, and again on PostgreSQL when
``TALENTFLOW_TEST_DATABASE_URL`` is set; each run creates its own PostgreSQL
database and drops it at the end, so nothing depends on an earlier run.
"""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api import create_app
from engine.time import clock, spiff_patches
from engine.store.database import Store
from engine.people.directory import add_unit, grant_role
from engine.store.migrate import upgrade
from engine.store.models import Base, User
from api.auth.passwords import hash_password
from workflows import deploy_bpmn_dir

DATA = Path(__file__).parent / "data"
PASSWORD = "correct-horse-1"
BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TALENTFLOW_TEST_DATABASE_URL") else [])

UNITS = [("HP", "Thành phố", None), ("SKHCN", "Sở KH&CN", "HP"), ("SKHCN-QLKH", "Phòng QLKH", "SKHCN"),
         ("SGDDT", "Sở GD&ĐT", "HP")]
#: username -> (unit, [(role, unit scope)])
USERS: dict[str, tuple[str | None, list[tuple[str, str | None]]]] = {
    "admin": ("HP", [("admin", None)]),
    "hr": ("HP", [("hr_officer", None)]),
    "head_khcn": ("SKHCN", [("unit_head", "SKHCN")]),
    "head_qlkh": ("SKHCN-QLKH", [("unit_head", "SKHCN-QLKH")]),
    "head_gddt": ("SGDDT", [("unit_head", "SGDDT")]),
    "auditor": ("HP", [("auditor", None)]),
    "expert1": ("SKHCN", []),
    "expert2": ("SKHCN", []),
    "reviewer": (None, [("reviewer", None)]),
    "nobody": (None, []),
    "approver": ("HP", [("approver", None)]),
    "nominator": ("HP", [("nominator", None)]),
    # council seats are granted per case; these users hold no global role
    **{name: ("HP", []) for name in ("chair", "secretary", "member1", "member2", "member3", "member4",
                                      "member5", "member6", "member7")},
}


def _postgres_database() -> Iterator[str]:
    base = make_url(os.environ["TALENTFLOW_TEST_DATABASE_URL"])
    name = f"talentflow_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'talentflow.db'}"
        upgrade(url)
        yield url
    else:
        for url in _postgres_database():
            upgrade(url)
            yield url


@pytest.fixture(scope="session")
def password_hash() -> str:
    return hash_password(PASSWORD)


def _wipe(store: Store) -> None:
    with store.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc))
    previous = clock.use(manual)
    spiff_patches.install()
    yield manual
    clock.use(previous)


@pytest.fixture
def app(database_url: str, password_hash: str, manual_clock: clock.ManualClock,  # type: ignore[no-untyped-def]
        tmp_path: Path):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "FILES_DIR": str(tmp_path / "files")})
    store = app.extensions["talentflow"].store
    _wipe(store)
    with store.transaction() as session:
        deploy_bpmn_dir(session)
        for code, name, parent in UNITS:
            add_unit(session, code, name, parent)
        units = {}
        for username, (unit, grants) in USERS.items():
            from engine.people.directory import get_unit

            user = User(username=username, display_name=username, password_hash=password_hash,
                        unit_id=get_unit(session, unit).id if unit else None, created_at=clock.now())
            session.add(user)
            session.flush()
            for role, scope in grants:
                grant_role(session, user, role, scope)
        del units
    yield app
    store.dispose()


@pytest.fixture
def store(app) -> Store:  # type: ignore[no-untyped-def]
    return app.extensions["talentflow"].store


@pytest.fixture
def service(app):  # type: ignore[no-untyped-def]
    return app.extensions["talentflow"].cases


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class Auth:
    """Log in as a user once; then call the API as them: ``auth.as_("hr").get(...)``."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            response = self.client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.get_json()
            self._tokens[username] = response.get_json()["token"]
        return self._tokens[username]

    def headers(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    def as_(self, username: str) -> "_As":
        return _As(self.client, self.headers(username))


class _As:
    def __init__(self, client: Any, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __getattr__(self, method: str):  # type: ignore[no-untyped-def]
        call = getattr(self.client, method)

        def wrapped(path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return call(path, headers=headers, **kwargs)

        return wrapped


@pytest.fixture
def auth(client) -> Auth:  # type: ignore[no-untyped-def]
    return Auth(client)


def proposal(**overrides: Any) -> dict[str, Any]:
    """Start data of a training nomination in unit SKHCN with mentor expert1."""
    data = {"talent_name": "Nguyễn Văn Khoa", "unit": "SKHCN", "course": "Lớp AI ứng dụng",
            "field_of_study": "science_technology", "mentor": "expert1"}
    data.update(overrides)
    return data
