"""Files and comments on a case: kept by hash, known by content, events on the chain, seen as the
data they belong to."""
from __future__ import annotations

import io
import os
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from api.cli import main
from engine.store.models import CaseFile, Event
from tests.api.support import API, count, error_of, events, unchanged
from tests.engine.files import samples
from tests.helpers import complete, in_threads, ready_task, start_training


def upload(auth, user, case_id, content, name="ho_so.pdf", note=None, task_id=None,  # type: ignore[no-untyped-def]
           content_type="application/pdf"):
    form = {"file": (io.BytesIO(content), name, content_type)}
    if note is not None:
        form["note"] = note
    if task_id is not None:
        form["task_id"] = task_id
    return auth.as_(user).post(f"{API}/cases/{case_id}/files", data=form, content_type="multipart/form-data")


def attached(auth, user, case_id, content, name="ho_so.pdf", **kwargs):  # type: ignore[no-untyped-def]
    response = upload(auth, user, case_id, content, name, **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def kept(app):  # type: ignore[no-untyped-def]
    root = app.extensions["talentflow"].files.storage.root
    return sorted(p for p in root.rglob("*") if p.is_file() and "incoming" not in p.parts)


def nothing_incoming(app) -> bool:  # type: ignore[no-untyped-def]
    incoming = app.extensions["talentflow"].files.storage.root / "incoming"
    return not incoming.exists() or not any(incoming.iterdir())


def verify(auth):  # type: ignore[no-untyped-def]
    response = auth.as_("auditor").get(f"{API}/audit/verify")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def case(auth):  # type: ignore[no-untyped-def]
    """A training nomination waiting for its mentor (expert1)."""
    return start_training(auth)


# --------------------------------------------------------------------------- kinds and storage
def test_every_accepted_kind_is_kept_by_its_hash_whatever_its_name_and_content_type(app, auth, case):
    for kind, make in samples.ACCEPTED.items():
        content = make()
        file = attached(auth, "hr", case["id"], content, name=f"tai_lieu_{kind}.bin",
                        content_type="text/html")
        assert file["kind"] == kind and file["size"] == len(content)
        assert file["name"].startswith(f"tai_lieu_{kind}.bin.")
    listed = auth.as_("hr").get(f"{API}/cases/{case['id']}/files").get_json()
    assert [f["kind"] for f in listed] == list(samples.ACCEPTED)
    assert len(kept(app)) == 5
    assert {p.name for p in kept(app)} == {f["sha256"] for f in listed}


def test_the_same_content_twice_is_one_file_and_two_attachments(app, auth, case):
    first = attached(auth, "hr", case["id"], samples.pdf(), "a.pdf")
    second = attached(auth, "expert1", case["id"], samples.pdf(), "b.pdf")
    assert first["sha256"] == second["sha256"] and first["id"] != second["id"]
    assert len(kept(app)) == 1
    assert [e.data["name"] for e in events(app.extensions["talentflow"].store, case["id"], "file_attached")] == \
        ["a.pdf", "b.pdf"]


@pytest.mark.parametrize("what", sorted(samples.DISGUISED) + ["zip bomb"])
def test_disguised_or_foreign_content_is_refused_and_nothing_is_kept(app, auth, store, case, what):
    name, content = samples.DISGUISED[what] if what in samples.DISGUISED else ("de_an.docx", samples.zip_bomb())
    with unchanged(store):
        error = error_of(upload(auth, "hr", case["id"], content, name), 422, "unsupported_file_type")
    assert "PDF, Word (.docx), Excel (.xlsx), JPEG or PNG" in error["message"] and "file" in error["details"]
    assert kept(app) == [] and nothing_incoming(app) and count(store, CaseFile) == 0


def test_a_file_over_the_limit_is_refused_413_and_nothing_is_kept(app, auth, store, case):
    app.config["MAX_FILE_BYTES"] = 4096
    app.extensions["talentflow"].files.storage.max_bytes = 4096
    with unchanged(store):
        error_of(upload(auth, "hr", case["id"], samples.pdf() + b"x" * 5000), 413, "too_large")  # by the store
        error_of(upload(auth, "hr", case["id"], samples.pdf() + b"x" * 200_000), 413, "too_large")  # by the request
    assert kept(app) == [] and nothing_incoming(app) and count(store, CaseFile) == 0
    assert attached(auth, "hr", case["id"], samples.pdf() + b"x" * 3000)["size"] <= 4096


def test_a_file_larger_than_any_json_body_may_be_uploaded(app, auth, case):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    big = samples.pdf() + b"%" + b"x" * (3 * 1024 * 1024)
    assert attached(auth, "hr", case["id"], big)["size"] == len(big)
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/comments", json={"text": "x" * (2 * 1024 * 1024)}),
             413, "too_large")  # the rest of the API keeps its limit


def test_a_request_without_a_file_is_refused(auth, store, case):
    with unchanged(store):
        error = error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/files", data={"note": "x"},
                                             content_type="multipart/form-data"), 422, "validation_error")
    assert error["details"] == {"file": ["required"]}


# --------------------------------------------------------------------------------- downloads
def test_a_download_is_an_attachment_with_its_name_and_detected_type_never_sniffed(auth, case):
    name = "Quyết định công nhận (bản ký).pdf"
    file = attached(auth, "hr", case["id"], samples.pdf(), name, content_type="text/html")
    response = auth.as_("head_khcn").get(f"{API}/cases/{case['id']}/files/{file['id']}")
    assert response.status_code == 200
    assert response.data == samples.pdf()
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    assert 'filename="Quyet dinh cong nhan (ban ky).pdf"' in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]


def test_a_name_with_folders_is_kept_without_them(auth, case):
    file = attached(auth, "hr", case["id"], samples.png(), "../../../etc/ảnh thẻ.png")
    assert file["name"] == "ảnh thẻ.png"


# ------------------------------------------------------------------------- events and verify
def test_attach_comment_and_remove_are_events_on_the_chain_and_it_verifies(app, auth, store, case):
    file = attached(auth, "expert1", case["id"], samples.docx(), "Đề án.docx", note="bản cuối")
    said = auth.as_("hr").post(f"{API}/cases/{case['id']}/comments", json={"text": "Đã nhận hồ sơ."})
    assert said.status_code == 201 and said.get_json()["actor"] == "hr"
    removed = auth.as_("hr").post(f"{API}/cases/{case['id']}/files/{file['id']}/remove",
                                  json={"reason": "Nộp nhầm bản"})
    assert removed.status_code == 200 and removed.get_json()["removed_reason"] == "Nộp nhầm bản"

    history = auth.as_("hr").get(f"{API}/cases/{case['id']}/history").get_json()
    mine = [e for e in history if e["type"] in ("file_attached", "comment_added", "file_removed")]
    assert [e["type"] for e in mine] == ["file_attached", "comment_added", "file_removed"]
    assert mine[0]["data"] == {"file_id": file["id"], "sha256": file["sha256"], "name": "Đề án.docx",
                               "size": file["size"], "kind": "docx", "note": "bản cuối"}
    assert mine[2]["data"]["reason"] == "Nộp nhầm bản" and mine[2]["data"]["sha256"] == file["sha256"]
    assert mine[0]["seq"] == file["event_seq"]
    assert auth.as_("hr").get(f"{API}/cases/{case['id']}/comments").get_json() == [
        {"seq": mine[1]["seq"], "actor": "hr", "at": mine[1]["at"], "text": "Đã nhận hồ sơ."}]

    assert auth.as_("hr").get(f"{API}/cases/{case['id']}/files").get_json() == []  # no longer listed
    error_of(auth.as_("hr").get(f"{API}/cases/{case['id']}/files/{file['id']}"), 404)
    assert auth.as_("auditor").get(f"{API}/cases/{case['id']}/files/{file['id']}").data == samples.docx()
    assert len(kept(app)) == 1  # the chain names the content: it stays
    error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/files/{file['id']}/remove", json={"reason": "x"}),
             409, "already_removed")

    report = verify(auth)
    assert report["ok"] and report["files"] == 1, report
    replayed = auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()
    assert replayed["consistent"] and replayed["side_effects"] == [], replayed
    complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
             {"recommendation": "support", "mentor_comment": "Đủ năng lực"})  # the case steps on as before
    assert auth.as_("auditor").post(f"{API}/cases/{case['id']}/replay").get_json()["consistent"]


def test_a_removal_needs_a_reason_and_the_right_person(auth, store, case):
    file = attached(auth, "hr", case["id"], samples.pdf())
    with unchanged(store):
        error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/files/{file['id']}/remove", json={}), 422)
        error_of(auth.as_("hr").delete(f"{API}/cases/{case['id']}/files/{file['id']}", json={"reason": ""}), 422)
        error_of(auth.as_("expert1").post(f"{API}/cases/{case['id']}/files/{file['id']}/remove",
                                          json={"reason": "không phải của tôi"}), 403, "forbidden")
        error_of(auth.as_("nobody").delete(f"{API}/cases/{case['id']}/files/{file['id']}",
                                           json={"reason": "x"}), 404)
    own = attached(auth, "expert1", case["id"], samples.png(), "anh.png")
    gone = auth.as_("expert1").delete(f"{API}/cases/{case['id']}/files/{own['id']}", json={"reason": "nhầm"})
    assert gone.status_code == 200, gone.get_json()


def test_content_changed_or_lost_on_disk_is_reported_with_its_case_and_event(app, auth, store, case):
    file = attached(auth, "hr", case["id"], samples.pdf(), "Biên bản.pdf")
    other = attached(auth, "hr", case["id"], samples.png(), "ảnh.png")
    path = app.extensions["talentflow"].files.storage.path_of(file["sha256"])
    os.chmod(path, 0o640)
    path.write_bytes(samples.pdf("sửa sau khi nộp".encode().hex()))
    app.extensions["talentflow"].files.storage.path_of(other["sha256"]).unlink()

    report = verify(auth)
    assert not report["ok"]
    with store.read() as session:
        ids = dict(session.execute(select(Event.seq, Event.id).where(Event.case_id == case["id"])).all())
    problems = {b["problem"]: b for b in report["breaks"]}
    assert set(problems) == {"file_changed", "file_missing"}
    changed = problems["file_changed"]
    assert (changed["case_id"], changed["seq"]) == (case["id"], file["event_seq"])
    assert changed["details"] == {"event_id": ids[file["event_seq"]], "file_id": file["id"],
                                  "sha256": file["sha256"], "name": "Biên bản.pdf"}
    assert problems["file_missing"]["details"]["event_id"] == ids[other["event_seq"]]
    error_of(auth.as_("hr").get(f"{API}/cases/{case['id']}/files/{other['id']}"), 404, "content_missing")


def test_the_operators_verify_audit_names_a_changed_file_and_exits_1(app, auth, database_url, monkeypatch, case):
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TALENTFLOW_FILES_DIR", str(app.extensions["talentflow"].files.storage.root))
    monkeypatch.setenv("TALENTFLOW_SECRET_KEY", "the-server-key-of-these-tests")
    file = attached(auth, "hr", case["id"], samples.xlsx(), "Bảng điểm.xlsx")
    result = CliRunner().invoke(main, ["verify-audit"])
    assert result.exit_code == 0 and "1 files verified" in result.output, result.output
    path = app.extensions["talentflow"].files.storage.path_of(file["sha256"])
    os.chmod(path, 0o640)
    path.write_bytes(samples.xlsx()[:-10])
    result = CliRunner().invoke(main, ["verify-audit"])
    assert result.exit_code == 1, result.output
    assert f"FILE case {case['id']} event " in result.output and "file_changed" in result.output
    assert "Bảng điểm.xlsx" in result.output


# ---------------------------------------------------------------------------------- who may
def test_who_may_not_see_the_case_gets_404_for_its_files_and_comments(auth, store, case):
    file = attached(auth, "hr", case["id"], samples.pdf())
    for user in ("nobody", "head_gddt"):
        with unchanged(store):
            error_of(auth.as_(user).get(f"{API}/cases/{case['id']}/files"), 404)
            error_of(auth.as_(user).get(f"{API}/cases/{case['id']}/files/{file['id']}"), 404)
            error_of(auth.as_(user).get(f"{API}/cases/{case['id']}/comments"), 404)
            error_of(upload(auth, user, case["id"], samples.pdf()), 404)
            error_of(auth.as_(user).post(f"{API}/cases/{case['id']}/comments", json={"text": "xin chào"}), 404)
    error_of(upload(auth, "hr", 999_999, samples.pdf()), 404)
    error_of(auth.as_("hr").get(f"{API}/cases/{case['id']}/files/999999"), 404)


def test_only_managers_and_holders_of_an_open_task_may_add(auth, store, case):
    for user in ("auditor", "head_khcn"):  # they see the case, but hold no open task on it
        assert auth.as_(user).get(f"{API}/cases/{case['id']}/files").status_code == 200
        with unchanged(store):
            error_of(upload(auth, user, case["id"], samples.pdf()), 403, "forbidden")
            error_of(auth.as_(user).post(f"{API}/cases/{case['id']}/comments", json={"text": "x"}), 403)
    attached(auth, "expert1", case["id"], samples.pdf())  # the mentor's task is open
    after = complete(auth, "expert1", ready_task(case, "mentor_assessment")["id"],
                     {"recommendation": "support", "mentor_comment": "Đủ năng lực"})
    with unchanged(store):
        error_of(upload(auth, "expert1", case["id"], samples.png()), 403)  # not any more
    assert ready_task(after, "unit_head_approval")
    attached(auth, "head_khcn", case["id"], samples.png())  # the unit head's task is open now


def test_a_file_for_a_task_is_attached_by_whoever_may_do_it(auth, store, case):
    task = ready_task(case, "mentor_assessment")
    with unchanged(store):
        error_of(upload(auth, "hr", case["id"], samples.pdf(), task_id=task["id"]), 403)
        error_of(upload(auth, "expert1", case["id"], samples.pdf(),
                        task_id="00000000-0000-0000-0000-000000000000"), 404)
    file = attached(auth, "expert1", case["id"], samples.pdf(), task_id=task["id"])
    assert file["task_id"] == task["id"]
    assert [e.task_id for e in events(store, case["id"], "file_attached")] == [task["id"]]


def test_comments_must_say_something(auth, store, case):
    with unchanged(store):
        for body in ({}, {"text": ""}, {"text": "x" * 4001}, {"text": 5}):
            error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/comments", json=body), 422)
        error_of(auth.as_("hr").post(f"{API}/cases/{case['id']}/comments", json={"text": "   "}), 422)


# ------------------------------------------------------------------------------- concurrency
def test_attaches_at_once_lose_no_event(app, auth, store, case):
    headers = auth.headers("hr")
    contents = {f"f{i}": samples.pdf(f"ban {i}") for i in range(4)}

    def attach(name: str):  # type: ignore[no-untyped-def]
        client = app.test_client()
        return client.post(f"{API}/cases/{case['id']}/files", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(contents[name]), f"{name}.pdf")})

    answers = in_threads({name: (lambda name=name: attach(name)) for name in contents})
    assert sorted(r.status_code for r in answers.values()) == [201] * 4, [r.get_json() for r in answers.values()]
    recorded = events(store, case["id"], "file_attached")
    assert sorted(e.data["name"] for e in recorded) == [f"{n}.pdf" for n in sorted(contents)]
    assert len({e.seq for e in recorded}) == 4
    assert verify(auth)["ok"]
