"""Hostile or large input on /admin/migrations and ``talentflow migrate``: numbers in other scripts
("²", "٣" pass ``str.isdigit``) are a 422 beside the field, never a 500 nor a misread; a confirm of
more than 1,000 cases goes through; a case id beyond the database's range is a usage error."""
from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from api.web.pages.migration import _selection
from tests.api.support import case_row, unchanged
from tests.engine.cases.migration_cases import deploy_v2, nominate
from tests.web.support import signed_in, text_of

PAGE = "/admin/migrations?process=talent_nomination"


def test_numbers_written_in_other_scripts_are_refused_beside_the_field_and_change_nothing(app, store, service):
    [case_id] = nominate(service, store, 1)
    deploy_v2(store)
    page = signed_in(app, "admin")
    for query in ("&to_version=%C2%B2", "&to_version=%D9%A3", "&to_version=2&from_version=%C2%B2",
                  "&to_version=2&case_ids=%C2%B9", "&to_version=2&case_ids=1&v_1=%C2%B2"):
        assert page.client.get(PAGE + query).status_code == 422, query
    text = text_of(page.get(PAGE + "&to_version=2&from_version=%D9%A1", status=422))
    assert "Chọn phiên bản mà các hồ sơ đang ở, hoặc để trống." in text
    with unchanged(store):
        response = page.post("/admin/migrations", {"process": "talent_nomination", "to_version": "2",
                                                   "expected": f"{case_id}:\u00b2"})
    assert response.status_code == 422


def test_the_confirm_sends_the_previewed_cases_with_their_versions_in_one_field_and_moves_them(app, store, service):
    cases = nominate(service, store, 2)
    deploy_v2(store)
    page = signed_in(app, "admin")
    html = page.get(PAGE + "&to_version=2")
    [expected] = re.findall(r'name="expected" value="([^"]*)"', html)
    assert expected.split() == [f"{c}:{case_row(store, c).version}" for c in cases]
    assert 'name="v_' not in html and 'name="case_ids" value' not in html.split('method="post"')[-1]
    done = text_of(page.post("/admin/migrations", {"process": "talent_nomination", "to_version": "2",
                                                   "expected": expected}, status=200).get_data(as_text=True))
    assert "Đã chuyển 2 hồ sơ, 0 hồ sơ không chuyển." in done


def test_a_confirm_of_more_than_a_thousand_cases_is_read_whole(app):
    pairs = " ".join(f"{n}:{n % 7 + 1}" for n in range(1, 1502))
    form = MultiDict({"process": "p", "to_version": "2", "expected": pairs})
    with app.test_request_context():
        selection, problems = _selection(form, {"p": {"versions": [1, 2]}})
    assert problems == {}
    assert len(selection.case_ids) == 1501 and selection.expected_versions[1501] == 1501 % 7 + 1


def test_a_confirm_with_no_case_moves_nothing(app, store, service):
    nominate(service, store, 1)
    deploy_v2(store)
    page = signed_in(app, "admin")
    page.get(PAGE + "&to_version=2")
    with unchanged(store):
        page.post("/admin/migrations", {"process": "talent_nomination", "to_version": "2", "expected": ""},
                  status=422)


def test_a_version_read_by_another_parser_is_a_refusal_in_vietnamese_not_an_error_page(app, auth, store):
    from tests.api.support import deployed, start
    from tests.engine.cases.test_migration_keeps_state import CAMUNDA, simple
    deployed(auth, "plainp.bpmn", simple())
    start(auth, "hr", "plainp")
    deployed(auth, "plainp.bpmn", simple(CAMUNDA))
    text = text_of(signed_in(app, "admin").get("/admin/migrations?process=plainp&to_version=2"))
    assert "Phiên bản mới được đọc bằng một loại bộ phân tích BPMN khác" in text
