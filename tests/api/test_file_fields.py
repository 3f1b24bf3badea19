"""A form that asks for a file: upload it for the task, then complete the task naming it.

The nominator answering hr's request for a supplement attaches the scan of the prize certificate
(``supplement_file``); the completion binds the name to the exact file — on this case, for this
task, still listed, of a kind the field takes — and the case data and the chain keep its SHA-256.
"""
from __future__ import annotations

from typing import Any

import pytest
from marshmallow import Schema

import forms
from engine.errors import Invalid
from engine.files import KINDS
from engine.store.models import Event
from tests.api.support import API, count, error_of, events, unchanged
from tests.api.test_files import attached
from tests.engine.files import samples
from tests.helpers import complete, ready_task
from tests.workflows.test_talent_nomination import nominate, verify
from workflows.form_files import bind_files

NOTE = "Gửi bản chụp giấy chứng nhận giải thưởng"


def supplement_requested(auth: Any) -> tuple[int, str]:
    """A nomination hr sent back for a supplement: (case id, the unit head's supplement task)."""
    case = nominate(auth, user="head_khcn")
    case = verify(auth, case, verification_result="needs_supplement", verification_note="Thiếu giấy chứng nhận")
    return case["id"], ready_task(case, "supplement_dossier")["id"]


def submit(auth: Any, task_id: str, file_field: Any, user: str = "head_khcn") -> Any:
    return auth.as_(user).post(f"{API}/tasks/{task_id}/complete",
                               json={"data": {"supplement_note": NOTE, "supplement_file": file_field}})


def test_a_file_uploaded_for_the_task_is_named_in_its_data_and_on_the_chain(auth, store):
    case_id, task_id = supplement_requested(auth)
    certificate = attached(auth, "head_khcn", case_id, samples.pdf("Giay chung nhan giai Nhat"),
                           "Giấy chứng nhận giải Nhất.pdf", task_id=task_id)

    case = complete(auth, "head_khcn", task_id, {"supplement_note": NOTE,
                                                 "supplement_file": {"file_id": certificate["id"]}})

    reference = {"file_id": certificate["id"], "sha256": certificate["sha256"],
                 "name": "Giấy chứng nhận giải Nhất.pdf", "kind": "pdf", "size": certificate["size"]}
    assert [t["element_id"] for t in case["tasks"]] == ["verify_dossier"]
    assert auth.as_("hr").get(f"{API}/cases/{case_id}").get_json()["data"]["supplement_file"] == reference
    [done] = [e for e in events(store, case_id, "task_completed") if e.task_id == task_id]
    assert done.data["data"]["supplement_file"] == reference  # the hash chain names the exact content
    listed = auth.as_("hr").get(f"{API}/cases/{case_id}/files").get_json()  # hr sees it: it is in the data
    assert [f["id"] for f in listed] == [certificate["id"]]
    replay = auth.as_("auditor").post(f"{API}/cases/{case_id}/replay").get_json()
    assert replay["consistent"] is True, replay


def test_the_file_field_is_optional_so_a_supplement_without_a_file_completes_as_before(auth):
    _case_id, task_id = supplement_requested(auth)
    case = complete(auth, "head_khcn", task_id, {"supplement_note": NOTE, "supplement_evidence": ["BS-01"]})
    assert "supplement_file" not in case["data"]


def test_every_bad_reference_is_refused_naming_the_field_and_nothing_changes(auth, store):
    case_id, task_id = supplement_requested(auth)
    other_case_id, other_task_id = supplement_requested(auth)
    elsewhere = attached(auth, "head_khcn", other_case_id, samples.pdf("other"), task_id=other_task_id)
    on_the_case = attached(auth, "head_khcn", case_id, samples.pdf("case file"))  # for the case, not the task
    word = attached(auth, "head_khcn", case_id, samples.docx("Bản khai"), "Bản khai.docx", task_id=task_id)
    removed = attached(auth, "head_khcn", case_id, samples.png(), "scan.png", task_id=task_id)
    assert auth.as_("head_khcn").post(f"{API}/cases/{case_id}/files/{removed['id']}/remove",
                                      json={"reason": "nhầm tệp"}).status_code == 200
    good = attached(auth, "head_khcn", case_id, samples.pdf("good"), task_id=task_id)

    refusals = {
        "another case's file": ({"file_id": elsewhere["id"]}, "not a file uploaded for this task"),
        "the case's own file, not the task's": ({"file_id": on_the_case["id"]}, "not a file uploaded for this task"),
        "a file that never was": ({"file_id": 999999}, "not a file uploaded for this task"),
        "a removed file": ({"file_id": removed["id"]}, "the file was removed"),
        "a Word file where PDF or a scan is asked": ({"file_id": word["id"]}, "only pdf, jpeg, png files"),
        "a hash that is not the file's": ({"file_id": good["id"], "sha256": "0" * 64}, "SHA-256 is not the file's"),
        "a bare number": (good["id"], "expected a file reference"),
        "nonsense": ({"file_id": "../../etc/passwd"}, "expected a file reference"),
        "a reference with extra keys": ({"file_id": good["id"], "path": "/tmp/x"}, "expected a file reference"),
        "a boolean id": ({"file_id": True}, "expected a file reference"),
    }
    for what, (given, said) in refusals.items():
        with unchanged(store):
            error = error_of(submit(auth, task_id, given), 422, "validation_error")
        assert list(error["details"]) == ["supplement_file"], what
        assert said in error["details"]["supplement_file"][0], (what, error)
    assert count(store, Event, Event.case_id == case_id, Event.type == "task_completed") == 1  # hr's only

    case = complete(auth, "head_khcn", task_id, {"supplement_note": NOTE, "supplement_file": {"file_id": good["id"]}})
    assert case["data"]["supplement_file"]["sha256"] == good["sha256"]


def test_a_stored_reference_sent_back_as_it_is_names_the_same_file(auth):
    case_id, task_id = supplement_requested(auth)
    scan = attached(auth, "head_khcn", case_id, samples.jpeg(), "bang.jpg", task_id=task_id)
    given = {"file_id": scan["id"], "sha256": scan["sha256"], "name": "renamed.jpg", "kind": "jpeg", "size": 1}
    case = complete(auth, "head_khcn", task_id, {"supplement_note": NOTE, "supplement_file": given})
    assert case["data"]["supplement_file"] == {"file_id": scan["id"], "sha256": scan["sha256"], "name": "bang.jpg",
                                               "kind": "jpeg", "size": scan["size"]}  # the file's, not the client's


def test_a_start_form_cannot_name_a_file(store):
    """There is no task before the case, so no file of it: a file field in start data is refused."""
    class Started(Schema):
        evidence = forms.File()

    with store.command() as conn, pytest.raises(Invalid) as refused:
        bind_files(conn, None, None, Started().load({"evidence": {"file_id": 1}}))
    assert "not at the start" in refused.value.details["evidence"][0]


def test_the_task_publishes_the_file_field_with_the_kinds_it_takes(auth):
    _case_id, task_id = supplement_requested(auth)
    form = auth.as_("head_khcn").get(f"{API}/tasks/{task_id}").get_json()["form"]
    field = form["properties"]["supplement_file"]
    assert field["type"] == "object" and field["required"] == ["file_id"]
    assert field["x-file"] == {"kinds": ["pdf", "jpeg", "png"], "accept": ".pdf,application/pdf,.jpg,image/jpeg,"
                                                                          ".png,image/png"}
    assert "supplement_file" not in form.get("required", [])


def test_the_forms_know_the_kinds_the_file_store_recognises():
    assert forms.files.KINDS == {name: (kind.media_type, kind.extension) for name, kind in KINDS.items()}
