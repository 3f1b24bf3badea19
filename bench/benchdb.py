"""What the scaling benches share: a database of their own, and a real ``talentflow serve``.

:func:`database` yields the URL of a fresh database and removes it afterwards whatever happened:
for SQLite a file in the bench's folder, for PostgreSQL a database created on the server of
``--postgres`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``, trust auth)
under a name of its own and dropped ``WITH (FORCE)`` at the end, so a server still connected
(killed or not) never leaves it behind.

:class:`Server` starts ``talentflow serve`` with its own instance folder in a process group of its
own (so stopping it ends gunicorn and every worker together), waits for ``/healthz`` with a
generous deadline that treats every request error as transient while the process lives, and
stops it with SIGTERM, then SIGKILL. The benches call :func:`stop_on_signals` first, so that
Ctrl-C or SIGTERM unwinds through their ``finally`` blocks.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = os.environ.get("TALENTFLOW_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
#: How long a server may take to answer /healthz: a machine busy with other work starts it slowly.
READY_SECONDS = 180.0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the callers' finally blocks


def stop_on_signals() -> None:
    """SIGTERM and Ctrl-C (even from a shell that ignores SIGINT in background jobs) unwind."""
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)


@contextmanager
def database(kind: str, folder: Path, postgres: str = POSTGRES) -> Iterator[str]:
    """A fresh, empty database of ``kind`` (``sqlite`` or ``postgresql``), removed on the way out."""
    if kind == "sqlite":
        path = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in folder.glob(path.name + "*"):  # the database and its -wal / -shm
                leftover.unlink(missing_ok=True)
        return
    if kind != "postgresql":
        raise SystemExit(f"unknown database kind {kind!r}: sqlite or postgresql")
    base = make_url(postgres)
    name = f"talentflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``talentflow serve`` on a free loopback port, over ``url``, with ``instance`` as its folder."""

    def __init__(self, url: str, instance: Path) -> None:
        self.instance = instance
        instance.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, TALENTFLOW_DATABASE_URL=url, TALENTFLOW_INSTANCE_PATH=str(instance))
        self.process: subprocess.Popen | None = None
        self.port = 0

    def cli(self, *args: str) -> str:
        """Run one ``talentflow`` command on this server's database and instance folder."""
        done = subprocess.run([sys.executable, "-m", "api.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"talentflow {' '.join(args[:2])} failed: {done.stdout[-1000:]}{done.stderr[-2000:]}")
        return done.stdout

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int, threads: int) -> None:
        self.port = free_port()
        log_path = self.instance / "server.log"
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "serve", "--port", str(self.port), "--workers", str(workers),
                 "--threads", str(threads)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited with status {self.process.returncode}: "
                                 f"{log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=10).ok:
                    return
            except requests.RequestException:
                pass  # refused, reset, timed out: not up yet
            time.sleep(0.1)
        raise SystemExit(f"server did not answer /healthz within {READY_SECONDS:.0f} s: "
                         f"{log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM the server's process group, then SIGKILL whatever of it is left (a worker that outlived
        its master included)."""
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, 30.0), (signal.SIGKILL, None)):
            try:
                os.killpg(self.process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        self.process = None
