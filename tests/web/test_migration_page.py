"""The admin's page for moving cases to a new process version: choose, preview in Vietnamese, confirm
(CSRF like every form), and the move read in the case's history."""
from __future__ import annotations

import re

from tests.api.support import case_row
from tests.engine.cases.migration_cases import ask_supplement, deploy_v2, nominate
from tests.web.support import signed_in, text_of


def test_the_admin_previews_in_vietnamese_and_moves_the_cases_that_can_move(app, store, service):
    moving, staying = nominate(service, store, 2)
    ask_supplement(service, store, staying)
    deploy_v2(store)
    page = signed_in(app, "admin")
    assert 'href="/admin/migrations"' in page.get("/")  # in the admin's menu
    text = text_of(page.get("/admin/migrations"))
    assert "Chuyển hồ sơ sang phiên bản quy trình mới" in text and "Phát hiện, tiến cử và công nhận nhân tài" in text

    preview = text_of(page.get("/admin/migrations?process=talent_nomination&from_version=1&to_version=2"))
    assert "Xem trước: phiên bản 2" in preview
    assert "Thẩm định hồ sơ tiến cử → Thẩm định hồ sơ tiến cử" in preview  # elements by their names
    assert "Bổ sung hồ sơ tiến cử" in preview and "Hồ sơ đang chờ ở một bước mà phiên bản mới không có." in preview
    assert "Chuyển 1 hồ sơ sang phiên bản 2" in preview
    assert case_row(store, moving).version == case_row(store, staying).version - 1  # nothing written yet

    page.post("/admin/migrations", {"csrf_token": "forged", "process": "talent_nomination", "to_version": "2"},
              status=400)
    before = case_row(store, moving).definition_id
    done = text_of(page.post("/admin/migrations", {"process": "talent_nomination", "from_version": "1",
                                                   "to_version": "2", "case_ids": str(moving),
                                                   f"v_{moving}": str(case_row(store, moving).version)},
                             status=200).get_data(as_text=True))
    assert "Đã chuyển 1 hồ sơ, 0 hồ sơ không chuyển." in done and "Kết quả: phiên bản 2" in done
    assert case_row(store, moving).definition_id != before
    assert case_row(store, staying).definition_id == before

    history = text_of(signed_in(app, "auditor").get(f"/audit/cases/{moving}"))
    assert "Chuyển sang phiên bản quy trình khác" in history
    case_page = text_of(page.get(f"/cases/{moving}"))
    assert "Chuyển sang phiên bản quy trình khác (v1 → v2)" in case_page  # the timeline says from which to which


def test_the_page_is_the_admins_only_and_a_wrong_choice_is_said_beside_the_field(app, store, service):
    nominate(service, store, 1)
    for user in ("hr", "auditor"):
        signed_in(app, user).get("/admin/migrations", status=403)
    page = signed_in(app, "admin")
    text = text_of(page.get("/admin/migrations?process=talent_nomination&from_version=1&to_version=1", status=422))
    assert "Hãy chọn phiên bản khác với phiên bản hồ sơ đang ở." in text
    text = text_of(page.get("/admin/migrations?process=talent_nomination&to_version=2&case_ids=abc", status=422))
    assert "Hãy ghi số hồ sơ, cách nhau bằng dấu phẩy hoặc khoảng trắng." in text
    text = text_of(page.get("/admin/migrations?process=talent_nomination&to_version=7", status=404))
    assert "Chuyển hồ sơ sang phiên bản quy trình mới" in text


def test_a_moved_case_s_history_names_the_steps_only_the_old_version_has(app, store, service):
    from tests.engine.cases.migration_cases import actor, migrations, ready_task, selection
    [case_id] = nominate(service, store, 1)
    ask_supplement(service, store, case_id)
    service.complete(actor(store, "nominator"), ready_task(store, case_id, "supplement_dossier"),
                     {"supplement_note": "Đã gửi"})
    deploy_v2(store)
    report = migrations(service).migrate(actor(store, "admin"), selection(2, case_ids=[case_id]))
    assert [c["outcome"] for c in report["cases"]] == ["migrated"], report
    for page in (f"/audit/cases/{case_id}", f"/cases/{case_id}"):
        said = text_of(signed_in(app, "auditor").get(page))
        assert "Bổ sung hồ sơ tiến cử" in said, page
        assert not re.findall(r"\b[a-z]+_[a-z_]+\b", said), page  # no element ids, no engine keys
    said = text_of(signed_in(app, "auditor").get(f"/audit/cases/{case_id}"))
    assert "Từ phiên bản quy trình 1" in said and "Sang phiên bản quy trình 2" in said
    assert "Thẩm định hồ sơ tiến cử → Thẩm định hồ sơ tiến cử" in said
