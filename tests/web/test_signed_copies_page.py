"""The case page's signed copies: an upload form for whoever signs off the process's papers, who
signed beside a verified copy — "lúc …" only for a time a trusted timestamp proves, else the signing
tool's time said to be unproven and when the signature was checked — and a refused copy said in the
reader's language."""
from __future__ import annotations

import io

from tests.api.test_files import attached, kept
from tests.api.test_signed_documents import signed_decision, trusted  # noqa: F401  (a fixture)
from tests.engine.files import pki
from tests.engine.files.test_signatures import BACK_THEN, CITY_ROOT, CITY_TSA, LAPSED
from tests.helpers import start_training
from tests.web.support import signed_in, text_of, unlabelled_controls


def send_signed(page, case_id, content, signed_of=""):  # type: ignore[no-untyped-def]
    return page.post(f"/cases/{case_id}/signed-documents",
                     {"file": (io.BytesIO(content), "QD_12_da_ky.pdf"), "signed_of": str(signed_of)},
                     content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)


def test_hr_uploads_the_signed_decision_and_the_case_shows_who_signed_it_and_when(trusted, auth):  # noqa: F811
    case = start_training(auth)
    content = pki.decision_pdf()
    draft = attached(auth, "hr", case["id"], content, "QD_12.pdf")
    page = signed_in(trusted, "hr")
    html = page.get(f"/cases/{case['id']}")
    assert "Tải lên bản đã ký số" in html and unlabelled_controls(html) == []
    assert f'<option value="{draft["id"]}">QD_12.pdf</option>' in html

    shown = text_of(send_signed(page, case["id"], signed_decision(content), draft["id"]))
    assert "Bản đã ký đã được kiểm tra chữ ký và đính kèm vào hồ sơ." in shown
    # the signing tool's time is its word: shown as such, beside when talentflow checked the signature
    assert ("Đã ký bởi Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng; phần mềm ký ghi thời điểm 02/03/2026 08:30 "
            "(chưa được xác thực); chữ ký được kiểm tra lúc 02/03/2026 09:00") in shown
    assert "Đã kiểm tra chữ ký bản ký số" in shown  # the timeline names the event

    page.client.get("/lang/en")
    shown = text_of(page.get(f"/cases/{case['id']}"))
    assert ("Signed by Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng; the signing tool states 02/03/2026 08:30 "
            "(not proven); signature verified on 02/03/2026 09:00") in shown


def test_a_time_proven_by_a_trusted_timestamp_is_shown_as_the_time_of_signing(trusted, auth):  # noqa: F811
    case = start_training(auth)
    content = pki.decision_pdf()
    draft = attached(auth, "hr", case["id"], content, "QD_12.pdf")
    page = signed_in(trusted, "hr")
    page.get(f"/cases/{case['id']}")
    stamped = pki.sign(content, LAPSED, CITY_ROOT, when=BACK_THEN, stamped_by=CITY_TSA)
    shown = text_of(send_signed(page, case["id"], stamped, draft["id"]))
    assert "Đã ký bởi Trần Văn Cũ, UBND thành phố Hải Phòng lúc 18/10/2024 16:00 (được dấu thời gian tin cậy " \
           "xác nhận)" in shown


def test_a_backdated_copy_or_the_copy_of_another_pdf_is_refused_on_the_page(trusted, auth):  # noqa: F811
    case = start_training(auth)
    draft = attached(auth, "hr", case["id"], pki.decision_pdf(), "QD_12.pdf")
    page = signed_in(trusted, "hr")
    page.get(f"/cases/{case['id']}")
    shown = text_of(send_signed(page, case["id"], signed_decision(), draft["id"]))
    assert ("Bản đã ký không được chấp nhận: tệp không phải là bản đã ký của tệp PDF đã chọn: phần trước chữ ký "
            "phải trùng khớp hoàn toàn với tệp đó.") in shown
    backdated = pki.sign(pki.decision_pdf(), LAPSED, CITY_ROOT, when=BACK_THEN)
    shown = text_of(send_signed(page, case["id"], backdated))
    assert "chứng thư số của người ký không có hiệu lực vào thời điểm được tính" in shown
    assert len(kept(trusted)) == 1  # the draft alone


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
