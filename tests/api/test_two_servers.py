"""Two ``talentflow serve`` side by side on one host: each its own port, instance folder and control
socket, so neither takes over the other's socket nor shares its secret key file."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests

from api.server import control_socket_options
from tests.waiting import DEADLINE_SECONDS, free_port, stop_server, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


def _start(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("TALENTFLOW_SECRET_KEY", "TALENTFLOW_CONTROL_SOCKET")}
    env.update(TALENTFLOW_DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite'}",
               TALENTFLOW_INSTANCE_PATH=str(workdir / "instance"))
    cli = [sys.executable, "-m", "api.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    port = free_port()
    with open(workdir / "server.log", "w") as log:
        process = subprocess.Popen([*cli, "serve", "--port", str(port), "--workers", "1", "--no-scheduler"],
                                   env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return process, f"http://127.0.0.1:{port}"


def test_two_servers_on_one_host_each_keep_their_own_instance_and_control_socket(tmp_path_factory):
    # short directories: a Unix socket path holds at most 107 bytes
    first_dir, second_dir = tmp_path_factory.mktemp("a"), tmp_path_factory.mktemp("b")
    first, first_base = _start(first_dir)
    try:
        second, second_base = _start(second_dir)
        try:
            wait_until_serving(first_base, first, first_dir / "server.log")
            wait_until_serving(second_base, second, second_dir / "server.log")
            for base in (first_base, second_base):
                assert requests.get(f"{base}/healthz", timeout=DEADLINE_SECONDS).json()["status"] == "ok"
                assert requests.get(f"{base}/login", timeout=DEADLINE_SECONDS).status_code == 200
            keys = [(d / "instance" / "secret_key").read_text().strip() for d in (first_dir, second_dir)]
            assert all(keys) and keys[0] != keys[1]
            sockets = [d / "instance" / f"gunicorn-{b.rsplit(':', 1)[1]}.ctl"
                       for d, b in ((first_dir, first_base), (second_dir, second_base))]
            assert all(path.is_socket() for path in sockets), [f.read_text()[-2000:] for f in
                                                                (first_dir / "server.log", second_dir / "server.log")]
        finally:
            stop_server(second)
        # the second one, stopping, removed its own socket and left the first's (and its server) alone
        assert not sockets[1].exists() and sockets[0].is_socket()
        assert requests.get(f"{first_base}/healthz", timeout=DEADLINE_SECONDS).json()["status"] == "ok"
    finally:
        stop_server(first)
    assert not (ROOT / "instance" / f"gunicorn-{first_base.rsplit(':', 1)[1]}.ctl").exists()


def test_the_control_socket_can_be_named_or_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv("TALENTFLOW_CONTROL_SOCKET", "off")
    assert control_socket_options(5000) == {"control_socket_disable": True}
    monkeypatch.setenv("TALENTFLOW_CONTROL_SOCKET", str(tmp_path / "ctl" / "g.ctl"))
    assert control_socket_options(5000) == {"control_socket": str(tmp_path / "ctl" / "g.ctl")}
    assert (tmp_path / "ctl").is_dir()
    monkeypatch.setenv("TALENTFLOW_CONTROL_SOCKET", str(tmp_path / ("x" * 120) / "g.ctl"))
    assert control_socket_options(5000) == {"control_socket_disable": True}  # too long to bind: none
