"""Whether the lists stay fast as open cases pile up: p95 of each request at 10 000 and 100 000 open cases.

For each database (SQLite, and PostgreSQL on 127.0.0.1:5432 in a database of its own, dropped at the
end): migrate and deploy the product's processes (``engine.store.migrate.upgrade``,
``workflows.deploy_bpmn_dir``) and bench/one_task.bpmn (one user task in the lane
``bench_reviewer``); add a city unit with ten units under it, a starter in each unit, ``rev_global``
(bench_reviewer everywhere), ``rev_unit`` (bench_reviewer for one of the ten units: a tenth of the
tasks) and ``auditor`` (reads every case, the dashboard and the targets report). Then, for each size
of ``--sizes`` in turn, fill the database up to that many open cases (one ready human task each,
spread over the ten units), and measure.

How the cases are made: through the engine's own step, ``CaseSteps.start_in`` -- the very code
``POST /cases`` runs (validate, unit, new workflow, engine steps, state, task projection, hash-chained
events) -- called for 500 cases inside one transaction (``Store.command``) instead of one transaction
each. That is the fastest path that still leaves rows the product wrote itself (raw INSERTs would have
to forge workflow states and audit hash chains, and would measure a database the engine never makes);
it skips only the HTTP layer and the per-command commit. The same step keeps the dashboard's count
of open tasks per unit (``engine.store.backlog``); each fill ends by checking it against the task rows.
Filling is incremental: fill to 10 000, measure, fill on to 100 000, measure; progress goes to
stderr. On PostgreSQL a ``VACUUM ANALYZE`` follows each fill: autovacuum would run it by itself soon
after such a burst of inserts, and the figures should not depend on whether it happened to have run
yet. SQLite gets nothing of the kind (the product never runs ``ANALYZE`` there), so its planner sees
what it sees in production.

How it measures: in-process, through the Flask test client of the app over that database (the
full HTTP stack of the API and pages -- routing, auth, schemas, JSON -- without sockets or
gunicorn, so the figures are the server's work alone). Each round asks, in this order, after one
warm-up round that is not counted (``--repeat`` rounds, interleaved so machine noise falls on all):

- ``GET /api/v1/tasks?scope=available`` as rev_global and as rev_unit;
- ``GET /api/v1/tasks?scope=mine`` as rev_global (who claimed 20 tasks at setup);
- ``GET /api/v1/cases?status=running`` page 1 and a deep page (90 % into the list: the 180th page of
  10 000 cases, the 1 800th of 100 000, 50 a page) as a participant (rev_global: a candidate of every
  task, no reading role) and as a reader (auditor). The deep page is asked as a client pages deep:
  ``after=<next of the page before>`` (keyset paging; ``page=`` reaches only 10 000 rows deep). The
  cursor is made here from the id of the last case of the page before (what that page's ``next``
  holds), not by walking 1 800 pages;
- ``POST /api/v1/tasks/{id}/complete`` of one task (a different one each round) as rev_global;
- the dashboard page (``GET /dashboard``, signed in on the pages as auditor);
- ``GET /api/v1/reports/targets`` as auditor.

Prints, per database, the p95 in ms at each size and the ratio last size / first size.

    python bench/worklist_scale.py [--sizes 10000,100000] [--db sqlite,postgresql] [--repeat 30]

Filling 100 000 cases takes minutes on each database (the rate is printed as it goes).
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
_INSTANCE = tempfile.mkdtemp(prefix="talentflow-worklist-")
os.environ["TALENTFLOW_INSTANCE_PATH"] = _INSTANCE  # before api.config reads it: no checkout instance/ touched
os.environ.setdefault("TALENTFLOW_SECURE_COOKIES", "0")  # the test client speaks plain http
os.environ.setdefault("TALENTFLOW_SCHEDULER", "off")

from benchdb import POSTGRES, database, stop_on_signals  # noqa: E402
from throughput import percentile  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402

from api import create_app  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from engine.cases import paging  # noqa: E402
from engine.definitions.specs import SourceFile  # noqa: E402
from engine.people.actors import actor_for  # noqa: E402
from engine.people.directory import add_unit, add_user, get_user, grant_role  # noqa: E402
from engine.store import backlog  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Case  # noqa: E402
from engine.time import clock  # noqa: E402
from workflows import deploy_bpmn_dir, deploy_files  # noqa: E402

PASSWORD = "bench-password-1"
PROCESS = "bench_one_task"
UNITS = [f"U{n:02d}" for n in range(10)]
BATCH = 500
MINE = 20
PER_PAGE = 50
LABEL = {"sqlite": "SQLite", "postgresql": "PG"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REQUESTS = ["tasks available, global role", "tasks available, unit role", "tasks mine",
            "cases running p1, participant", "cases running deep, participant",
            "cases running p1, reader", "cases running deep, reader", "complete one task",
            "dashboard page", "targets report"]


def prepare(url: str) -> Any:
    """Schema, processes, units and people; the app over ``url``."""
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SQL_ECHO": False})
    store = app.extensions["talentflow"].store
    with store.transaction() as session:
        deploy_bpmn_dir(session)
        deploy_files(session, [SourceFile("one_task.bpmn", (HERE / "one_task.bpmn").read_bytes())], "bench")
        add_unit(session, "CITY", "Thành phố")
        for code in UNITS:
            add_unit(session, code, f"Đơn vị {code}", "CITY")
            grant_role(session, add_user(session, f"starter_{code}", hash_password(PASSWORD), unit_code=code),
                       "bench_clerk", code)
        grant_role(session, add_user(session, "rev_global", hash_password(PASSWORD), unit_code="CITY"),
                   "bench_reviewer")
        grant_role(session, add_user(session, "rev_unit", hash_password(PASSWORD), unit_code=UNITS[0]),
                   "bench_reviewer", UNITS[0])
        grant_role(session, add_user(session, "auditor", hash_password(PASSWORD), unit_code="CITY"), "auditor")
    return app


def fill(app: Any, label: str, have: int, target: int) -> None:
    """Start cases ``have``..``target`` with the engine's own start step, ``BATCH`` per transaction."""
    store, cases = app.extensions["talentflow"].store, app.extensions["talentflow"].cases
    with store.read() as session:
        starters = [actor_for(session, get_user(session, f"starter_{code}")) for code in UNITS]
    began, done = time.perf_counter(), have
    while done < target:
        count = min(BATCH, target - done)
        with store.command() as conn:
            for n in range(done, done + count):
                _, _, failure = cases.steps.start_in(conn, starters[n % len(starters)], PROCESS, {}, None)
                if failure is not None:
                    raise SystemExit(f"case {n} failed to start: {failure!r}")
        done += count
        rate = (done - have) / (time.perf_counter() - began)
        print(f"  {label}: {done:>7}/{target} open cases ({rate:.0f} cases/s)", file=sys.stderr, flush=True)
    with store.engine.connect() as conn:  # the start step counted what it opened, exactly
        wrong = backlog.mismatches(conn)
    if wrong:
        raise SystemExit(f"the open-task counter differs from the tasks: {wrong}")
    if not store.is_sqlite:  # what autovacuum does on its own a little later: measure the steady state
        with store.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))


def bearer(client: Any, username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {"Authorization": f"Bearer {answer.get_json()['token']}"}


def signed_in(app: Any, username: str) -> Any:
    """A test client signed in on the pages, as a browser would (the login form and its CSRF token)."""
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"csrf_token": token.group(1) if token else "", "username": username,
                                         "password": PASSWORD})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client


def measure(app: Any, size: int, repeat: int) -> dict[str, float]:
    """p95 ms of each of ``REQUESTS`` over ``repeat`` interleaved rounds (after one warm-up round)."""
    client = app.test_client()
    rev, unit, auditor = bearer(client, "rev_global"), bearer(client, "rev_unit"), bearer(client, "auditor")
    page = signed_in(app, "auditor")
    deep = max(2, size * 9 // 10 // PER_PAGE)
    with app.extensions["talentflow"].store.read() as session:  # the last case of page deep - 1
        before = session.scalar(select(Case.id).where(Case.status == "running").order_by(Case.id.desc())
                                .offset((deep - 1) * PER_PAGE - 1).limit(1))
    after = paging.encode([before])
    year = clock.now().astimezone(clock.CITY_ZONE).year
    available = client.get("/api/v1/tasks?scope=available&per_page=200", headers=rev).get_json()["items"]
    mine = client.get("/api/v1/tasks?scope=mine", headers=rev).get_json()["items"]
    for task in available[:MINE - len(mine)]:  # rev_global's own worklist: MINE claimed tasks
        assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=rev).status_code == 200
    to_complete = [t["id"] for t in available[MINE - len(mine):]]
    seen = {who: client.get("/api/v1/tasks?scope=available&per_page=1&total=exact", headers=h).get_json()["total"]
            for who, h in (("rev_global", rev), ("rev_unit", unit))}
    print(f"  tasks available: {seen}", file=sys.stderr, flush=True)
    if len(to_complete) < repeat + 1:
        raise SystemExit(f"only {len(to_complete)} tasks to complete: use --repeat below that or larger sizes")

    def get(path: str, headers: dict[str, str] | None = None, on: Any = client) -> Callable[[], Any]:
        return lambda: on.get(path, headers=headers)

    calls: dict[str, Callable[[], Any]] = {
        REQUESTS[0]: get("/api/v1/tasks?scope=available", rev),
        REQUESTS[1]: get("/api/v1/tasks?scope=available", unit),
        REQUESTS[2]: get("/api/v1/tasks?scope=mine", rev),
        REQUESTS[3]: get(f"/api/v1/cases?status=running&per_page={PER_PAGE}", rev),
        REQUESTS[4]: get(f"/api/v1/cases?status=running&per_page={PER_PAGE}&after={after}", rev),
        REQUESTS[5]: get(f"/api/v1/cases?status=running&per_page={PER_PAGE}", auditor),
        REQUESTS[6]: get(f"/api/v1/cases?status=running&per_page={PER_PAGE}&after={after}", auditor),
        REQUESTS[7]: lambda: client.post(f"/api/v1/tasks/{to_complete.pop()}/complete", headers=rev,
                                         json={"data": {}}),
        REQUESTS[8]: get(f"/dashboard?year={year}", on=page),
        REQUESTS[9]: get(f"/api/v1/reports/targets?year={year}", auditor),
    }
    times: dict[str, list[float]] = {name: [] for name in REQUESTS}
    for round_ in range(repeat + 1):
        for name, call in calls.items():
            began = time.perf_counter()
            answer = call()
            elapsed = (time.perf_counter() - began) * 1000
            if answer.status_code != 200:
                raise SystemExit(f"{name}: {answer.status_code} {answer.get_data(as_text=True)[:500]}")
            if name.startswith("cases running deep") and not answer.get_json()["items"]:
                raise SystemExit(f"{name}: page {deep} is empty; the deep page must hold cases")
            if round_:
                times[name].append(elapsed)
    return {name: percentile(values, 95) for name, values in times.items()}


def open_cases(app: Any) -> int:
    store = app.extensions["talentflow"].store
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Case).where(
            Case.process_key == PROCESS, Case.status == "running")) or 0


def run(kind: str, sizes: list[int], repeat: int, postgres: str, folder: Path) -> dict[int, dict[str, float]]:
    results: dict[int, dict[str, float]] = {}
    with database(kind, folder, postgres) as url:
        app = prepare(url)
        try:
            have = 0
            for size in sizes:
                fill(app, kind, have, size)
                have = size
                print(f"  {kind}: measuring at {size} open cases ({repeat} rounds) ...", file=sys.stderr, flush=True)
                results[size] = measure(app, size, repeat)
                have = open_cases(app)  # the cases of the tasks completed are no longer open
        finally:
            app.extensions["talentflow"].store.dispose()
    return results


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated open-case counts, ascending")
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--repeat", type=int, default=30, help="measured rounds per size")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL to create the PostgreSQL database on")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    table: dict[str, dict[int, dict[str, float]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="talentflow-worklist-db-") as tmp:
            for kind in kinds:
                table[kind] = run(kind, sizes, args.repeat, args.postgres, Path(tmp))
    except KeyboardInterrupt:
        raise SystemExit("interrupted; the bench's databases are removed") from None
    finally:
        import shutil
        shutil.rmtree(_INSTANCE, ignore_errors=True)
    first, last = sizes[0], sizes[-1]
    head = f"{'p95 ms':<33}"
    for kind in kinds:
        head += "".join(f" {LABEL.get(kind, kind) + ' ' + str(s):>14}" for s in sizes) + f" {'ratio':>6}"
    print(head)
    for name in REQUESTS:
        line = f"{name:<33}"
        for kind in kinds:
            line += "".join(f" {table[kind][s][name]:>14.1f}" for s in sizes)
            line += f" {table[kind][last][name] / table[kind][first][name]:>6.2f}"
        print(line)
    print(f"ratio: p95 at {last} open cases / p95 at {first}")


if __name__ == "__main__":
    main()
