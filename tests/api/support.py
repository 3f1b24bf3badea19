"""Helpers the API tests share: the error shape, deploying test files, "nothing changed"."""
from __future__ import annotations

import io
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import func, select

from engine.store.database import Store
from engine.store.models import Case, Event, ProcessDefinition, RoleGrant, Task, Unit, User
from tests.helpers import complete, ready_task, start_training

DATA = Path(__file__).resolve().parent.parent / "data"
API = "/api/v1"


def error_of(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert ``response`` is a JSON error of ``status`` (and ``code``) in the one shape; return it."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"] == error["code"].lower() and " " not in error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code, error
    return error


def is_sqlite(store: Store) -> bool:
    return store.engine.dialect.name == "sqlite"


# ------------------------------------------------------------------ database state
def snapshot(store: Store) -> dict[str, Any]:
    """Row counts of every table a command could touch, and each case's and task's state."""
    with store.read() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                  for model in (Case, Task, Event, ProcessDefinition, RoleGrant, User, Unit)}
        cases = session.execute(select(Case.id, Case.version, Case.status, Case.state, Case.data)
                                .order_by(Case.id)).all()
        tasks = session.execute(select(Task.id, Task.status, Task.claimed_by_id, Task.completed_by_id)
                                .order_by(Task.id)).all()
    return {"counts": counts, "cases": [tuple(r) for r in cases], "tasks": [tuple(r) for r in tasks]}


@contextmanager
def unchanged(store: Store) -> Iterator[None]:
    """The block must leave cases, tasks, events, definitions and people as they were."""
    before = snapshot(store)
    yield
    after = snapshot(store)
    assert after["counts"] == before["counts"]
    assert after["cases"] == before["cases"]
    assert after["tasks"] == before["tasks"]


def count(store: Store, model: type, *where: Any) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def case_row(store: Store, case_id: int) -> Case:
    with store.read() as session:
        case = session.get(Case, case_id)
        assert case is not None
        session.expunge(case)
        return case


def task_row(store: Store, task_id: str) -> Task:
    with store.read() as session:
        task = session.get(Task, task_id)
        assert task is not None
        session.expunge(task)
        return task


def events(store: Store, case_id: int, type_: str | None = None) -> list[Event]:
    with store.read() as session:
        query = select(Event).where(Event.case_id == case_id).order_by(Event.seq)
        if type_:
            query = query.where(Event.type == type_)
        rows = list(session.scalars(query))
        for row in rows:
            session.expunge(row)
        return rows


# ------------------------------------------------------------------ processes
def bpmn(name: str) -> bytes:
    return (DATA / name).read_bytes()


def deploy(auth: Any, filename: str, content: bytes | None = None, user: str = "admin") -> Any:
    """POST the file as multipart field ``file``; returns the raw response."""
    content = bpmn(filename) if content is None else content
    return auth.as_(user).post(f"{API}/processes", data={"file": (io.BytesIO(content), filename)},
                               content_type="multipart/form-data")


def deployed(auth: Any, filename: str, content: bytes | None = None) -> dict[str, Any]:
    response = deploy(auth, filename, content)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()


def start(auth: Any, user: str, process: str, data: dict[str, Any] | None = None,
          business_key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"process": process, "data": data or {}}
    if business_key is not None:
        body["business_key"] = business_key
    response = auth.as_(user).post(f"{API}/cases", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# ------------------------------------------------------------------ worklists
def worklist(auth: Any, user: str, scope: str = "mine", **params: Any) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"scope": scope, **params}.items())
    response = auth.as_(user).get(f"{API}/tasks?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def worklist_ids(auth: Any, user: str, scope: str = "mine", **params: Any) -> set[str]:
    return {t["id"] for t in worklist(auth, user, scope, **params)}


def get_case(auth: Any, user: str, case_id: int) -> dict[str, Any]:
    response = auth.as_(user).get(f"{API}/cases/{case_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def history(auth: Any, user: str, case_id: int) -> list[dict[str, Any]]:
    response = auth.as_(user).get(f"{API}/cases/{case_id}/history")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


MENTOR_OK = {"recommendation": "support", "mentor_comment": "Đủ năng lực"}


def training_at_unit_head(auth: Any, unit: str = "SKHCN-QLKH", starter: str = "head_khcn",
                          **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A training case of ``unit`` past the mentor's step: (case, its unit_head_approval task)."""
    case = start_training(auth, starter, unit=unit, **overrides)
    case = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"], MENTOR_OK)
    return case, ready_task(case, "unit_head_approval")
