"""The case page's signed copies: an upload form for whoever signs off the process's papers, "Đã ký
bởi … lúc …" beside a verified copy, and a refused copy said in the reader's language."""
from __future__ import annotations

import io

from tests.api.test_files import attached, kept
from tests.api.test_signed_documents import signed_decision, trusted  # noqa: F401  (a fixture)
from tests.engine.files import pki
from tests.helpers import start_training
from tests.web.support import signed_in, text_of, unlabelled_controls


def send_signed(page, case_id, content, signed_of=""):  # type: ignore[no-untyped-def]
    return page.post(f"/cases/{case_id}/signed-documents",
                     {"file": (io.BytesIO(content), "QD_12_da_ky.pdf"), "signed_of": str(signed_of)},
                     content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_hr_uploads_the_signed_decision_and_the_case_shows_who_signed_it_and_when(trusted, auth):  # noqa: F811
    case = start_training(auth)
    draft = attached(auth, "hr", case["id"], pki.decision_pdf(), "QD_12.pdf")
    page = signed_in(trusted, "hr")
    html = page.get(f"/cases/{case['id']}")
    assert "Tải lên bản đã ký số" in html and unlabelled_controls(html) == []
    assert f'<option value="{draft["id"]}">QD_12.pdf</option>' in html

    shown = text_of(send_signed(page, case["id"], signed_decision(), draft["id"]))
    assert "Bản đã ký đã được kiểm tra chữ ký và đính kèm vào hồ sơ." in shown
    assert "Đã ký bởi Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng lúc 02/03/2026 08:30" in shown
    assert "Đã kiểm tra chữ ký bản ký số" in shown  # the timeline names the event

    page.client.get("/lang/en")
    shown = text_of(page.get(f"/cases/{case['id']}"))
    assert "Signed by Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng on 02/03/2026 08:30" in shown


def test_an_altered_copy_is_refused_on_the_page_and_nothing_is_kept(trusted, auth):  # noqa: F811
    case = start_training(auth)
    page = signed_in(trusted, "hr")
    page.get(f"/cases/{case['id']}")
    altered = signed_decision().replace(b"so 12/QD-UBND", b"so 13/QD-UBND")
    shown = text_of(send_signed(page, case["id"], altered))
    assert ("Bản đã ký không được chấp nhận: chữ ký không khớp với văn bản: tệp PDF đã bị sửa sau khi ký, "
            "hoặc chữ ký bị hỏng.") in shown
    shown = text_of(send_signed(page, case["id"], pki.decision_pdf()))
    assert "tệp không phải là PDF có chữ ký số" in shown
    assert kept(trusted) == []


def test_a_mentor_with_an_open_task_sees_no_signed_copy_form(trusted, auth):  # noqa: F811
    case = start_training(auth)
    html = signed_in(trusted, "expert1").get(f"/cases/{case['id']}")
    assert "Đính kèm tệp" in text_of(html) and "Tải lên bản đã ký số" not in html
