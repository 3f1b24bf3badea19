"""``talentflow migrate`` with numbers beyond the database's range: a usage error, not a traceback."""
from __future__ import annotations

from click.testing import CliRunner


def test_the_cli_says_a_case_id_beyond_range_is_wrong_instead_of_a_traceback(app, database_url, monkeypatch):
    from api.cli import main
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    for args in (["--to", "2", "--case", "99999999999999999999"], ["--to", "99999999999999999999"],
                 ["--to", "2", "--from", "99999999999999999999"]):
        result = CliRunner().invoke(main, ["migrate", "--process", "talent_nomination", *args])
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert "is not in the range 1<=x<=9223372036854775807" in result.output
