"""``GET /cases/{id}/state?at=N`` shows a participant no more than ``GET /cases/{id}`` does.

The leadership exam's round 2 is blind: while the council scores, a member sees
nobody's scores — not in the case, and not in the case as it was after any event.
"""
from __future__ import annotations

from tests.workflows.exam_support import API, close_remarking, exam_with_marks, get_case, score

ROUND2 = {"scores", "score_sheet", "score_sheets", "exam_results"}


def test_a_council_member_reads_no_blind_score_in_any_past_state(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    close_remarking(auth, service, manual_clock)
    score(auth, "chair", case_id, {"TS01": 91, "TS02": 62})
    score(auth, "member1", case_id, {"TS01": 88, "TS02": 64})
    last = auth.as_("auditor").get(f"{API}/cases/{case_id}/state").get_json()["at"]
    assert "scores" in auth.as_("auditor").get(f"{API}/cases/{case_id}/state").get_json()["data"]
    for reader in ("member2", "chair", "hr"):
        assert not ROUND2 & set(get_case(auth, reader, case_id)["data"]), reader
        for at in range(1, last + 1):
            response = auth.as_(reader).get(f"{API}/cases/{case_id}/state", query_string={"at": at})
            assert response.status_code == 200, response.get_json()
            state = response.get_json()
            assert not ROUND2 & set(state["data"]), (reader, at)
            assert "replay_divergence" not in state or reader == "hr", (reader, at)


def test_someone_outside_the_exam_gets_404_for_its_past_states(auth, service, manual_clock):
    case_id = exam_with_marks(auth, service, manual_clock, {"TS01": 80, "TS02": 70})
    response = auth.as_("nobody").get(f"{API}/cases/{case_id}/state", query_string={"at": 1})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
