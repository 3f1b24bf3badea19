"""How late timers fire: the delay between each timer's due time and its firing, real clock.

For each backend: a fresh database (SQLite file; PostgreSQL: a database created
and dropped by this script), one ``talentflow scheduler`` process with the
default settings (30 s sweep: a timer fires on time only if the executor wakes
at its exact due time), then N cases whose one timer falls due over a short
window, started while the executor runs. The delay of each timer is read from
its ``timer_fired`` audit event (``fired_at - due_at``, both written by the
executor). Prints p50, p99 and max per backend.

    python bench/timer_lag.py [-n 200] [--window 10] [--lead 4] [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

``--window 0`` makes all N timers due in the same instant: the delay then
measures how fast one executor works through a burst (one step per case),
not how precisely it wakes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.auth.passwords import hash_password  # noqa: E402
from engine.time import clock  # noqa: E402
from engine.store.database import Store  # noqa: E402
from engine.definitions.versions import sources_for  # noqa: E402
from engine.people.directory import add_user, grant_role  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from engine.store.models import Event  # noqa: E402
from engine.people.actors import actor_for  # noqa: E402
from workflows import build_services, deploy_files  # noqa: E402

DIAGRAM = ROOT / "tests" / "data" / "timer_soon.bpmn"


def measure(url: str, n: int, window: float, lead: float) -> list[float]:
    upgrade(url)
    services = build_services({"DATABASE_URL": url})
    store, service = services.store, services.cases
    with store.transaction() as session:
        deploy_files(session, sources_for(DIAGRAM), "bench")
        user = add_user(session, "bench", hash_password("bench-password-1"))
        grant_role(session, user, "bench")
        session.flush()
        starter = actor_for(session, user)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALENTFLOW_SCHEDULER")}
    env["TALENTFLOW_DATABASE_URL"] = url
    executor = subprocess.Popen([sys.executable, "-m", "api.cli", "scheduler"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(3)  # the executor is up, asleep until its sweep: only wake-ups bring it back in time
        first_due = clock.now() + timedelta(seconds=lead)
        for i in range(n):
            due = first_due + timedelta(seconds=window * i / max(n - 1, 1))
            service.start(starter, "timer_soon", {"fire_at": due.isoformat()})
        deadline = time.monotonic() + lead + window + 120
        while time.monotonic() < deadline:
            lags = _lags(store)
            if len(lags) >= n:
                return lags
            time.sleep(0.5)
        raise SystemExit(f"only {len(_lags(store))} of {n} timers fired")
    finally:
        executor.terminate()
        executor.wait(timeout=30)
        store.dispose()


def _lags(store: Store) -> list[float]:
    with store.read() as session:
        rows = session.scalars(select(Event.data).where(Event.type == "timer_fired")).all()
    return [(datetime.fromisoformat(d["fired_at"]) - datetime.fromisoformat(d["due_at"])).total_seconds()
            for d in rows]


def report(name: str, lags: list[float]) -> None:
    ordered = sorted(lags)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * len(ordered))) - 1)]
    print(f"{name:<11} timers={len(lags)}  p50={statistics.median(ordered) * 1000:7.1f} ms  "
          f"p99={p99 * 1000:7.1f} ms  max={ordered[-1] * 1000:7.1f} ms  min={ordered[0] * 1000:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=200, help="timers (default 200)")
    parser.add_argument("--window", type=float, default=10.0, help="seconds over which they fall due (default 10)")
    parser.add_argument("--lead", type=float, default=4.0, help="seconds from creating the first to its due time")
    parser.add_argument("--postgres", default=os.environ.get("TALENTFLOW_TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped); default: "
                             "TALENTFLOW_TEST_DATABASE_URL, else SQLite only")
    args = parser.parse_args()
    print(f"{args.n} timers falling due over {args.window:g} s, one `talentflow scheduler` with default settings")
    with tempfile.TemporaryDirectory() as workdir:
        report("sqlite", measure(f"sqlite:///{Path(workdir) / 'lag.db'}", args.n, args.window, args.lead))
    if args.postgres:
        base = make_url(args.postgres)
        name = f"talentflow_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            report("postgresql", measure(base.set(database=name).render_as_string(hide_password=False),
                                         args.n, args.window, args.lead))
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
