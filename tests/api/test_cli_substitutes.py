"""``talentflow substitutes set | list | end`` and ``talentflow reassign``: the same audited changes as the API."""
from __future__ import annotations

from datetime import date

from tests.api.support import history, unchanged
from tests.api.test_cli_accounts import cli  # noqa: F401  (the fixture: talentflow on the test database)
from tests.workflows.test_annual_talent_review import assessments, start_review, talent

API = "/api/v1"


def test_an_operator_sets_lists_and_ends_a_substitute(cli, auth, store):  # noqa: F811
    done = cli("substitutes", "set", "head_khcn", "expert1", "--from", "02/03/2026", "--to", "06/03/2026",
               "--reason", "Nghỉ ốm")
    assert done.exit_code == 0, done.output
    assert "expert1 acts for head_khcn from 02/03/2026 to 06/03/2026" in done.output
    number = done.output.split(":")[0].split()[-1]
    listed = cli("substitutes", "list", "--user", "expert1")
    assert listed.output.splitlines() == [f"{number}\texpert1 for head_khcn\t02/03/2026–06/03/2026\tnow"]
    assert auth.as_("expert1").get(f"{API}/substitutes").get_json()["items"][0]["set_by"] == "cli"
    assert cli("substitutes", "end", number).exit_code == 0
    assert cli("substitutes", "list", "--current").output == ""


def test_bad_days_and_refused_substitutes_are_one_line_and_change_nothing(cli, store):  # noqa: F811
    with unchanged(store):
        typo = cli("substitutes", "set", "head_khcn", "expert1", "--from", "31/02/2026", "--to", "06/03/2026")
        assert typo.exit_code == 2 and "“31/02/2026” is not a day" in typo.output
        backwards = cli("substitutes", "set", "head_khcn", "expert1", "--from", "06/03/2026", "--to", "02/03/2026")
        assert backwards.exit_code == 2 and "must not be before the first day" in backwards.output
        lacking = cli("substitutes", "set", "approver", "expert1", "--from", "02/03/2026", "--to", "06/03/2026")
        assert lacking.exit_code == 2 and "approver" in lacking.output


def test_an_operator_gives_a_task_to_another_candidate_with_a_reason(cli, auth, store):  # noqa: F811
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2024, 6, 15))
    [minh] = assessments(auth, "head_qlkh", start_review(auth)["id"])
    with unchanged(store):
        refused = cli("reassign", minh["id"], "--to", "head_gddt", "--reason", "Thay đổi phân công")
        assert refused.exit_code == 2 and "not a candidate" in refused.output
    given = cli("reassign", minh["id"], "--to", "head_qlkh", "--reason", "Thay đổi phân công")
    assert given.exit_code == 0, given.output
    [event] = [e for e in history(auth, "auditor", minh["case_id"]) if e["type"] == "task_reassigned"]
    assert (event["actor"], event["data"]["to"]) == ("cli", "head_qlkh")
