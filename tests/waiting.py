"""Waits that hold on a busy machine: poll until a condition holds or a generous deadline passes.

A loaded machine (other programs keeping every core busy) can take many seconds to start a
server or run a background thread's first pass; a test that gives up on the first timeout or
after a few seconds fails there for no fault of the code. These helpers tolerate every
transient error until the deadline, and fail early only when waiting cannot help any more
(the server process has exited).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

import pytest
import requests

#: Long enough for a server start or a first background run on a machine busy with other work.
DEADLINE_SECONDS = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], seconds: float = DEADLINE_SECONDS, every: float = 0.05) -> bool:
    """Poll ``condition`` until it is true or ``seconds`` have passed; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def wait_until_serving(base: str, process: subprocess.Popen, log: Path | None = None,
                       seconds: float = DEADLINE_SECONDS) -> None:
    """Wait until ``base``/healthz answers 2xx. Any request error (refused, reset, read timeout)
    is transient until the deadline; the server exiting is not, and fails at once with its log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with status {process.returncode}: {_tail(log)}")
        try:
            if requests.get(f"{base}/healthz", timeout=10).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer /healthz within {seconds:.0f} s: {_tail(log)}")


def stop_server(process: subprocess.Popen, seconds: float = 60) -> None:
    """SIGTERM the server's process group (gunicorn and its workers), SIGKILL it if it lingers.

    The server must be started with ``start_new_session=True`` so that its group is its own."""
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process, signal.SIGKILL)  # workers left behind by a master that died
    process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(log: Path | None) -> str:
    return log.read_text(errors="replace")[-3000:] if log is not None and log.is_file() else "(no log)"
