"""Small helpers the tests share."""
from __future__ import annotations

import threading
from typing import Any, Callable

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


def in_threads(calls: dict[str, Callable[[], Any]], timeout: float = 60) -> dict[str, Any]:
    """Run each call in its own thread, released together by a barrier; their results by name.

    Fails when a thread is still stuck after ``timeout`` or any call raised (with the errors)."""
    barrier = threading.Barrier(len(calls))
    results: dict[str, Any] = {}
    failures: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait(timeout=30)
            results[name] = calls[name]()
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            failures.append(err)

    threads = [threading.Thread(target=run, args=(name,)) for name in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    assert not failures, failures
    assert set(results) == set(calls)
    return results
