"""Search and the talent page: finding a person with or without diacritics, a case by its number or
business key — never a case the reader may not see — and one talent's page for those who may read it."""
from __future__ import annotations

import re
from datetime import date

from engine.cases.search import search_key
from tests.api.test_files import attached
from tests.conftest import proposal
from tests.engine.files import samples
from tests.web.support import signed_in, text_of, unlabelled_controls
from workflows.programme import registry

API = "/api/v1"


def nominate(auth, user="head_khcn", key=None, **data):  # type: ignore[no-untyped-def]
    body = {"process": "training_nomination", "data": proposal(**data)}
    if key:
        body["business_key"] = key
    response = auth.as_(user).post(f"{API}/cases", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def found_cases(html: str) -> list[int]:
    section = html.split('id="h-found-cases"', 1)[1]
    return [int(n) for n in re.findall(r'<th scope="row"><a href="/cases/(\d+)">', section)]


def found_talents(html: str) -> list[str]:
    section = html.split('id="h-found-talents"', 1)[1].split('id="h-found-cases"', 1)[0]
    return re.findall(r'<a href="/talents/\d+">([^<]+)</a>', section)


def test_the_search_key_folds_vietnamese_diacritics_and_d_with_stroke():
    assert search_key("  Trần   Thị Đào ") == "tran thi dao"
    assert search_key("NGUYỄN") == "nguyen" and search_key("Đặng Đức") == "dang duc"
    assert search_key(None) == ""


def test_a_talent_is_found_by_part_of_the_name_with_or_without_diacritics(app, store):
    with store.command() as conn:
        hoa = registry.add_talent(conn, full_name="Trần Thị Hoa", category="young_scientist",
                                  recognised_on=date(2025, 5, 1), unit="SKHCN-QLKH")
        registry.add_talent(conn, full_name="Nguyễn Văn Đức", category="expert", recognised_on=date(2025, 5, 1),
                            unit="SGDDT")
        registry.add_talent(conn, full_name="Lê Minh", category="expert", recognised_on=date(2025, 5, 1), unit="SGDDT")
    hr = signed_in(app, "hr")
    assert found_talents(hr.get("/search?q=nguyen")) == ["Nguyễn Văn Đức"]
    assert found_talents(hr.get("/search?q=Nguyễn")) == ["Nguyễn Văn Đức"]
    assert found_talents(hr.get("/search?q=van+duc")) == ["Nguyễn Văn Đức"]
    page = hr.get("/search?q=tran+thi")
    assert found_talents(page) == ["Trần Thị Hoa"] and f'href="/talents/{hoa}"' in page
    assert found_talents(hr.get("/search?q=TRAN THI HOA")) == ["Trần Thị Hoa"]
    # a unit head searches their own units' talents only; someone outside the registry finds none, and no 403
    assert found_talents(signed_in(app, "head_khcn").get("/search?q=nguyen")) == []
    assert found_talents(signed_in(app, "head_khcn").get("/search?q=tran")) == ["Trần Thị Hoa"]
    assert found_talents(signed_in(app, "expert1").get("/search?q=tran")) == []


def test_a_common_name_shows_the_first_fifty_and_says_so(app, store):
    with store.command() as conn:
        for n in range(51):
            registry.add_talent(conn, full_name=f"Nguyễn Văn Số {n}", category="expert",
                                recognised_on=date(2025, 5, 1), unit="SGDDT")
    page = signed_in(app, "hr").get("/search?q=nguyen")
    assert len(found_talents(page)) == 50
    assert "Chỉ hiện 50 kết quả đầu tiên" in text_of(page)
    assert "Chỉ hiện" not in text_of(signed_in(app, "hr").get("/search?q=so+50"))
    with store.command() as conn:  # exactly fifty: all are shown, and nothing is said to be left out
        conn.execute(registry.TALENT.delete().where(registry.TALENT.c.full_name == "Nguyễn Văn Số 50"))
    page = signed_in(app, "hr").get("/search?q=nguyen")
    assert len(found_talents(page)) == 50 and "Chỉ hiện" not in text_of(page)


def test_a_case_is_found_by_number_business_key_and_name_only_by_those_who_may_see_it(app, auth):
    case = nominate(auth, key="DT-2026-007", talent_name="Phạm Thu Hà")
    other = nominate(auth, user="head_gddt", unit="SGDDT", key="DT-2026-008", talent_name="Phạm Văn Hải")
    head = signed_in(app, "head_khcn")
    assert found_cases(head.get(f"/search?q=%23{case['id']}")) == [case["id"]]
    assert found_cases(head.get(f"/search?q={case['id']}")) == [case["id"]]
    assert found_cases(head.get("/search?q=dt-2026-007")) == [case["id"]]
    assert found_cases(head.get("/search?q=DT-2026")) == [case["id"]]  # not the other unit's nomination
    by_name = head.get("/search?q=pham+thu")
    assert found_cases(by_name) == [case["id"]] and "Phạm Thu Hà" in text_of(by_name)

    # another unit's head: not by number, not by key, not by name — and the page does not say it exists
    gddt = signed_in(app, "head_gddt")
    assert found_cases(gddt.get(f"/search?q=%23{case['id']}")) == []
    assert found_cases(gddt.get("/search?q=DT-2026-007")) == []
    assert found_cases(gddt.get("/search?q=pham")) == [other["id"]]
    assert found_cases(signed_in(app, "nobody").get(f"/search?q={case['id']}")) == []
    # hr reads every training nomination
    assert found_cases(signed_in(app, "hr").get("/search?q=pham")) == [other["id"], case["id"]]


def test_the_search_box_is_in_the_header_and_odd_queries_are_calm_pages(app):
    hr = signed_in(app, "hr")
    home = hr.get("/")
    assert 'role="search"' in home and 'action="/search"' in home and not unlabelled_controls(home)
    assert "Không có hồ sơ nào khớp." in text_of(hr.get("/search?q=%23999999999999999999999"))
    hr.get("/search?q=" + "x" * 5000)
    hr.get("/search?q=%25_%25")
    assert not unlabelled_controls(hr.get("/search?q="))


def test_the_talent_page_shows_the_registry_line_reviews_and_the_source_case_papers(app, auth, store):
    case = nominate(auth)
    attached(auth, "hr", case["id"], samples.pdf(), name="quyet_dinh.pdf", note="Quyết định công nhận")
    with store.command() as conn:
        talent = registry.add_talent(conn, full_name="Nguyễn Văn Khoa", category="young_scientist",
                                     recognised_on=date(2025, 5, 1), unit="SKHCN-QLKH", field="Trí tuệ nhân tạo",
                                     decision_no="123/QĐ-UBND", source_case_id=case["id"], allowance_percent=150)
        registry.record_review(conn, talent_id=talent, year=2025, assessment={"rating": "xuat_sac"}, outcome="keep",
                               rule_outcome="keep", override_reason=None, source_case_id=case["id"])
    page = signed_in(app, "hr").get(f"/talents/{talent}")
    words = text_of(page)
    for expected in ("Nguyễn Văn Khoa", "Nhà khoa học trẻ", "Trí tuệ nhân tạo", "SKHCN-QLKH", "01/05/2025",
                     "123/QĐ-UBND", "Hoàn thành xuất sắc nhiệm vụ", "Giữ lại trong danh sách", "Quyết định công nhận"):
        assert expected in words, expected
    assert re.search(r"150\s*%", words)
    assert f'href="/cases/{case["id"]}"' in page and "quyet_dinh.pdf" in page
    assert f'href="/talents/{talent}"' in signed_in(app, "hr").get("/talents")

    # the unit head of the talent's unit (above it) sees the page; another unit's head is told nothing
    mine = signed_in(app, "head_qlkh").get(f"/talents/{talent}")
    assert "Nguyễn Văn Khoa" in mine and "quyet_dinh.pdf" not in mine  # not a participant of the nomination
    assert f'href="/cases/{case["id"]}"' not in mine  # neither as the source nor as the review's case
    signed_in(app, "head_gddt").get(f"/talents/{talent}", status=404)
    signed_in(app, "expert1").get(f"/talents/{talent}", status=403)
    signed_in(app, "hr").get("/talents/999999", status=404)
