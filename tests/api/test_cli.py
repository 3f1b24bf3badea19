"""The ``talentflow`` command as an operator uses it, against the test database."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from api.cli import main
from engine.store.models import Case, ChildStart, ProcessDefinition, RoleGrant, User
from tests.conftest import DATA
from tests.engine.cases.test_child_batches import planner  # noqa: F401 (a fixture)
from tests.engine.time.timer_support import actor
from workflows import BPMN_DIR


@pytest.fixture
def cli(app, database_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def count(store, model, *where) -> int:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_users_add_creates_a_user_who_can_log_in_with_unit_scoped_roles(cli, client, store):
    result = cli("users", "add", "head_snv", "--password", "a-long-password", "--role", "unit_head",
                 "--role", "nominator", "--unit", "SKHCN", "--display-name", "Trưởng phòng")
    assert result.exit_code == 0, result.output
    assert "unit_head, nominator" in result.output
    token = client.post("/api/v1/auth/token", json={"username": "head_snv", "password": "a-long-password"})
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token.get_json()['token']}"}).get_json()
    assert me["unit"] == "SKHCN" and me["display_name"] == "Trưởng phòng"
    assert {(g["role"], g["unit"]) for g in me["roles"]} == {("unit_head", "SKHCN"), ("nominator", "SKHCN")}


@pytest.mark.parametrize("args, message", [
    (["admin", "--password", "a-long-password"], "already exists"),
    (["newbie", "--password", "short"], "at least 8"),
    (["newbie", "--password", "a-long-password", "--role", " padded"], "invalid role"),
    (["newbie", "--password", "a-long-password", "--unit", "NOWHERE"], "unknown unit"),
])
def test_users_add_refuses_bad_input_readably_and_adds_nobody(cli, store, args, message):
    before = count(store, User), count(store, RoleGrant)
    result = cli("users", "add", *args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert (count(store, User), count(store, RoleGrant)) == before


def test_users_add_names_every_problem_of_a_new_user_at_once(cli, store):
    """The password is checked (and hashed) by sign-in's own module, the name by the directory; the
    operator still hears of both in one answer."""
    result = cli("users", "add", "bad name!", "--password", "short")
    assert result.exit_code == 2
    assert "'username': ['2-64 letters, digits or _ . @ -']" in result.output
    assert "'password': ['at least 8 characters']" in result.output
    assert count(store, User, User.username == "bad name!") == 0


def test_deploy_makes_a_new_version_only_for_changed_content(cli, store, tmp_path: Path):
    same = cli("deploy", BPMN_DIR / "training_nomination.bpmn")
    assert same.exit_code == 0 and "unchanged, already: training_nomination v1" in same.output
    changed = tmp_path / "training_nomination.bpmn"
    changed.write_text((BPMN_DIR / "training_nomination.bpmn").read_text(encoding="utf-8")
                       .replace('case_outcome = "rejected"', 'case_outcome = "declined"'), encoding="utf-8")
    result = cli("deploy", changed)
    assert result.exit_code == 0 and "deployed: training_nomination v2" in result.output
    assert count(store, ProcessDefinition, ProcessDefinition.key == "training_nomination") == 2


def test_deploy_of_an_invalid_file_names_the_element_and_stores_nothing(cli, store):
    before = count(store, ProcessDefinition)
    result = cli("deploy", DATA / "script_imports.bpmn")
    assert result.exit_code == 2
    assert "nothing was deployed" in result.output
    assert "import of 'os' is not allowed" in result.output
    assert count(store, ProcessDefinition) == before


def test_deploy_of_a_file_with_an_unknown_form_key_warns(cli):
    result = cli("deploy", DATA / "conformance" / "unknown_form_key.bpmn")
    assert result.exit_code == 0 and "deployed: unknown_form_demo v1" in result.output
    assert "warning: unknown_form_key.bpmn fill: unknown form key 'no_such_form_anywhere'" in result.output


def test_deploy_of_a_missing_file_is_a_readable_error(cli):
    result = cli("deploy", "no/such/file.bpmn")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_db_upgrade_is_idempotent_and_reports_the_processes(cli):
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "up to date: training_nomination v1" in result.output


def test_retry_of_a_case_in_error_reruns_it_and_reports(cli, auth, store):
    with open(DATA / "script_fails.bpmn", "rb") as fh:
        assert auth.as_("admin").post("/api/v1/processes", data={"file": (fh, "script_fails.bpmn")}).status_code == 201
    case = auth.as_("admin").post("/api/v1/cases", json={"process": "script_fails", "data": {}}).get_json()
    task = case["tasks"][0]["id"]
    failed = auth.as_("admin").post(f"/api/v1/tasks/{task}/complete", json={"data": {"value": 1}})
    assert failed.status_code == 422 and failed.get_json()["error"]["details"]["element_id"] == "read_secrets"
    result = cli("retry", case["id"])
    assert result.exit_code == 2 and "read_secrets" in result.output  # the script still fails
    with store.read() as session:
        assert session.get(Case, case["id"]).status == "error"
    assert cli("retry", case["id"], "--as", "hr").exit_code == 2  # hr is not an admin


def test_demo_on_a_fresh_database_creates_users_once(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    runner = CliRunner()
    first = runner.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "'users': 13" in first.output and "talentflow-demo" in first.output
    second = runner.invoke(main, ["demo"])
    assert second.exit_code == 0 and "'users': 0" in second.output and "'cases': 0" in second.output


def test_one_server_key_for_every_process_of_an_installation(tmp_path, monkeypatch):
    """Without TALENTFLOW_SECRET_KEY, the first process writes a key the others (and the CLI) read."""
    import stat

    from api import config

    monkeypatch.delenv("TALENTFLOW_SECRET_KEY", raising=False)
    assert config.server_key(tmp_path, create=False) == ""
    key = config.server_key(tmp_path)
    assert len(key) == 64 and config.server_key(tmp_path) == key == config.server_key(tmp_path, create=False)
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setenv("TALENTFLOW_SECRET_KEY", "from-the-environment")
    assert config.server_key(tmp_path) == "from-the-environment"


def test_retry_can_skip_planned_children_that_can_never_start_with_a_reason(cli, store, service, planner,
                                                                             monkeypatch):
    from tests.engine.cases.test_child_batches_with_bugs import StartHookWithABug
    from workflows import POLICIES

    planner("instant_child")
    monkeypatch.setitem(POLICIES, "instant_child", StartHookWithABug())  # child K-003 never starts
    parent_id = service.start(actor(store, "hr"), "fan_out", {})

    blank = cli("retry", parent_id, "--skip-failed-children", "  ")
    assert blank.exit_code == 2 and "reason" in blank.output and "Traceback" not in blank.output
    assert cli("retry", parent_id, "--skip-failed-children", "gone", "--as", "hr").exit_code == 2
    assert count(store, ChildStart, ChildStart.skipped_at.is_not(None)) == 0

    result = cli("retry", parent_id, "--skip-failed-children", "the talent's unit was dissolved")

    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
    assert count(store, ChildStart, ChildStart.skipped_by == "admin") == 1
    with store.read() as session:
        assert session.get(Case, parent_id).status == "completed"  # the other children had all ended


@pytest.mark.parametrize("command", [("retry", "1"), ("verify-audit",), ("replay", "1"), ("users", "deactivate", "expert1")])
def test_a_database_that_cannot_be_reached_is_said_in_one_line_not_a_traceback(monkeypatch, command):
    from tests.waiting import free_port

    # a PostgreSQL URL on a port where nothing listens: the connection is refused at once
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/talentflow")
    result = CliRunner().invoke(main, list(command))

    assert result.exit_code == 2, result.output
    assert "error: the database is unavailable" in result.output and "TALENTFLOW_DATABASE_URL" in result.output
    assert "Traceback" not in result.output
