"""Throughput and latency of a real ``talentflow serve`` under concurrent clients, per database and worker count.

For each database (SQLite, PostgreSQL) and each worker count: a fresh database (SQLite: a file;
PostgreSQL: a database of its own on 127.0.0.1:5432, dropped at the end), migrated, with an admin
and a clerk added and bench/five_tasks.bpmn deployed, all through the product's CLI
(``talentflow db upgrade``, ``users add``, ``deploy``); then ``talentflow serve --workers W``
(gunicorn, ``--threads`` each) on a free loopback port with its own instance folder. N keep-alive
clients (``--clients-per-worker`` per worker, or ``--clients``) each sign in as the clerk, run one
warm-up case, wait for the others at a barrier, then for ``--seconds`` loop: start a case
(``POST /cases``) and complete its five tasks one after the other (``POST /tasks/{id}/complete``),
six requests per case. A request that fails (409, 5xx, another status or a connection error) is
counted and the client starts a new case.

Clients are processes (``--client-mode process``, the default): a Python client spends about as
long building and parsing a request as the server spends on it, so threads sharing one GIL would
measure the client's limit, not the server's. ``--client-mode thread`` is there to compare. Each
client speaks plain ``http.client`` over one keep-alive connection, so the figure is the server's.

Prints one table: database, workers, clients, requests/s (answered 2xx within the window),
p50/p95/p99 ms (of every answered request), 409s, 5xx, other errors (other statuses and
connection errors). The server, its workers and the PostgreSQL database are removed at the end,
on Ctrl-C and on SIGTERM too.

    python bench/throughput.py [--db sqlite,postgresql] [--workers 1,2,4] [--clients-per-worker 3 | --clients N]
                               [--seconds 20] [--threads 4] [--client-mode process|thread]

Load: every client and every server worker share the machine's cores, so the figures say what
this machine does with both; give the load average beside them.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import POSTGRES, READY_SECONDS, Server, database, stop_on_signals  # noqa: E402

HERE = Path(__file__).resolve().parent
BPMN = HERE / "five_tasks.bpmn"
PROCESS = "bench_five_tasks"
PASSWORD = "bench-password-1"
TASK_DATA = [{"score": 72}, {"note": "ok"}, {"checked": True}, {"level": 2}, {"done": True}]


def _call(conn: http.client.HTTPConnection, headers: dict[str, str], method: str, path: str,
          body: object) -> tuple[int, Any]:
    conn.request(method, path, body=json.dumps(body).encode(), headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, (json.loads(data) if response.status < 300 else None)


def run_client(port: int, token: str, seconds: float, barrier: Any, out: Any) -> None:
    """One client: a warm-up case, the barrier, then start-and-complete loops until the window ends.
    Puts ``{"latencies": [ms of each answered request], "ok", "conflict", "server", "other"}``."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    counts = {"ok": 0, "conflict": 0, "server": 0, "other": 0}
    latencies: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def case(deadline: float | None) -> None:
        """One case; each request is counted only when it ends within the window (``deadline``)."""
        nonlocal conn
        steps = [("POST", "/api/v1/cases", {"process": PROCESS, "data": {}})]
        steps += [("POST", None, {"data": data}) for data in TASK_DATA]
        answer: Any = None
        for method, path, body in steps:
            if path is None:
                path = f"/api/v1/tasks/{answer['tasks'][0]['id']}/complete"
            if deadline is not None and time.monotonic() >= deadline:
                return
            began = time.monotonic()
            try:
                status, answer = _call(conn, headers, method, path, body)
            except (OSError, http.client.HTTPException, ValueError):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                if deadline is not None and time.monotonic() < deadline:
                    counts["other"] += 1
                return
            ended = time.monotonic()
            if deadline is None:  # warm-up
                if status >= 300:
                    return
                continue
            if ended > deadline:
                return
            latencies.append((ended - began) * 1000)
            if status < 300:
                counts["ok"] += 1
                continue
            counts["conflict" if status == 409 else "server" if status >= 500 else "other"] += 1
            return

    case(None)
    barrier.wait(timeout=READY_SECONDS)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        case(deadline)
    conn.close()
    out.put({"latencies": latencies, **counts})


def token_for(base: str, username: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/token", json={"username": username, "password": PASSWORD},
                             timeout=READY_SECONDS)
    response.raise_for_status()
    return response.json()["token"]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def measure(kind: str, workers: int, clients: int, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """One row of the table: a fresh database and server for ``workers``, ``clients`` clients."""
    with database(kind, folder, args.postgres) as url:
        server = Server(url, folder / f"instance-{kind}-{workers}")
        try:
            server.cli("db", "upgrade")
            server.cli("users", "add", "bench_admin", "--password", PASSWORD, "--role", "admin")
            server.cli("users", "add", "bench_clerk", "--password", PASSWORD, "--role", "clerk")
            server.cli("deploy", str(BPMN))
            server.start(workers, args.threads)
            tokens = [token_for(server.base, "bench_clerk") for _ in range(clients)]
            if args.client_mode == "process":
                context = multiprocessing.get_context("fork")
                barrier, out = context.Barrier(clients + 1), context.Queue()
                runners: list[Any] = [context.Process(target=run_client, daemon=True,
                                                      args=(server.port, t, args.seconds, barrier, out))
                                      for t in tokens]
            else:
                barrier, out = threading.Barrier(clients + 1), queue.Queue()
                runners = [threading.Thread(target=run_client, daemon=True,
                                            args=(server.port, t, args.seconds, barrier, out)) for t in tokens]
            for runner in runners:
                runner.start()
            try:
                barrier.wait(timeout=READY_SECONDS)
                results = [out.get(timeout=args.seconds + READY_SECONDS) for _ in runners]
            finally:
                for runner in runners:
                    if args.client_mode == "process" and runner.is_alive():
                        runner.terminate()
                    runner.join(timeout=30)
        finally:
            server.stop()
    latencies = [ms for r in results for ms in r["latencies"]]
    return {"db": kind, "workers": workers, "clients": clients,
            "rps": sum(r["ok"] for r in results) / args.seconds,
            "p50": percentile(latencies, 50), "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "conflict": sum(r["conflict"] for r in results), "server": sum(r["server"] for r in results),
            "other": sum(r["other"] for r in results)}


def main() -> None:
    stop_on_signals()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--workers", default="1,2,4", help="comma-separated gunicorn worker counts")
    parser.add_argument("--clients-per-worker", type=int, default=3)
    parser.add_argument("--clients", type=int, default=None, help="a fixed number of clients for every row")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the measured window")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--client-mode", choices=("process", "thread"), default="process")
    parser.add_argument("--postgres", default=POSTGRES, help="server URL to create the PostgreSQL database on")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.db.split(",") if k.strip()]
    worker_counts = [int(w) for w in args.workers.split(",")]
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="talentflow-throughput-") as tmp:
            for kind in kinds:
                for workers in worker_counts:
                    clients = args.clients or args.clients_per_worker * workers
                    print(f"{kind}: {workers} worker(s), {clients} {args.client_mode} client(s), "
                          f"{args.seconds:g} s ...", file=sys.stderr, flush=True)
                    rows.append(measure(kind, workers, clients, args, Path(tmp)))
    except KeyboardInterrupt:
        raise SystemExit("interrupted; the servers are stopped and the bench's databases removed") from None
    print(f"{'database':<11} {'workers':>7} {'clients':>7} {'requests/s':>10} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'409s':>6} {'5xx':>6} {'other errors':>12}")
    for r in rows:
        print(f"{r['db']:<11} {r['workers']:>7} {r['clients']:>7} {r['rps']:>10.1f} {r['p50']:>8.1f} "
              f"{r['p95']:>8.1f} {r['p99']:>8.1f} {r['conflict']:>6} {r['server']:>6} {r['other']:>12}")


if __name__ == "__main__":
    main()
