"""The targets report for a year with a known mix of appointments and registry rows."""
from __future__ import annotations

from datetime import date

import pytest

from engine.errors import Invalid
from workflows.programme import registry, reports


def appoint(conn, unit: str, via_exam: bool, on: date = date(2026, 5, 4), n: int = 1,  # type: ignore[no-untyped-def]
            first: bool = True) -> None:
    for i in range(n):
        registry.record_appointment(conn, post=f"Phó Giám đốc {i}", level="pho_giam_doc_so", unit=unit,
                                    person_name=f"Người {unit} {i}", appointed_on=on, via_exam=via_exam,
                                    first_appointment=first, recorded_by="hr")


@pytest.fixture
def mixed_year(store):  # type: ignore[no-untyped-def]
    """2026: SKHCN 3 by exam of 8 (37.5 %), SGDDT 0 of 4; city-wide 3 of 12 = 25 %. One 2025 exam appointment."""
    with store.command() as conn:
        appoint(conn, "SKHCN", True, n=3)
        appoint(conn, "SKHCN", False, n=5)
        appoint(conn, "SGDDT", False, n=4)
        appoint(conn, "SGDDT", True, on=date(2025, 12, 31))
    return store


def test_three_of_twelve_by_exam_is_25_percent_and_on_track(mixed_year):
    with mixed_year.command() as conn:
        share = reports.exam_share(conn, 2026)
    city = share["city"]
    assert (city["exam"], city["total"], city["share"], city["target"], city["on_track"]) == (3, 12, 0.25, 0.2, True)
    assert "warning" not in city
    by_unit = {row["unit"]: row for row in share["units"]}
    assert (by_unit["SKHCN"]["exam"], by_unit["SKHCN"]["total"], by_unit["SKHCN"]["share"]) == (3, 8, 0.375)
    assert by_unit["SKHCN"]["on_track"] is True and "warning" not in by_unit["SKHCN"]
    assert (by_unit["SGDDT"]["exam"], by_unit["SGDDT"]["total"], by_unit["SGDDT"]["on_track"]) == (0, 4, False)
    assert "1 more appointment(s) by exam" in by_unit["SGDDT"]["warning"]  # 1 of 5 = 20 %


def test_a_year_behind_the_target_warns_city_wide(store):
    with store.command() as conn:
        appoint(conn, "SKHCN", True, n=1)
        appoint(conn, "SKHCN", False, n=9)
        city = reports.exam_share(conn, 2026)["city"]
    assert (city["share"], city["on_track"]) == (0.1, False)
    assert "2 more appointment(s)" in city["warning"]  # 3 of 12 reaches 20 %


def test_registry_figures_and_hr_figures_complete_the_table(store):
    with store.command() as conn:
        for i in range(4):
            registry.add_talent(conn, full_name=f"Nhân tài {i}", category="excellent_graduate",
                                recognised_on=date(2026, 3, 1), unit="SKHCN")
        old = [registry.add_talent(conn, full_name=f"Khóa 2021 {i}", category="expert",
                                   recognised_on=date(2021, 6, 1), unit="SGDDT") for i in range(2)]
        registry.record_review(conn, talent_id=old[0], year=2026,
                               assessment={"rating": "tot", "trained_st": True}, outcome="keep",
                               rule_outcome="keep", override_reason=None, source_case_id=None)
        registry.record_review(conn, talent_id=old[1], year=2026,
                               assessment={"rating": "hoan_thanh", "serving_in_city": False}, outcome="remove",
                               rule_outcome="remove", override_reason=None, source_case_id=None)
        for key, value in {"new_recruits": 200, "talent_recruits": 30, "excellent_graduates": 40,
                           "training_classes": 1, "partner_universities": 12}.items():
            registry.set_figure(conn, year=2026, key=key, value=value, recorded_by="hr")
        report = reports.targets_report(conn, 2026)
    assert report["registry"]["talents_recognised"] == 4
    assert report["registry"]["retained_after_5_years"] == {"cohort_year": 2021, "recognised": 2,
                                                            "still_active": 1, "share": 0.5, "target": 1.0}
    assert report["registry"]["trained_in_st"]["share"] == 0.5
    table = {row["key"]: row for row in report["targets"]}
    assert (table["talent_share_of_recruits"]["value"], table["talent_share_of_recruits"]["met"]) == (0.15, True)
    assert (table["excellent_students_identified"]["value"], table["excellent_students_identified"]["met"]) == \
        (0.1, True)
    assert (table["trained_in_st"]["target"], table["trained_in_st"]["met"]) == (0.3, True)
    assert table["training_classes"]["met"] is False and table["partner_universities"]["met"] is False
    assert table["exam_share"]["value"] is None and table["exam_share"]["met"] is None


def test_targets_follow_their_milestones():
    assert reports.milestone(reports.TALENT_RECRUIT_TARGETS, 2024) == 0.10
    assert reports.milestone(reports.TALENT_RECRUIT_TARGETS, 2029) == 0.10
    assert reports.milestone(reports.TALENT_RECRUIT_TARGETS, 2030) == 0.20
    assert reports.milestone(reports.ST_TRAINING_TARGETS, 2031) == 0.60


def test_a_departments_row_includes_its_divisions_and_every_department_has_a_row(store):
    with store.command() as conn:
        appoint(conn, "SKHCN-QLKH", True, n=1)
        appoint(conn, "SKHCN", False, n=1)
        share = reports.exam_share(conn, 2026)
    by_unit = {row["unit"]: row for row in share["units"]}
    assert (by_unit["SKHCN"]["exam"], by_unit["SKHCN"]["total"], by_unit["SKHCN"]["share"]) == (1, 2, 0.5)
    assert (by_unit["SKHCN-QLKH"]["exam"], by_unit["SKHCN-QLKH"]["total"]) == (1, 1)
    assert (by_unit["SGDDT"]["total"], by_unit["SGDDT"]["on_track"]) == (0, False)  # no appointments yet
    assert "HP" not in by_unit and share["city"]["total"] == 2


def test_re_appointments_leave_a_units_share_and_are_counted_apart(store):
    """SKHCN-QLKH: 1 by exam and 1 ordinary, plus 3 re-appointments: 50 %, not 20 %; SGDDT only
    re-appointed, so it has no new appointment at all."""
    with store.command() as conn:
        appoint(conn, "SKHCN-QLKH", True)
        appoint(conn, "SKHCN-QLKH", False)
        appoint(conn, "SKHCN-QLKH", False, n=3, first=False)
        appoint(conn, "SGDDT", False, n=2, first=False)
        share = reports.exam_share(conn, 2026)
    by_unit = {row["unit"]: row for row in share["units"]}
    for unit in ("SKHCN", "SKHCN-QLKH"):  # the department answers for its division
        assert (by_unit[unit]["exam"], by_unit[unit]["total"], by_unit[unit]["share"],
                by_unit[unit]["reappointments"]) == (1, 2, 0.5, 3)
    sgddt = by_unit["SGDDT"]
    assert (sgddt["total"], sgddt["share"], sgddt["reappointments"]) == (0, None, 2)
    assert sgddt["warning"].startswith("Chưa có bổ nhiệm mới")
    assert (share["city"]["exam"], share["city"]["total"], share["city"]["reappointments"]) == (1, 2, 5)


def test_an_exam_never_re_appoints_so_such_a_row_is_refused(store):
    with store.command() as conn:
        with pytest.raises(Invalid) as refused:
            appoint(conn, "SKHCN", True, first=False)
        assert list(refused.value.details) == ["first_appointment"]
        assert registry.list_appointments(conn)["total"] == 0
