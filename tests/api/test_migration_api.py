"""``POST /api/v1/migrations/dry-run`` and ``POST /api/v1/migrations``, and ``talentflow migrate``:
JSON in, a report per case out; admin only; bad input changes nothing."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from api.cli import main
from tests.api.support import case_row, error_of, events, unchanged
from tests.engine.cases.migration_cases import ask_supplement, deploy_v2, nominate

API = "/api/v1"


def test_the_dry_run_and_the_migration_answer_a_report_per_case(auth, store, service):
    moving, staying = nominate(service, store, 2)
    ask_supplement(service, store, staying)
    deploy_v2(store)
    body = {"process": "talent_nomination", "from_version": 1, "to_version": 2}
    with unchanged(store):
        response = auth.as_("admin").post(f"{API}/migrations/dry-run", json=body)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["dry_run"] is True and report["to"]["version"] == 2
    assert report["counts"] == {"can_migrate": 1, "migrated": 0, "refused": 1}
    lines = {c["case_id"]: c for c in report["cases"]}
    assert [(m["element_id"], m["to_element_id"]) for m in lines[moving]["mapped"] if m["human"]] == \
        [("verify_dossier", "verify_dossier")]
    assert lines[staying]["code"] == "no_counterpart"
    assert [m["element_id"] for m in lines[staying]["removed"] if m["human"]] == ["supplement_dossier"]

    versions = {str(c["case_id"]): c["version"] for c in report["cases"]}
    response = auth.as_("admin").post(f"{API}/migrations", json={**body, "expected_versions": versions})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["counts"] == {"can_migrate": 0, "migrated": 1, "refused": 1}
    [moved] = events(store, moving, "case_migrated")
    assert (moved.data["from"]["version"], moved.data["to"]["version"], moved.actor) == (1, 2, "admin")
    assert events(store, staying, "case_migrated") == []
    history = auth.as_("auditor").get(f"{API}/cases/{moving}/history").get_json()
    assert "case_migrated" in [e["type"] for e in history]
    replay = auth.as_("auditor").post(f"{API}/cases/{moving}/replay").get_json()
    assert replay["consistent"] is True, replay


@pytest.mark.parametrize("user", ["hr", "auditor", "nominator"])
def test_only_an_admin_may_move_cases(auth, store, service, user):
    nominate(service, store, 1)
    deploy_v2(store)
    with unchanged(store):
        for path in ("migrations/dry-run", "migrations"):
            error_of(auth.as_(user).post(f"{API}/{path}", json={"process": "talent_nomination", "to_version": 2}),
                     403)


@pytest.mark.parametrize("body, status", [
    ({"process": "talent_nomination"}, 422),
    ({"process": "talent_nomination", "to_version": "2"}, 422),
    ({"process": "talent_nomination", "to_version": 2, "status": ["completed"]}, 422),
    ({"process": "talent_nomination", "to_version": 1, "from_version": 1}, 422),
    ({"process": "talent_nomination", "to_version": 9}, 404),
    ({"process": "no_such_process", "to_version": 1}, 404),
    ({"process": "talent_nomination", "to_version": 2, "case_ids": [987654]}, 404),
    ({"process": "talent_nomination", "to_version": 2, "expected_versions": {"x": 1}}, 422),
])
def test_bad_input_is_refused_and_changes_nothing(auth, store, service, body, status):
    nominate(service, store, 1)
    deploy_v2(store)
    with unchanged(store):
        error_of(auth.as_("admin").post(f"{API}/migrations", json=body), status)


def test_the_openapi_document_describes_both_operations(auth):
    paths = auth.as_("admin").get(f"{API}/openapi.json").get_json()["paths"]
    assert {"/migrations/dry-run", "/migrations"} <= {p.removeprefix("/api/v1") for p in paths}
    operation = next(v for k, v in paths.items() if k.endswith("/migrations"))["post"]
    assert "MigrationReport" in str(operation["responses"]["200"]) and "MigrationIn" in str(operation)


def test_talentflow_migrate_prints_a_table_and_moves_the_cases(app, store, service, database_url, monkeypatch):
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    moving, staying = nominate(service, store, 2)
    ask_supplement(service, store, staying)
    deploy_v2(store)
    runner = CliRunner()
    with unchanged(store):
        dry = runner.invoke(main, ["migrate", "--process", "talent_nomination", "--from", "1", "--to", "2",
                                   "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: talent_nomination -> version 2" in dry.output
    assert "verify_dossier -> verify_dossier" in dry.output and "supplement_dossier -> (none)" in dry.output
    assert "0 migrated, 1 can migrate, 1 refused" in dry.output
    done = runner.invoke(main, ["migrate", "--process", "talent_nomination", "--from", "1", "--to", "2",
                                "--case", str(moving)])
    assert done.exit_code == 0, done.output
    assert "1 migrated, 0 can migrate, 0 refused" in done.output
    assert case_row(store, moving).definition_id != case_row(store, staying).definition_id
    refused = runner.invoke(main, ["migrate", "--process", "talent_nomination", "--to", "2", "--case", str(staying)])
    assert refused.exit_code == 1 and "supplement_dossier -> (none)" in refused.output
    bad = runner.invoke(main, ["migrate", "--process", "talent_nomination", "--to", "5"])
    assert bad.exit_code == 2 and "has no version 5" in bad.output
