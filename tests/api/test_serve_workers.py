"""``talentflow serve`` without ``--workers``: a few workers on SQLite (one writer at a time), one
per core on PostgreSQL; ``--workers`` always wins."""
from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from api import server
from api.cli import main


def test_sqlite_gets_two_to_four_workers_whatever_the_cores():
    url = "sqlite:////srv/talentflow/talentflow.db"
    assert [server.default_workers(url, cpus) for cpus in (1, 2, 3, 4, 16, 64)] == [2, 2, 3, 4, 4, 4]


def test_postgresql_gets_one_worker_per_core_from_two_up_to_sixteen():
    url = "postgresql+psycopg://talentflow@db/talentflow"
    assert [server.default_workers(url, cpus) for cpus in (1, 2, 8, 16, 64)] == [2, 2, 8, 16, 16]


def test_serve_picks_the_default_for_the_configured_database_unless_told(monkeypatch, tmp_path):
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(server._Gunicorn, "run", lambda self: started.append(self.options))
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.setenv("TALENTFLOW_CONTROL_SOCKET", "off")
    monkeypatch.setattr(server.os, "cpu_count", lambda: 8)
    runner = CliRunner()
    assert runner.invoke(main, ["serve", "--port", "5999"]).exit_code == 0
    assert runner.invoke(main, ["serve", "--port", "5999", "--workers", "7"]).exit_code == 0
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", "postgresql+psycopg://talentflow@db/talentflow")
    assert runner.invoke(main, ["serve", "--port", "5999"]).exit_code == 0
    assert [options["workers"] for options in started] == [4, 7, 8]
