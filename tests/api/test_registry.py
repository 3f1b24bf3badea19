"""The registries and the targets report through the API, with who may see and change what."""
from __future__ import annotations

from datetime import date

from tests.api.support import error_of, unchanged
from workflows.programme import registry

API = "/api/v1"
APPOINTMENT = {"post": "Phó Giám đốc Sở", "level": "pho_giam_doc_so", "unit": "SKHCN",
               "person_name": "Lê Văn Bình", "appointed_on": "2026-06-01", "decision_no": "123/QĐ-UBND"}


def test_hr_records_an_ordinary_appointment_and_it_counts_in_the_report(auth):
    response = auth.as_("hr").post(f"{API}/appointments", json=APPOINTMENT)
    assert response.status_code == 201, response.get_json()
    recorded = response.get_json()
    assert (recorded["via_exam"], recorded["unit"], recorded["appointed_on"]) == (False, "SKHCN", "2026-06-01")
    assert recorded["first_appointment"] is True  # unless hr says it is a re-appointment
    listed = auth.as_("auditor").get(f"{API}/appointments?year=2026&via_exam=false").get_json()
    assert [a["person_name"] for a in listed["items"]] == ["Lê Văn Bình"]
    report = auth.as_("approver").get(f"{API}/reports/targets?year=2026").get_json()
    assert (report["exam_share"]["city"]["total"], report["exam_share"]["city"]["on_track"]) == (1, False)
    history = auth.as_("auditor").get(f"{API}/appointments?year=2025").get_json()
    assert history["total"] == 0


def test_appointments_refuse_bad_input_and_outsiders(auth):
    error_of(auth.as_("head_khcn").post(f"{API}/appointments", json=APPOINTMENT), 403)
    error_of(auth.as_("head_khcn").get(f"{API}/appointments"), 403)
    bad = error_of(auth.as_("hr").post(f"{API}/appointments", json={**APPOINTMENT, "level": "vua"}), 422)
    assert "level" in bad["details"]
    bad = error_of(auth.as_("hr").post(f"{API}/appointments", json={**APPOINTMENT, "unit": "NOWHERE"}), 422)
    assert "unit" in bad["details"]
    bad = error_of(auth.as_("hr").post(f"{API}/appointments", json={**APPOINTMENT, "via_exam": True}), 422)
    assert "via_exam" in bad["details"]  # exam appointments come only from the exam process
    assert auth.as_("hr").get(f"{API}/appointments").get_json()["total"] == 0


def record(auth, **overrides) -> dict:  # type: ignore[no-untyped-def]
    response = auth.as_("hr").post(f"{API}/appointments", json={**APPOINTMENT, **overrides})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_re_appointment_is_in_the_register_but_in_neither_side_of_the_exam_share(auth, store):
    """2026: one appointment by exam, three ordinary first appointments and two re-appointments at the
    end of a term: the share is 1 of 4 (25 %), not 1 of 6, and the register still lists all six."""
    with store.command() as conn:  # as the exam's own case records its winner (workflows/leadership_exam.py)
        registry.record_appointment(conn, post="Giám đốc Sở", level="giam_doc_so", unit="SKHCN",
                                    person_name="Chu Thị Châu", appointed_on=date(2026, 5, 15), via_exam=True,
                                    recorded_by="approver")
    for i in range(3):
        record(auth, person_name=f"Bổ nhiệm mới {i}")
    for i in range(2):
        again = record(auth, person_name=f"Bổ nhiệm lại {i}", first_appointment=False)
        assert (again["first_appointment"], again["via_exam"]) == (False, False)

    register = auth.as_("auditor").get(f"{API}/appointments?year=2026").get_json()
    assert register["total"] == 6
    reappointed = auth.as_("auditor").get(f"{API}/appointments?year=2026&first_appointment=false").get_json()
    assert [a["person_name"] for a in reappointed["items"]] == ["Bổ nhiệm lại 0", "Bổ nhiệm lại 1"]
    assert auth.as_("auditor").get(f"{API}/appointments?first_appointment=true").get_json()["total"] == 4
    report = auth.as_("approver").get(f"{API}/reports/targets?year=2026").get_json()
    city = report["exam_share"]["city"]
    assert (city["exam"], city["total"], city["share"], city["on_track"], city["reappointments"]) == \
        (1, 4, 0.25, True, 2)
    assert {row["key"]: row for row in report["targets"]}["exam_share"]["value"] == 0.25


def test_a_first_appointment_flag_that_is_not_true_or_false_records_nothing(auth, store):
    with unchanged(store):
        for bad in ("false", "no", 0, None):
            error = error_of(auth.as_("hr").post(f"{API}/appointments",
                                                 json={**APPOINTMENT, "first_appointment": bad}), 422)
            assert list(error["details"]) == ["first_appointment"], (bad, error)
        # an exam appoints only to a first appointment, and only its own case records it
        error = error_of(auth.as_("hr").post(f"{API}/appointments", json={
            **APPOINTMENT, "via_exam": True, "first_appointment": False}), 422)
        assert "via_exam" in error["details"]
    assert auth.as_("hr").get(f"{API}/appointments").get_json()["total"] == 0
    error_of(auth.as_("hr").get(f"{API}/appointments?first_appointment=perhaps"), 422)


def test_unit_heads_see_only_their_units_talents(auth, store):
    with store.command() as conn:
        khcn = registry.add_talent(conn, full_name="Nguyễn Khoa", category="young_scientist",
                                   recognised_on=date(2025, 5, 1), unit="SKHCN-QLKH")
        gddt = registry.add_talent(conn, full_name="Trần Giáo", category="expert",
                                   recognised_on=date(2025, 5, 1), unit="SGDDT")
    names = [t["full_name"] for t in auth.as_("head_khcn").get(f"{API}/talents").get_json()["items"]]
    assert names == ["Nguyễn Khoa"]
    assert auth.as_("hr").get(f"{API}/talents?unit=SGDDT").get_json()["items"][0]["id"] == gddt
    seen = auth.as_("head_khcn").get(f"{API}/talents/{khcn}").get_json()
    assert (seen["allowance_percent"], seen["allowance_from"]) == (150, "2025-05-01")
    error_of(auth.as_("head_khcn").get(f"{API}/talents/{gddt}"), 404)
    error_of(auth.as_("expert1").get(f"{API}/talents"), 403)
    error_of(auth.as_("hr").get(f"{API}/talents/999999"), 404)


def test_hr_enters_yearly_figures_which_complete_the_targets_table(auth):
    response = auth.as_("hr").post(f"{API}/reports/figures", json={
        "year": 2026, "figures": {"training_classes": 2, "partner_universities": 21}})
    assert response.status_code == 200, response.get_json()
    table = {row["key"]: row for row in response.get_json()["targets"]}
    assert table["training_classes"]["met"] is True and table["partner_universities"]["met"] is True
    corrected = auth.as_("hr").post(f"{API}/reports/figures", json={"year": 2026, "figures": {"training_classes": 1}})
    assert {r["key"]: r for r in corrected.get_json()["targets"]}["training_classes"]["value"] == 1
    error_of(auth.as_("hr").post(f"{API}/reports/figures", json={"year": 2026, "figures": {"bogus": 1}}), 422)
    error_of(auth.as_("hr").post(f"{API}/reports/figures", json={"year": 2026, "figures": {"training_classes": -1}}),
             422)
    error_of(auth.as_("head_khcn").post(f"{API}/reports/figures", json={"year": 2026, "figures": {}}), 403)
    error_of(auth.as_("hr").get(f"{API}/reports/targets"), 422)


def test_figures_are_city_wide(auth):
    error = error_of(auth.as_("hr").post(f"{API}/reports/figures", json={
        "year": 2026, "unit": "SKHCN", "figures": {"new_recruits": 100}}), 422)
    assert "unit" in error["details"]
