"""The programme's rule values: defaults in code, changes in a TOML file checked before anything runs."""
from __future__ import annotations

import sqlite3
from typing import Iterator

import pytest
from click.testing import CliRunner

from api import create_app
from api.cli import main
from workflows import settings
from workflows.settings import RulesFileError


@pytest.fixture
def a_setting() -> Iterator[None]:
    """A setting of a made-up process, gone again after the test (as are the values in force)."""
    settings.declare("sample_process", "answer_working_days", 5, "days to answer", minimum=1, maximum=30)
    previous = settings.use({})
    yield
    settings.use(previous)
    del settings.DECLARED[("sample_process", "answer_working_days")]


def test_a_setting_has_its_default_until_a_rules_file_changes_it(a_setting, tmp_path):
    assert settings.value("sample_process", "answer_working_days") == 5
    path = tmp_path / "rules.toml"
    path.write_text("[sample_process]\nanswer_working_days = 12\n")
    settings.configure(path)
    assert settings.values("sample_process") == {"answer_working_days": 12}
    settings.configure(None)
    assert settings.value("sample_process", "answer_working_days") == 5


@pytest.mark.parametrize("text, message", [
    ("[sample_process]\nanswer_workingdays = 3\n",
     "sample_process.answer_workingdays: no such setting; settings of sample_process: answer_working_days"),
    ("[sample_proces]\nanswer_working_days = 3\n", "sample_proces.answer_working_days: no such setting"),
    ("[sample_process]\nanswer_working_days = 0\n", "sample_process.answer_working_days: 0 is outside 1..30"),
    ("[sample_process]\nanswer_working_days = 31\n", "outside 1..30"),
    ("[sample_process]\nanswer_working_days = 2.5\n", "2.5 is not a whole number"),
    ("[sample_process]\nanswer_working_days = true\n", "True is not a whole number"),
    ("[sample_process]\nanswer_working_days = \"7\"\n", "'7' is not a whole number"),
    ("sample_process = 3\n", "expected a table [sample_process]"),
    ("[sample_process\n", "is not valid TOML"),
])
def test_a_mistake_in_the_rules_file_is_named_and_changes_nothing(a_setting, tmp_path, text, message):
    settings.use({("sample_process", "answer_working_days"): 9})
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(RulesFileError) as raised:
        settings.configure(path)
    assert message in str(raised.value)
    assert settings.value("sample_process", "answer_working_days") == 9


def test_a_missing_rules_file_is_named(tmp_path):
    with pytest.raises(RulesFileError, match="cannot read .*nowhere.toml"):
        settings.configure(tmp_path / "nowhere.toml")


def test_a_declared_default_outside_its_own_bounds_is_a_programming_error():
    with pytest.raises(ValueError, match="outside 1..10"):
        settings.declare("sample_process", "too_long", 11, "never", maximum=10)
    assert ("sample_process", "too_long") not in settings.DECLARED


def test_the_server_and_every_command_refuse_to_start_on_a_bad_rules_file(a_setting, tmp_path, database_url,
                                                                             monkeypatch):
    path = tmp_path / "rules.toml"
    path.write_text("[sample_process]\nanswer_working_days = -3\n")
    with pytest.raises(SystemExit, match="TALENTFLOW_RULES_FILE: sample_process.answer_working_days: -3"):
        create_app({"DATABASE_URL": database_url, "RULES_FILE": str(path)})
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TALENTFLOW_RULES_FILE", str(path))
    result = CliRunner().invoke(main, ["retry", "1"])
    assert result.exit_code == 2
    assert "error: TALENTFLOW_RULES_FILE: sample_process.answer_working_days: -3 is outside 1..30" in result.output


def test_the_server_runs_new_cases_under_the_rules_file(a_setting, tmp_path, database_url):
    path = tmp_path / "rules.toml"
    path.write_text("[sample_process]\nanswer_working_days = 21\n")
    app = create_app({"DATABASE_URL": database_url, "RULES_FILE": str(path)})
    app.extensions["talentflow"].store.dispose()
    assert settings.value("sample_process", "answer_working_days") == 21


def test_db_upgrade_on_a_bad_rules_file_changes_no_database(a_setting, tmp_path, monkeypatch):
    path = tmp_path / "rules.toml"
    path.write_text("[sample_process]\nanswer_working_days = 0\n")
    database = tmp_path / "talentflow.db"
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("TALENTFLOW_RULES_FILE", str(path))
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 2 and "sample_process.answer_working_days: 0 is outside 1..30" in result.output
    assert not database.exists() or sqlite3.connect(database).execute(
        "select count(*) from sqlite_master where type = 'table'").fetchone() == (0,)
