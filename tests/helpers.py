"""Small helpers the API tests share."""
from __future__ import annotations

from typing import Any

from tests.conftest import proposal


def start_training(auth: Any, user: str = "head_khcn", **overrides: Any) -> dict[str, Any]:
    response = auth.as_(user).post("/api/v1/cases", json={"process": "training_nomination",
                                                         "data": proposal(**overrides)})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def ready_task(case: dict[str, Any], element_id: str) -> dict[str, Any]:
    matches = [t for t in case["tasks"] if t["element_id"] == element_id]
    assert matches, f"no ready task {element_id} in {[t['element_id'] for t in case['tasks']]}"
    return matches[0]


def complete(auth: Any, user: str, task_id: str, data: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = auth.as_(user).post(f"/api/v1/tasks/{task_id}/complete", json={"data": data})
    assert response.status_code == status, response.get_json()
    return response.get_json()
