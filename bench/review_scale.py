"""What one assessment of the annual talent review costs as the list grows.

For each list size N: a fresh SQLite database, N active talents with four
years of history each (spread over two units), hr starts the review through
the HTTP API (in-process Flask client), then unit heads complete assessments
one by one. Prints, per N: the time to start the review (it starts one
``talent_assessment`` case per talent), the median time to complete one
assessment (the API call, one database transaction), the state stored for
one assessment and for the review, the median time to list a unit head's
worklist, and the time of the last completion (which also steps the review
with every result).

    python bench/review_scale.py [--sizes 100 300 600] [--completions 15]

What to expect: each assessment is its own small case, so "complete 1",
"calls/step" (Python function calls per completion: a figure the machine's
load does not move, unlike milliseconds) and "assessment state" stay flat as
N grows; starting the review and the last
completion (which hands N results to the review) grow with N, once each.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from api import create_app  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from engine.time import clock  # noqa: E402
from engine.people.directory import add_unit, add_user, grant_role  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Case  # noqa: E402
from workflows import deploy_bpmn_dir  # noqa: E402
from workflows.programme import registry  # noqa: E402

PASSWORD = "bench-password-1"
UNITS = [("HP", "Thành phố", None), ("SKHCN", "Sở KH&CN", "HP"), ("SGDDT", "Sở GD&ĐT", "HP")]
ANSWER = {"rating": "tot", "appointed_or_promoted": False, "in_planning": True, "trained_st": True,
          "serving_in_city": True, "disciplined": False, "recommendation": "keep", "comment": "Hoàn thành tốt"}


def setup(workdir: Path, talents: int):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{workdir / 'review.db'}"
    upgrade(url)
    app = create_app({"DATABASE_URL": url})
    store = app.extensions["talentflow"].store
    with store.transaction() as session:
        deploy_bpmn_dir(session)
        for code, name, parent in UNITS:
            add_unit(session, code, name, parent)
        grant_role(session, add_user(session, "hr", hash_password(PASSWORD), unit_code="HP"), "hr_officer")
        grant_role(session, add_user(session, "head", hash_password(PASSWORD), unit_code="HP"), "unit_head", "HP")
    add_talents(store, talents)
    return app, store


def add_talents(store, talents: int) -> None:  # type: ignore[no-untyped-def]
    """``talents`` active talents over two units, each with four years of review history."""
    with store.command() as db:
        for n in range(talents):
            talent_id = registry.add_talent(db, full_name=f"Nhân tài {n:04d}", category="cbccvc",
                                            recognised_on=date(2019 + n % 6, 3, 1), unit=UNITS[1 + n % 2][0])
            for year in (2022, 2023, 2024, 2025):
                registry.record_review(db, talent_id=talent_id, year=year, assessment={"rating": "hoan_thanh"},
                                       outcome="keep", rule_outcome="keep", override_reason=None,
                                       source_case_id=None)


def login(client, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    token = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def measure(talents: int, completions: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        app, store = setup(Path(tmp), talents)
        client = app.test_client()
        hr, head = login(client, "hr"), login(client, "head")
        started = time.perf_counter()
        response = client.post("/api/v1/cases", headers=hr,
                               json={"process": "annual_talent_review", "data": {"year": 2026}})
        start_ms = (time.perf_counter() - started) * 1000
        assert response.status_code == 201, response.get_json()
        case = response.get_json()
        assert case["children"] == {"running": talents}, case["children"]
        tasks, page = [], 1
        while len(tasks) < talents:
            listed = client.get(f"/api/v1/tasks?scope=available&process=talent_assessment&per_page=200&page={page}",
                                headers=head).get_json()["items"]
            tasks += [t["id"] for t in listed]
            page += 1
        steps, lists = [], []
        for task_id in tasks[:completions]:
            began = time.perf_counter()
            done = client.post(f"/api/v1/tasks/{task_id}/complete", headers=head, json={"data": ANSWER})
            steps.append((time.perf_counter() - began) * 1000)
            assert done.status_code == 200, done.get_json()
            began = time.perf_counter()
            assert client.get("/api/v1/tasks?scope=available", headers=head).status_code == 200
            lists.append((time.perf_counter() - began) * 1000)
        profile = cProfile.Profile()  # function calls: a figure the machine's load does not move
        profile.enable()
        for task_id in tasks[completions:completions + 3]:
            assert client.post(f"/api/v1/tasks/{task_id}/complete", headers=head,
                               json={"data": ANSWER}).status_code == 200
        profile.disable()
        calls = pstats.Stats(profile).total_calls / 3
        for task_id in tasks[completions + 3:-1]:
            assert client.post(f"/api/v1/tasks/{task_id}/complete", headers=head,
                               json={"data": ANSWER}).status_code == 200
        began = time.perf_counter()
        assert client.post(f"/api/v1/tasks/{tasks[-1]}/complete", headers=head, json={"data": ANSWER}).status_code == 200
        last_ms = (time.perf_counter() - began) * 1000
        with store.read() as session:
            review_state = session.scalar(select(Case.state).where(Case.id == case["id"]))
            child_state = session.scalar(select(Case.state).where(Case.parent_case_id == case["id"]).limit(1))
            status = session.scalar(select(Case.status).where(Case.id == case["id"]))
        assert status == "running"  # waiting for hr's consolidation
        store.dispose()
    return {"start_ms": start_ms, "complete_ms": statistics.median(steps), "worklist_ms": statistics.median(lists),
            "calls": calls, "child_kb": len(child_state) / 1024, "review_kb": len(review_state) / 1024, "last_ms": last_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 600])
    parser.add_argument("--completions", type=int, default=15, help="assessments completed per size")
    args = parser.parse_args()
    clock.use(clock.ManualClock(datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)))  # 2 Nov: the review is open
    print(f"{'talents':>8} {'start':>9} {'complete 1':>11} {'calls/step':>11} {'worklist':>9} "
          f"{'assessment state':>17} {'review state':>13} {'last completion':>16}")
    for size in args.sizes:
        m = measure(size, min(args.completions, size - 4))
        print(f"{size:>8} {m['start_ms']:>7.0f}ms {m['complete_ms']:>9.1f}ms {m['calls']:>11.0f} {m['worklist_ms']:>7.1f}ms "
              f"{m['child_kb']:>15.1f}KB {m['review_kb']:>11.0f}KB {m['last_ms']:>14.0f}ms")


if __name__ == "__main__":
    main()
