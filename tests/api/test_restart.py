"""Timers survive a restart: stop ``talentflow serve`` with timers falling due, start it again, they fire.

A real gunicorn server (one worker, the timer executor in it) on the real clock,
against the test database.
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from engine.time import clock
from tests.engine.time.timer_support import actor, deploy_test_diagram, fired_count, start_waiting
from tests.waiting import DEADLINE_SECONDS, free_port as _free_port, stop_server, wait_for, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]


class Service:
    """``talentflow serve`` in a subprocess, started and stopped like an operator would."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.env = {**os.environ, "TALENTFLOW_DATABASE_URL": database_url}
        self.port, self.log_path = _free_port(), log
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "a")
        self.process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(self.port),
                                         "--workers", "1"], env=self.env, cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        wait_until_serving(self.base, self.process, self.log_path)

    def stop(self) -> None:
        if self.process is not None:
            stop_server(self.process)
        self.process = None

    def health(self) -> dict:
        return requests.get(f"{self.base}/healthz", timeout=DEADLINE_SECONDS).json()


@pytest.mark.slow
def test_timers_that_fall_due_while_the_service_is_down_fire_when_it_starts_again(database_url, store, service,
                                                                                  tmp_path):
    deploy_test_diagram(store, "timer_soon.bpmn")
    hr, server = actor(store, "hr"), Service(database_url, tmp_path / "server.log")
    server.start()
    try:
        assert server.health()["scheduler"]["this_process"]["running"] is True
        running = start_waiting(service, hr, clock.Clock().now() + timedelta(seconds=1))
        assert wait_for(lambda: fired_count(store, [running]) == 1), server.log_path.read_text()[-2000:]
        server.stop()

        due = clock.Clock().now() + timedelta(milliseconds=500)
        while_down = [start_waiting(service, hr, due) for _ in range(5)]
        assert wait_for(lambda: clock.Clock().now() > due)  # they are due now, on the real clock
        assert fired_count(store, while_down) == 0  # nobody is there to fire them

        server.start()
        assert wait_for(lambda: fired_count(store, while_down) == 5), server.log_path.read_text()[-2000:]
        health = server.health()["scheduler"]
        assert health["overdue_timers"] == 0 and health["last_run"]["at"] is not None
        assert health["this_process"]["fired_total"] >= 5
    finally:
        server.stop()
    assert fired_count(store, [running, *while_down]) == 6
