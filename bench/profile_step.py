"""Where the server's time goes in one five-task case, per request, inside the WSGI app.

Runs the app in-process (no gunicorn, no sockets) with the werkzeug test client, the same case as
bench/engine_overhead.py's (c) on a fresh SQLite file, and profiles only the app's own work (a
middleware around ``app.wsgi_app`` turns cProfile on and off), so the figures are the server's,
not the test client's. Prints the time per case and the top functions by cumulative and own time.

    python bench/profile_step.py [-n 300] [--top 40] [--sort tottime]
"""
from __future__ import annotations

import argparse
import atexit
import cProfile
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
_INSTANCE = tempfile.mkdtemp(prefix="tf-profile-")
atexit.register(shutil.rmtree, _INSTANCE, ignore_errors=True)  # the database and instance files it made
os.environ["TALENTFLOW_INSTANCE_PATH"] = _INSTANCE
os.environ.setdefault("TALENTFLOW_SCHEDULER", "off")

from api import create_app  # noqa: E402
from api.auth.passwords import hash_password  # noqa: E402
from engine.definitions.specs import SourceFile  # noqa: E402
from engine.people.directory import add_user, grant_role  # noqa: E402
from engine.store.migrate import upgrade  # noqa: E402
from workflows import deploy_files  # noqa: E402

TASK_DATA = [{"score": 72}, {"note": "ok"}, {"checked": True}, {"level": 2}, {"done": True}]


class Profiled:
    """WSGI middleware: profile the wrapped app's calls only (the body is read inside)."""

    def __init__(self, app, profile: cProfile.Profile) -> None:  # type: ignore[no-untyped-def]
        self.app, self.profile, self.on = app, profile, False

    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        if not self.on:
            return self.app(environ, start_response)
        self.profile.enable()
        try:
            return list(self.app(environ, start_response))
        finally:
            self.profile.disable()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--dump", default=None, help="also write the raw profile to this file")
    parser.add_argument("--url", default=None, help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{_INSTANCE}/profile.db"
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SQL_ECHO": False})
    with app.extensions["talentflow"].store.transaction() as session:
        grant_role(session, add_user(session, "bench", hash_password("bench-password")), "admin")
        deploy_files(session, [SourceFile("five_tasks.bpmn", (HERE / "five_tasks.bpmn").read_bytes())], "bench")
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"username": "bench", "password": "bench-password"}).get_json()
    headers = {"Authorization": f"Bearer {token['token']}"}

    def one_case() -> None:
        case = client.post("/api/v1/cases", json={"process": "bench_five_tasks", "data": {}}, headers=headers)
        assert case.status_code == 201, case.get_data(as_text=True)
        for data in TASK_DATA:
            case = client.post(f"/api/v1/tasks/{case.get_json()['tasks'][0]['id']}/complete",
                               json={"data": data}, headers=headers)
            assert case.status_code == 200, case.get_data(as_text=True)
        assert case.get_json()["status"] == "completed"

    for _ in range(10):
        one_case()
    # In batches: on a shared machine the fastest batches are the ones least disturbed by others.
    batches, size = [], max(1, args.n // 20)
    for _ in range(max(1, args.n // size)):
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(size):
            one_case()
        batches.append(((time.perf_counter() - started) / size * 1000, (time.process_time() - cpu) / size * 1000))
    wall, cpu = sorted(b[0] for b in batches), sorted(b[1] for b in batches)
    print(f"{len(batches) * size} cases through the test client, no profiler, ms a case: "
          f"wall min {wall[0]:.2f} / median {statistics.median(wall):.2f}, "
          f"CPU min {cpu[0]:.2f} / median {statistics.median(cpu):.2f}")
    if args.top <= 0 and not args.dump:  # the timing alone
        return
    profile = cProfile.Profile()
    app.wsgi_app = Profiled(app.wsgi_app, profile)
    app.wsgi_app.on = True
    started = time.perf_counter()
    for _ in range(args.n):
        one_case()
    elapsed = time.perf_counter() - started
    print(f"{args.n} cases, {elapsed / args.n * 1000:.2f} ms a case with the profiler and the test client")
    stats = pstats.Stats(profile)
    if args.dump:
        stats.dump_stats(args.dump)
    stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
