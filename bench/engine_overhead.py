"""What talentflow adds on top of SpiffWorkflow, per case, measured in one run.

Runs the same case (5 user tasks and a gateway, bench/five_tasks.bpmn) N times,
interleaved so all three see the same machine state:
  (a) raw SpiffWorkflow in memory;
  (b) raw SpiffWorkflow with serialize_json + deserialize_json around each step
      (the bare cost of any durable engine);
  (c) through the HTTP API of a real `talentflow serve` (gunicorn, 1 worker) on
      loopback, one keep-alive client, SQLite: start the case, complete each task;
  (d) the floor under (c): as many requests to the same server, with the same token, that do
      nothing (an unknown path under /api/v1: gunicorn, Flask, the token check, a JSON 404);
  (e) raw SpiffWorkflow in memory with talentflow's own save of the state after each step
      (engine.definitions.state.dump_workflow, without the spec), and no load: what talentflow,
      which keeps the workflow in memory between steps, pays SpiffWorkflow at the least.
Prints the median per-case time of each; (c - d) / b, the ratio if HTTP cost nothing; and
floor_ratio = (d + e) / b, what c / b would be if every line of talentflow's own, its SQL and its
audit chain included, cost nothing. Last, overhead_ratio = c / b.

    python bench/engine_overhead.py [-n 200]
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

HERE = Path(__file__).resolve().parent
BPMN = HERE / "five_tasks.bpmn"
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
from engine.definitions import state  # noqa: E402  (the project's own save, for (e))
TASK_DATA = [{"score": 72}, {"note": "ok"}, {"checked": True}, {"level": 2}, {"done": True}]


def parse_spec():  # type: ignore[no-untyped-def]
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(BPMN))
    return parser.get_spec("bench_five_tasks"), parser.get_subprocess_specs("bench_five_tasks")


def run_memory(spec, subs, save=None) -> None:  # type: ignore[no-untyped-def]
    """(a); with ``save`` (called with the workflow after each step), (e)."""
    wf = BpmnWorkflow(spec, subs)
    wf.do_engine_steps()
    if save is not None:
        save(wf)
    for data in TASK_DATA:
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
        if save is not None:
            save(wf)
    assert wf.completed


def run_serialized(spec, subs, serializer) -> None:  # type: ignore[no-untyped-def]
    wf = BpmnWorkflow(spec, subs)
    wf.do_engine_steps()
    saved = serializer.serialize_json(wf)
    for data in TASK_DATA:
        wf = serializer.deserialize_json(saved)
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update(data)
        task.run()
        wf.do_engine_steps()
        saved = serializer.serialize_json(wf)
    assert serializer.deserialize_json(saved).completed


def run_saved(spec, subs) -> None:  # type: ignore[no-untyped-def]
    run_memory(spec, subs, save=lambda wf: state.dump_workflow("spiff", wf))


class Client:
    """A minimal keep-alive JSON client (http.client): the figure should be the server's, not a library's."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port)
        self.headers = {"Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> dict:
        payload = json.dumps(body).encode() if body is not None else None
        self.conn.request(method, path, body=payload, headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        if response.status >= 400:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data)


def run_http(client: Client) -> None:
    case = client.call("POST", "/api/v1/cases", {"process": "bench_five_tasks", "data": {}})
    for data in TASK_DATA:
        case = client.call("POST", f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", {"data": data})
    assert case["status"] == "completed", case


#: What (d) asks: routed nowhere, so the request costs only what every request costs.
NOTHING = "/api/v1/bench-nothing-here"


def run_floor(client: Client) -> None:
    for _ in range(1 + len(TASK_DATA)):  # as many requests as run_http makes
        client.conn.request("GET", NOTHING, headers=client.headers)
        response = client.conn.getresponse()
        response.read()
        assert response.status == 404, response.status


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: How long the server may take to answer /healthz: a machine busy with other work starts it slowly.
READY_SECONDS = 120.0


def start_server(workdir: Path) -> tuple[subprocess.Popen, int]:
    """Start ``talentflow serve`` in a process group of its own, so that :func:`stop_server` ends
    gunicorn and its workers together whatever happened, and wait until it answers."""
    env = dict(os.environ, TALENTFLOW_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
               TALENTFLOW_INSTANCE_PATH=str(workdir / "instance"))
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*cli, "users", "add", "bench", "--password", "bench-password", "--role", "admin"],
                   env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    with open(workdir / "server.log", "w") as log:
        server = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "1", "--threads", "4"],
                                  env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}", workdir / "server.log")
    except BaseException:
        stop_server(server)
        raise
    return server, port


def wait_until_serving(server: subprocess.Popen, base: str, log: Path) -> None:
    """Every request error (refused, reset, read timeout) is transient until the deadline; the
    server exiting is not."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with status {server.returncode}: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=10).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server did not answer /healthz within {READY_SECONDS:.0f} s: {log.read_text()[-2000:]}")


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever of it is left."""
    for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, None)):
        try:
            os.killpg(server.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            server.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through main's finally, which stops the server


def main() -> None:
    # Stopped by SIGTERM or Ctrl-C (even when started from a shell that ignores SIGINT in background
    # jobs), the bench still stops its server.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="cases per variant")
    args = parser.parse_args()

    spec, subs = parse_spec()
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    with tempfile.TemporaryDirectory() as tmp:
        server, port = start_server(Path(tmp))
        try:
            base = f"http://127.0.0.1:{port}"
            token = requests.post(f"{base}/api/v1/auth/token",
                                  json={"username": "bench", "password": "bench-password"},
                                  timeout=READY_SECONDS).json()["token"]
            with open(BPMN, "rb") as fh:
                requests.post(f"{base}/api/v1/processes", files={"file": fh}, timeout=READY_SECONDS,
                              headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            client = Client("127.0.0.1", port)
            client.headers["Authorization"] = f"Bearer {token}"
            for _ in range(5):  # warm-up: caches, connection
                run_memory(spec, subs), run_serialized(spec, subs, serializer), run_http(client)
                run_floor(client), run_saved(spec, subs)
            times: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": [], "e": []}
            for _ in range(args.n):
                for key, call in (("a", lambda: run_memory(spec, subs)),
                                  ("b", lambda: run_serialized(spec, subs, serializer)),
                                  ("c", lambda: run_http(client)),
                                  ("d", lambda: run_floor(client)),
                                  ("e", lambda: run_saved(spec, subs))):
                    started = time.perf_counter()
                    call()
                    times[key].append(time.perf_counter() - started)
        finally:
            stop_server(server)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    print(f"cases per variant: {args.n}")
    print(f"(a) raw SpiffWorkflow in memory:            {med['a']:8.2f} ms/case")
    print(f"(b) raw SpiffWorkflow + JSON save/load:     {med['b']:8.2f} ms/case")
    print(f"(c) talentflow HTTP API + SQLite:           {med['c']:8.2f} ms/case")
    print(f"(d) the same requests doing nothing:        {med['d']:8.2f} ms/case")
    print(f"(e) SpiffWorkflow + talentflow's save only: {med['e']:8.2f} ms/case")
    print(f"(c)/(a) = {med['c'] / med['a']:.2f}")
    print(f"(c-d)/(b) = {(med['c'] - med['d']) / med['b']:.2f}   (the ratio if HTTP cost nothing)")
    floor = (med["d"] + med["e"]) / med["b"]
    print(f"floor_ratio={floor:.2f}   (c/b if talentflow's own work, SQL included, cost nothing)")
    print(f"overhead_ratio={med['c'] / med['b']:.2f}")


if __name__ == "__main__":
    main()
