"""The audit trail through the API and the CLI, as an auditor and an operator use it."""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, update

from api.cli import main
from engine.store.models import Case, Event
from tests.conftest import proposal
from tests.api.support import API, error_of, events, snapshot, unchanged
from tests.helpers import complete, ready_task, start_training

EVENT, CASE = Event.__table__, Case.__table__
KEY = "the-server-key-of-these-tests"


@pytest.fixture
def trained(auth):  # type: ignore[no-untyped-def]
    """A finished training case and one waiting for its mentor."""
    case = start_training(auth)
    case = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
                    {"recommendation": "support", "mentor_comment": "Tốt"})
    case = complete(auth, "head_khcn", ready_task(case, "unit_head_approval")["id"], {"decision": "approve"})
    case = complete(auth, "hr", ready_task(case, "hr_enrolment")["id"],
                    {"class_code": "A1", "class_start": "2026-04-01"})
    case = complete(auth, "head_khcn", ready_task(case, "report_attendance")["id"], {"completed": True})
    return case, start_training(auth)


def tamper(store, *statements):  # type: ignore[no-untyped-def]
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(statement)


# ------------------------------------------------------------------------------------ verify
def test_auditors_and_admins_verify_every_chain_others_may_not(auth, client, trained):
    for user in ("auditor", "admin"):
        report = auth.as_(user).get(f"{API}/audit/verify").get_json()
        assert (report["ok"], report["chains"], report["first_break"], report["breaks"]) == (True, 3, None, [])
    for user in ("hr", "head_khcn", "approver"):
        error_of(auth.as_(user).get(f"{API}/audit/verify"), 403, "forbidden")
    error_of(client.get(f"{API}/audit/verify"), 401, "unauthorized")
    error_of(auth.as_("auditor").get(f"{API}/audit/verify?checkpoint=yesterday"), 422, "validation_error")


def test_verify_names_the_case_and_seq_someone_edited(auth, store, trained):
    case, _ = trained
    tamper(store, update(EVENT).where(EVENT.c.case_id == case["id"], EVENT.c.seq == 4)
           .values(data={"element_id": "unit_head_approval", "data": {"decision": "reject"}}))
    report = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert report["ok"] is False
    assert {k: report["first_break"][k] for k in ("case_id", "seq", "problem")} == \
        {"case_id": case["id"], "seq": 4, "problem": "changed"}


def test_the_latest_checkpoint_is_served_and_used_to_find_a_cut_off_tail(app, auth, store, trained):
    app.config["SECRET_KEY"] = KEY
    error_of(auth.as_("auditor").get(f"{API}/audit/checkpoints/latest"), 404, "not_found")
    error_of(auth.as_("auditor").post(f"{API}/audit/checkpoints"), 403, "forbidden")
    taken = auth.as_("admin").post(f"{API}/audit/checkpoints")
    assert taken.status_code == 201, taken.get_json()
    latest = auth.as_("auditor").get(f"{API}/audit/checkpoints/latest").get_json()
    assert latest == taken.get_json() and latest["format"] == "talentflow-audit-checkpoint/1"
    error_of(auth.as_("hr").get(f"{API}/audit/checkpoints/latest"), 403, "forbidden")

    case, _ = trained
    kept = events(store, case["id"])[:-2]
    tamper(store, delete(EVENT).where(EVENT.c.case_id == case["id"], EVENT.c.seq > len(kept)),
           update(CASE).where(CASE.c.id == case["id"]).values(event_seq=len(kept), last_event_hash=kept[-1].hash))
    assert auth.as_("auditor").get(f"{API}/audit/verify?checkpoint=none").get_json()["ok"] is True
    report = auth.as_("auditor").get(f"{API}/audit/verify").get_json()
    assert report["checkpoint"]["id"] == latest["id"]
    assert [(b["case_id"], b["seq"], b["problem"]) for b in report["breaks"]] == \
        [(case["id"], len(kept) + 1, "truncated")]


# ------------------------------------------------------------------------------ replay, state
def test_an_auditor_replays_any_case_a_participant_may_not(auth, store, trained):
    finished, waiting = trained
    for case in (finished, waiting):
        with unchanged(store):
            response = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert (body["consistent"], body["divergence"], body["events"]) == (True, None, len(events(store, case["id"])))
    history = auth.as_("auditor").get(f"{API}/cases/{finished['id']}/history")
    assert [e["seq"] for e in history.get_json()] == [e.seq for e in events(store, finished["id"])]
    error_of(auth.as_("head_khcn").post(f"{API}/cases/{finished['id']}/replay"), 403, "forbidden")
    error_of(auth.as_("nobody").post(f"{API}/cases/{finished['id']}/replay"), 404, "not_found")
    error_of(auth.as_("auditor").post(f"{API}/cases/999999/replay"), 404, "not_found")


def test_the_state_after_event_n_with_tasks_candidates_and_diagram_elements(auth, store, trained):
    finished, _ = trained
    created = next(e.seq for e in events(store, finished["id"], "task_created"))
    state = auth.as_("auditor").get(f"{API}/cases/{finished['id']}/state?at={created}").get_json()
    assert state["status"] == "running" and state["at"] == created
    [mentor] = state["tasks"]
    assert (mentor["element_id"], mentor["status"], mentor["candidates"]) == \
        ("mentor_assessment", "ready", ["role:mentor"])
    assert state["active_element_ids"] == ["mentor_assessment"]
    assert state["data"]["mentor"] == "expert1" and "recommendation" not in state["data"]
    now = auth.as_("head_khcn").get(f"{API}/cases/{finished['id']}/state").get_json()  # a participant; the end
    assert now["status"] == "trained" and "report_attendance" in now["completed_element_ids"]
    assert "replay_divergence" not in now
    for bad in ("0", "abc", "99999"):
        error_of(auth.as_("auditor").get(f"{API}/cases/{finished['id']}/state?at={bad}"), 422)
    error_of(auth.as_("nobody").get(f"{API}/cases/{finished['id']}/state?at=1"), 404, "not_found")


# -------------------------------------------------------------------------------- no rewrites
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
#: The only writing routes that touch the audit trail: a checkpoint appends; replay and the pages'
#: verify and replay buttons recompute and change nothing (a POST because they are heavy, not cached).
APPENDING = {("POST", "/api/v1/audit/checkpoints"), ("POST", "/api/v1/cases/<int:case_id>/replay"),
             ("POST", "/audit/cases/<int:case_id>/replay"), ("POST", "/audit/verify")}


def test_no_route_changes_or_deletes_events(app, auth, store, trained):
    rules = [(method, re.sub(r"<[^:>]+:", "<", rule.rule).replace("<(max=9223372036854775807)", "<int"))
             for rule in app.url_map.iter_rules() for method in rule.methods & WRITES]
    touching = {(m, r.replace("<case_id>", "<int:case_id>")) for m, r in rules
                if re.search(r"event|history|audit|replay|checkpoint", r)}
    assert touching == APPENDING, touching
    paths = auth.as_("auditor").get(f"{API}/openapi.json").get_json()["paths"]
    for path, operations in paths.items():
        if re.search(r"event|history|audit|replay|checkpoint|state", path):
            assert {m.upper() for m in operations} & WRITES <= {"POST"}, path
    case, _ = trained
    before = snapshot(store)
    for method in ("put", "patch", "delete", "post"):
        response = getattr(auth.as_("admin"), method)(f"{API}/cases/{case['id']}/history", json={"seq": 1})
        assert response.status_code == 405, (method, response.status_code)
    assert snapshot(store) == before


def test_auditors_act_on_no_task_and_start_or_cancel_nothing(auth, store, trained):
    _, waiting = trained
    task = ready_task(waiting, "mentor_assessment")
    with unchanged(store):
        for action, body in (("claim", None), ("release", None), ("complete", {"data": {"recommendation": "support",
                                                                                     "mentor_comment": "x"}})):
            error_of(auth.as_("auditor").post(f"{API}/tasks/{task['id']}/{action}", json=body), 403, "forbidden")
        error_of(auth.as_("auditor").post(f"{API}/cases/{waiting['id']}/cancel", json={"reason": "kiểm tra"}), 403)
        error_of(auth.as_("auditor").post(f"{API}/cases/{waiting['id']}/retry"), 403)
        error_of(auth.as_("auditor").post(f"{API}/cases", json={"process": "training_nomination",
                                                                 "data": proposal()}), 403)


# ------------------------------------------------------------------------------------- CLI
@pytest.fixture
def cli(app, database_url, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TALENTFLOW_SECRET_KEY", KEY)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, [str(a) for a in args])


def test_an_operator_checkpoints_exports_verifies_and_replays(cli, store, trained, tmp_path):
    case, _ = trained
    exported = tmp_path / "checkpoint.json"
    result = cli("checkpoint", "--export", exported)
    assert result.exit_code == 0, result.output
    assert json.loads(exported.read_text())["heads"][str(case["id"])]["seq"] == len(events(store, case["id"]))
    result = cli("verify-audit", "--checkpoint", exported)
    assert result.exit_code == 0 and "ok: 3 chains" in result.output, result.output

    result = cli("replay", case["id"])
    assert result.exit_code == 0 and json.loads(result.output)["consistent"] is True, result.output
    history = tmp_path / "case.json"
    assert cli("export-history", case["id"], "-o", history).exit_code == 0
    assert [e["type"] for e in json.loads(history.read_text())["events"]] == \
        [e.type for e in events(store, case["id"])]

    kept = events(store, case["id"])[:-1]
    tamper(store, delete(EVENT).where(EVENT.c.case_id == case["id"], EVENT.c.seq > len(kept)),
           update(CASE).where(CASE.c.id == case["id"]).values(event_seq=len(kept), last_event_hash=kept[-1].hash))
    for given in ([], ["--checkpoint", exported]):  # the stored checkpoint, or the file kept elsewhere
        result = cli("verify-audit", *given)
        assert result.exit_code == 1, result.output
        assert f"BROKEN case {case['id']} seq {len(kept) + 1}: truncated" in result.output


def test_the_cli_refuses_bad_checkpoints_and_unknown_cases_readably(cli, tmp_path, trained):
    forged = tmp_path / "forged.json"
    assert cli("checkpoint", "--export", forged).exit_code == 0
    content = json.loads(forged.read_text())
    content["heads"][str(trained[0]["id"])]["seq"] += 1
    forged.write_text(json.dumps(content))
    result = cli("verify-audit", "--checkpoint", forged)
    assert result.exit_code == 2 and "do not match its digest" in result.output
    (tmp_path / "junk.json").write_text("{not json")
    assert "cannot read checkpoint" in cli("verify-audit", "--checkpoint", tmp_path / "junk.json").output
    assert "no such file" in cli("verify-audit", "--checkpoint", tmp_path / "missing.json").output
    for command in ("replay", "export-history"):
        result = cli(command, 999999)
        assert result.exit_code == 2 and "case 999999 not found" in result.output
