"""Dashboard (targets of a year, overdue work per unit) and the talent registry, with who may see them."""
from __future__ import annotations

import re
from datetime import date, timedelta

from tests.web.support import signed_in, text_of
from tests.workflows.exam_support import close_registration, start_exam
from workflows.programme import registry


def appointments(store, *rows):  # type: ignore[no-untyped-def]
    with store.command() as conn:
        for unit, via_exam in rows:
            registry.record_appointment(conn, post="Trưởng phòng", level="truong_phong", unit=unit,
                                        person_name="Người được bổ nhiệm", appointed_on=date(2026, 2, 1),
                                        via_exam=via_exam, recorded_by="hr")


def test_the_exam_share_per_unit_comes_first_with_its_chart(app, store):
    appointments(store, ("SKHCN", True), ("SKHCN", False), ("SGDDT", False), ("SGDDT", False), ("SGDDT", False))
    text = text_of(html := signed_in(app, "hr").get("/dashboard?year=2026"))
    assert "Toàn thành phố: 20 %" in text and "1 trên 5 trường hợp bổ nhiệm mới" in text
    rows = {m.group(1): text_of(m.group(0)) for m in re.finditer(r'<tr[^>]*><th scope="row">(\w+) ·.*?</tr>', html, re.S)}
    assert "50 %" in rows["SKHCN"] and "đạt" in rows["SKHCN"]
    assert "0 %" in rows["SGDDT"] and "chưa đạt" in rows["SGDDT"]
    assert html.index("Bổ nhiệm lãnh đạo qua thi tuyển") < html.index("Chỉ tiêu của Nghị quyết")  # the 20 % first
    assert '<svg' in html and 'class="tf-chart' in html
    assert "Tổng quan · 2025" in signed_in(app, "approver").get("/dashboard?year=2025")


def test_overdue_tasks_are_counted_per_unit(app, auth, service, manual_clock):
    start_exam(auth)
    close_registration(auth, service, manual_clock)
    manual_clock.advance(timedelta(days=20))
    html = signed_in(app, "auditor").get("/dashboard")
    row = re.search(r'<tr class="overdue"><th scope="row">SKHCN ·.*?</tr>', html, re.S)
    assert row and [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row.group(0))] == [1, 1]


def test_the_dashboard_is_for_hr_approvers_auditors_admins_and_unit_heads(app):
    for user in ("nominator", "member1"):
        signed_in(app, user).get("/dashboard", status=403)
    nav = signed_in(app, "nominator").get("/")
    assert "/dashboard" not in nav and "/talents" not in nav
    assert 'href="/dashboard"' in signed_in(app, "head_gddt").get("/")


def test_a_unit_head_sees_the_targets_of_their_own_units_only(app, auth, store, service, manual_clock):
    appointments(store, ("SKHCN", True), ("SKHCN-QLKH", False), ("SKHCN-QLKH", False), ("SKHCN-QLKH", True),
                 ("SGDDT", False), ("SGDDT", False))
    start_exam(auth)  # an open task of SKHCN; none of SGDDT
    close_registration(auth, service, manual_clock)
    html = signed_in(app, "head_khcn").get("/dashboard?year=2026")
    text = text_of(html)
    assert "Chỉ các đơn vị của bạn: SKHCN và các đơn vị trực thuộc." in text
    # SKHCN counts its division too: 2 of 4; the division alone 1 of 3
    assert "Các đơn vị của bạn: 50 %" in text and "2 trên 4 trường hợp bổ nhiệm mới" in text
    rows = {m.group(1): text_of(m.group(0)) for m in re.finditer(r'<tr[^>]*><th scope="row">([\w-]+) ·.*?</tr>', html, re.S)}
    assert set(rows) == {"SKHCN", "SKHCN-QLKH"}, rows  # the share rows and the open-task rows
    assert "SGDDT" not in html and "Sở GD&amp;ĐT" not in html and "Toàn thành phố" not in text
    assert "Chỉ tiêu của Nghị quyết" not in text and "targets.xlsx" not in html  # the city's figures stay hr's
    # the JSON API answers the same, and never another unit's figures
    report = auth.as_("head_khcn").get("/api/v1/reports/targets?year=2026").get_json()
    assert report["scope"] == ["SKHCN"] and set(report) == {"year", "scope", "exam_share"}
    assert [(u["unit"], u["exam"], u["total"]) for u in report["exam_share"]["units"]] == [
        ("SKHCN", 2, 4), ("SKHCN-QLKH", 1, 3)]
    assert (report["exam_share"]["total"]["exam"], report["exam_share"]["total"]["total"]) == (2, 4)
    gddt = auth.as_("head_gddt").get("/api/v1/reports/targets?year=2026").get_json()
    assert [(u["unit"], u["exam"], u["total"]) for u in gddt["exam_share"]["units"]] == [("SGDDT", 0, 2)]
    assert "SKHCN" not in text_of(signed_in(app, "head_gddt").get("/dashboard?year=2026"))
    assert auth.as_("nominator").get("/api/v1/reports/targets?year=2026").status_code == 403


def test_the_registry_filters_and_a_unit_head_sees_only_their_units(app, store):
    with store.command() as conn:
        for name, unit, category in (("Nguyễn Văn Khoa", "SKHCN-QLKH", "young_scientist"),
                                     ("Lê Thị Hoa", "SGDDT", "excellent_graduate")):
            registry.add_talent(conn, full_name=name, category=category, recognised_on=date(2025, 6, 1), unit=unit)
    hr = signed_in(app, "hr")
    assert "Nguyễn Văn Khoa" in hr.get("/talents") and "Lê Thị Hoa" in hr.get("/talents")
    only = text_of(hr.get("/talents?category=excellent_graduate"))
    assert "Lê Thị Hoa" in only and "Nguyễn Văn Khoa" not in only and "01/06/2025" in only
    head = text_of(signed_in(app, "head_khcn").get("/talents"))
    assert "Nguyễn Văn Khoa" in head and "Lê Thị Hoa" not in head
    signed_in(app, "nominator").get("/talents", status=403)
