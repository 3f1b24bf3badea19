"""Restoring an older backup loses what happened since; a checkpoint exported before says what.

The restored database is consistent in itself (its chains, its case rows and its stored
checkpoints are all from the moment of the backup), so ``verify-audit`` alone finds nothing: a
checkpoint file kept outside the database, taken after the backup, names every chain the restore
cut short and the events it lost. Backups as docs/operations.md says: SQLite's online backup
(the ``.backup`` of the sqlite3 shell), ``pg_dump -Fc`` / ``pg_restore --clean`` on PostgreSQL.
"""
from __future__ import annotations

import glob
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import make_url

from api.cli import main
from tests.api.support import events
from tests.helpers import ready_task, start_training

KEY = "the-server-key-of-the-restore-test"


def _pg_tool(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin)")
    return found[-1]


def _libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def back_up(database_url: str, to: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as live, sqlite3.connect(to) as copy:
            live.backup(copy)  # what `sqlite3 talentflow.db ".backup FILE"` does
        return
    subprocess.run([_pg_tool("pg_dump"), "-Fc", "-f", str(to), _libpq_url(database_url)], check=True,
                   capture_output=True)


def restore(database_url: str, backup: Path) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(backup) as copy, sqlite3.connect(url.database) as live:
            copy.backup(live)  # what `sqlite3 talentflow.db ".restore FILE"` does
        return
    subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction",
                    "-d", _libpq_url(database_url), str(backup)], check=True, capture_output=True)


def test_verify_audit_with_a_checkpoint_names_the_events_an_older_backup_lost(app, auth, store, database_url,
                                                                             tmp_path, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TALENTFLOW_SECRET_KEY", KEY)
    cli = CliRunner()
    kept = start_training(auth)
    before = len(events(store, kept["id"]))
    backup = tmp_path / "backup.dump"
    back_up(database_url, backup)

    task = ready_task(kept, "mentor_assessment")  # after the backup: one more event in the kept case ...
    assert auth.as_("expert1").post(f"/api/v1/tasks/{task['id']}/claim").status_code == 200
    after = len(events(store, kept["id"]))
    gone = start_training(auth)  # ... and a case the backup never saw
    gone_events = len(events(store, gone["id"]))
    exported = tmp_path / "checkpoint.json"
    taken = cli.invoke(main, ["checkpoint", "--export", str(exported)])
    assert taken.exit_code == 0, taken.output

    store.dispose()  # the service is stopped while its database is restored
    restore(database_url, backup)

    alone = cli.invoke(main, ["verify-audit"])
    assert alone.exit_code == 0, alone.output  # the restored database agrees with itself
    result = cli.invoke(main, ["verify-audit", "--checkpoint", str(exported)])
    assert result.exit_code == 1, result.output
    lost = f"lost events {before + 1}-{after}" if after > before + 1 else f"lost event {before + 1}"
    assert f"BROKEN case {kept['id']} seq {before + 1}: truncated" in result.output, result.output
    assert lost in result.output.split(f"BROKEN case {kept['id']}")[1].splitlines()[0]
    gone_line = result.output.split(f"BROKEN case {gone['id']}")[1].splitlines()[0]
    assert "none remain" in gone_line and (f"lost events 1-{gone_events}" in gone_line
                                           if gone_events > 1 else "lost event 1" in gone_line), result.output
    assert "FAILED" in result.output
