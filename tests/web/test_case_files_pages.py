"""The case page's files and comments: upload and comment forms, download links, refusals said in
the reader's language, and the same rules as the API."""
from __future__ import annotations

import io

from tests.api.test_files import kept
from tests.engine.files import samples
from tests.helpers import start_training
from tests.web.support import signed_in, text_of, unlabelled_controls


def send_file(page, case_id, content, name):  # type: ignore[no-untyped-def]
    return page.post(f"/cases/{case_id}/files", {"file": (io.BytesIO(content), name), "note": "bản gốc"},
                     content_type="multipart/form-data", follow_redirects=True)


def test_hr_attaches_a_file_comments_and_removes_it_from_the_case_page(app, auth):
    case = start_training(auth)
    page = signed_in(app, "hr")
    html = page.get(f"/cases/{case['id']}")
    assert "Tệp và ý kiến" in html and "Hồ sơ chưa có tệp đính kèm." in html
    assert 'enctype="multipart/form-data"' in html and unlabelled_controls(html) == []

    shown = send_file(page, case["id"], samples.pdf(), "Quyết định.pdf").get_data(as_text=True)
    assert "Đã đính kèm tệp vào hồ sơ." in shown and "Quyết định.pdf" in shown and "bản gốc" in shown
    link = f"/cases/{case['id']}/files/"
    file_id = int(shown.split(link)[1].split('"')[0])
    download = page.client.get(f"{link}{file_id}")
    assert download.status_code == 200 and download.data == samples.pdf()
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    shown = page.post(f"/cases/{case['id']}/comments", {"text": "Hồ sơ đủ điều kiện."},
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã thêm ý kiến của bạn." in shown and "Hồ sơ đủ điều kiện." in shown
    assert "Thêm ý kiến" in text_of(shown)  # the timeline names the event

    refused = page.post(f"/cases/{case['id']}/files/{file_id}/remove", {"reason": ""}, follow_redirects=True)
    assert "Hãy nêu lý do gỡ tệp." in refused.get_data(as_text=True)
    shown = page.post(f"/cases/{case['id']}/files/{file_id}/remove", {"reason": "Nộp nhầm"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Đã gỡ tệp khỏi danh sách" in shown and "Hồ sơ chưa có tệp đính kèm." in shown
    assert "Gỡ tệp" in text_of(shown) and "Nộp nhầm" in shown


def test_a_disguised_file_is_refused_in_the_readers_language_and_nothing_is_kept(app, auth):
    case = start_training(auth)
    page = signed_in(app, "hr")
    page.get(f"/cases/{case['id']}")
    name, content = samples.DISGUISED["windows executable"]
    shown = send_file(page, case["id"], content, name).get_data(as_text=True)
    assert "Không lưu được tệp này: chỉ nhận tệp PDF, Word (.docx), Excel (.xlsx), JPEG và PNG" in shown
    page.client.get("/lang/en")
    shown = send_file(page, case["id"], content, name).get_data(as_text=True)
    assert "This file cannot be kept: only PDF, Word (.docx), Excel (.xlsx), JPEG and PNG files" in shown
    assert kept(app) == []


def test_a_file_over_the_limit_is_refused_on_the_page(app, auth):
    app.config["MAX_FILE_BYTES"] = 4096
    app.extensions["talentflow"].files.storage.max_bytes = 4096
    case = start_training(auth)
    page = signed_in(app, "hr")
    page.get(f"/cases/{case['id']}")
    shown = send_file(page, case["id"], samples.pdf() + b"x" * 5000, "lon.pdf").get_data(as_text=True)
    assert "Tệp lớn hơn giới hạn" in shown
    response = page.post(f"/cases/{case['id']}/files", {"file": (io.BytesIO(b"%PDF-" + b"x" * 200_000), "a.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 413 and "Tệp lớn hơn giới hạn" in response.get_data(as_text=True)
    assert kept(app) == []


def test_readers_without_a_task_see_the_files_but_no_forms_and_strangers_see_nothing(app, auth):
    case = start_training(auth)
    hr = signed_in(app, "hr")
    hr.get(f"/cases/{case['id']}")
    shown = send_file(hr, case["id"], samples.png(), "ảnh.png").get_data(as_text=True)
    file_id = int(shown.split(f"/cases/{case['id']}/files/")[1].split('"')[0])
    starter = signed_in(app, "head_khcn")
    html = starter.get(f"/cases/{case['id']}")
    assert "ảnh.png" in html and 'action="/cases/%d/files"' % case["id"] not in html and "comment-text" not in html
    refused = starter.post(f"/cases/{case['id']}/comments", {"text": "xin chào"}, follow_redirects=True)
    assert "Bạn không được thay đổi tệp hay ý kiến của hồ sơ này" in refused.get_data(as_text=True)
    stranger = signed_in(app, "head_gddt")
    stranger.get("/", follow_redirects=True)
    assert stranger.client.get(f"/cases/{case['id']}/files/{file_id}").status_code == 404
    assert stranger.post(f"/cases/{case['id']}/comments", {"text": "x"}).status_code == 404
    no_token = signed_in(app, "hr").client.post(f"/cases/{case['id']}/comments", data={"text": "x"})
    assert no_token.status_code == 400  # CSRF, as every form of the pages


def test_the_auditors_verification_page_lists_a_file_changed_on_disk(app, auth):
    case = start_training(auth)
    hr = signed_in(app, "hr")
    hr.get(f"/cases/{case['id']}")
    send_file(hr, case["id"], samples.pdf(), "Biên bản.pdf")
    auditor = signed_in(app, "auditor")
    auditor.get("/audit/verify")
    html = auditor.post("/audit/verify", status=200).get_data(as_text=True)
    assert "Số tệp đã băm lại để kiểm tra: 1" in html and "file_changed" not in html
    (path,) = kept(app)
    path.chmod(0o640)
    path.write_bytes(samples.pdf("đã sửa"))
    html = auditor.post("/audit/verify", status=200).get_data(as_text=True)
    assert "file_changed" in html and f"#{case['id']}" in html and "Biên bản.pdf" in html
