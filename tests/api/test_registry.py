"""The registries and the targets report through the API, with who may see and change what."""
from __future__ import annotations

from datetime import date

from tests.api.support import error_of
from workflows.programme import registry

API = "/api/v1"
APPOINTMENT = {"post": "Phó Giám đốc Sở", "level": "pho_giam_doc_so", "unit": "SKHCN",
               "person_name": "Lê Văn Bình", "appointed_on": "2026-06-01", "decision_no": "123/QĐ-UBND"}


def test_hr_records_an_ordinary_appointment_and_it_counts_in_the_report(auth):
    response = auth.as_("hr").post(f"{API}/appointments", json=APPOINTMENT)
    assert response.status_code == 201, response.get_json()
    recorded = response.get_json()
    assert (recorded["via_exam"], recorded["unit"], recorded["appointed_on"]) == (False, "SKHCN", "2026-06-01")
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


def test_unit_heads_see_only_their_units_talents(auth, store):
    with store.command() as conn:
        khcn = registry.add_talent(conn, full_name="Nguyễn Khoa", category="young_scientist",
                                   recognised_on=date(2025, 5, 1), unit="SKHCN-QLKH")
        gddt = registry.add_talent(conn, full_name="Trần Giáo", category="expert",
                                   recognised_on=date(2025, 5, 1), unit="SGDDT")
    names = [t["full_name"] for t in auth.as_("head_khcn").get(f"{API}/talents").get_json()["items"]]
    assert names == ["Nguyễn Khoa"]
    assert auth.as_("hr").get(f"{API}/talents?unit=SGDDT").get_json()["items"][0]["id"] == gddt
    assert auth.as_("head_khcn").get(f"{API}/talents/{khcn}").get_json()["allowance_from"] == "2025-05-01"
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
