"""A council member's round-2 documents stay sealed like the scores (DESIGN.md "Who sees what")."""
from __future__ import annotations

from tests.api.support import error_of
from tests.api.test_files import attached
from tests.engine.files import samples
from tests.workflows.exam_support import (API, close_remarking, exam_with_marks, get_case, score, score_all, submit,
                                          task_of)


def listed(auth, user, case_id):  # type: ignore[no-untyped-def]
    response = auth.as_(user).get(f"{API}/cases/{case_id}/files")
    assert response.status_code == 200, response.get_json()
    return [f["id"] for f in response.get_json()]


def file_events(auth, user, case_id):  # type: ignore[no-untyped-def]
    history = auth.as_(user).get(f"{API}/cases/{case_id}/history").get_json()
    return [e["data"] for e in history if e["type"] == "file_attached"]


def test_a_members_round_2_document_is_sealed_until_every_member_has_scored(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    public = attached(auth, "hr", case_id, samples.pdf(), "Thông báo thi tuyển.pdf")
    sheet = task_of(auth, "member1", case_id, "score_round2")
    sealed = attached(auth, "member1", case_id, samples.docx("Nhận xét đề án TS01"), "Nhận xét TS01.docx",
                      task_id=sheet["id"])
    score(auth, "member1", case_id, {"TS01": 88, "TS02": 64})

    assert listed(auth, "member1", case_id) == [public["id"], sealed["id"]]  # the uploader sees their own
    assert listed(auth, "auditor", case_id) == [public["id"], sealed["id"]]  # the auditor reads everything
    for reader in ("member2", "chair", "hr"):
        assert listed(auth, reader, case_id) == [public["id"]], reader
        error_of(auth.as_(reader).get(f"{API}/cases/{case_id}/files/{sealed['id']}"), 404)
        seen = file_events(auth, reader, case_id)
        assert seen[1] == {"file_id": sealed["id"], "sealed": True}, reader  # not even its name
        assert seen[0]["name"] == "Thông báo thi tuyển.pdf"

    score_all(auth, case_id, {"TS01": [80, 80, 80, 80], "TS02": [60, 60, 60, 60]},
              members=["chair", "secretary", "member2", "member3"])
    for reader in ("member2", "chair", "hr"):  # the round is over: as open as the scores
        assert listed(auth, reader, case_id) == [public["id"], sealed["id"]], reader
        download = auth.as_(reader).get(f"{API}/cases/{case_id}/files/{sealed['id']}")
        assert download.status_code == 200 and download.data == samples.docx("Nhận xét đề án TS01")
        assert file_events(auth, reader, case_id)[1]["name"] == "Nhận xét TS01.docx"


def test_a_review_named_in_a_members_round_2_sheet_is_sealed_like_the_scores(auth, service, manual_clock):
    """The sheet's file field (``plan_review``): the file and the reference in the data alike."""
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    sheet = task_of(auth, "member1", case_id, "score_round2")
    review = attached(auth, "member1", case_id, samples.pdf("Nhan xet de an"), "Nhận xét đề án.pdf",
                      task_id=sheet["id"])
    submitted = submit(auth, "member1", sheet["id"], {
        "scores": [{"candidate_code": "TS01", "score": 88}, {"candidate_code": "TS02", "score": 64}],
        "plan_review": {"file_id": review["id"]}})
    assert submitted.status_code == 200, submitted.get_json()
    reference = {"file_id": review["id"], "sha256": review["sha256"], "name": "Nhận xét đề án.pdf", "kind": "pdf",
                 "size": review["size"]}
    assert get_case(auth, "auditor", case_id)["data"]["plan_review"] == reference

    for reader in ("member2", "chair", "hr"):
        assert "plan_review" not in get_case(auth, reader, case_id)["data"], reader
        assert review["id"] not in listed(auth, reader, case_id), reader
        error_of(auth.as_(reader).get(f"{API}/cases/{case_id}/files/{review['id']}"), 404)
        completed = [e for e in auth.as_(reader).get(f"{API}/cases/{case_id}/history").get_json()
                     if e["type"] == "task_completed" and e["task_id"] == sheet["id"]]
        assert "plan_review" not in str(completed) and review["sha256"] not in str(completed), reader

    score_all(auth, case_id, {"TS01": [80, 80, 80, 80], "TS02": [60, 60, 60, 60]},
              members=["chair", "secretary", "member2", "member3"])
    for reader in ("member2", "chair", "hr"):  # the round is over: the review is as open as the scores
        assert review["id"] in listed(auth, reader, case_id), reader
        download = auth.as_(reader).get(f"{API}/cases/{case_id}/files/{review['id']}")
        assert download.status_code == 200 and download.data == samples.pdf("Nhan xet de an")
