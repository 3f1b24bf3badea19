"""The case page's official documents: whoever may generate a document the case offers presses
"Tạo văn bản", and the case lists it with its number, date, the Word file and the PDF to
download, and who signed it once the signed copy is back; a second press, or a person who may
not generate, changes nothing and is told why in their language."""
from __future__ import annotations

import io
import re

from engine.store.models import CaseDocument, CaseFile, DocumentNumber
from engine.time import clock
from tests.api.support import count, unchanged
from tests.api.test_documents import recognised_by_council
from tests.api.test_signed_documents import signed_decision, trusted  # noqa: F401  (a fixture)
from tests.workflows import papers
from tests.web.support import signed_in, text_of, unlabelled_controls

GENERATE = '<input type="hidden" name="kind" value="recognition_decision">'


def documents_section(html: str) -> str:
    found = re.search(r'<section aria-labelledby="h-documents".*?</section>', html, flags=re.S)
    assert found, "the case page lists no documents"
    return found.group(0)


def links(section: str) -> dict[str, str]:
    """Link text -> where it goes, in the documents' list."""
    return {text_of(label): href for href, label in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', section, re.S)}


def test_the_approver_generates_the_recognition_decision_from_the_case_page_and_downloads_its_pdf(
        trusted, auth, store):  # noqa: F811
    papers.require_tools()
    case_id = recognised_by_council(auth)
    page = signed_in(trusted, "approver")
    html = page.get(f"/cases/{case_id}")
    assert GENERATE in html and unlabelled_controls(html) == []
    assert "Tạo văn bản" in text_of(documents_section(html))
    assert "Quyết định công nhận nhân tài" in text_of(documents_section(html))

    shown = page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                      follow_redirects=True).get_data(as_text=True)
    assert ("Đã tạo Quyết định công nhận nhân tài số 1/QĐ-UBND: tệp Word và tệp PDF nằm trong các tệp "
            "của hồ sơ.") in text_of(shown)
    listed = documents_section(shown)
    assert "Quyết định công nhận nhân tài Số 1/QĐ-UBND 02/03/2026" in text_of(listed)
    assert GENERATE not in shown  # generated once: the button is gone
    found = links(listed)
    assert set(found) == {"Word (DOCX)", "PDF"}
    pdf = page.client.get(found["PDF"])
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    docx = page.client.get(found["Word (DOCX)"])
    assert docx.status_code == 200 and docx.get_data().startswith(b"PK")

    with unchanged(store):  # a second press, e.g. from a page opened before the first
        again = page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"}, follow_redirects=True)
        assert again.status_code == 200
        assert ("Văn bản này đã được tạo trước đó: văn bản có trong danh sách văn bản của hồ sơ, không cấp số "
                "mới.") in text_of(again.get_data(as_text=True))
    assert count(store, CaseDocument) == 1 and count(store, CaseFile) == 2
    assert count(store, DocumentNumber) == 1

    # the signed copy: the generated PDF is offered first, and the list says who signed it and when
    pdf_id = int(found["PDF"].rstrip("/").rsplit("/", 1)[1])
    choice = re.search(r'<select id="signed-of" name="signed_of">.*?</select>', shown, re.S).group(0)
    options = re.findall(r'<option value="(\d+)">([^<]*)</option>', choice)
    assert options[0] == (str(pdf_id), f"Quyết định công nhận nhân tài, số 1/QĐ-UBND "
                                        f"(recognition_decision_1_2026.pdf)")
    now = clock.now()  # the chairman signs the downloaded PDF itself, after it was generated
    signed = page.post(f"/cases/{case_id}/signed-documents",
                       {"file": (io.BytesIO(signed_decision(pdf.get_data(), when=now)), "QD_1_da_ky.pdf"),
                        "signed_of": str(pdf_id)},
                       content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    at = now.astimezone(clock.CITY_ZONE).strftime("%d/%m/%Y %H:%M")
    assert (f"Đã ký bởi Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng; phần mềm ký ghi thời điểm {at} "
            f"(chưa được xác thực); chữ ký được kiểm tra lúc {at}") in text_of(documents_section(signed))

    page.client.get("/lang/en")
    english = text_of(documents_section(page.get(f"/cases/{case_id}")))
    assert "Recognition decision No. 1/QĐ-UBND 02/03/2026" in english
    assert (f"Signed by Nguyễn Văn Chủ Tịch, UBND thành phố Hải Phòng; the signing tool states {at} (not proven); "
            f"signature verified on {at}") in english


def test_hr_generates_too_and_a_council_member_sees_no_button_and_is_refused_in_their_language(
        app, auth, store, monkeypatch):
    case_id = recognised_by_council(auth)
    documents = app.extensions["talentflow"].documents
    monkeypatch.setattr(documents, "convert", lambda docx: b"%PDF-1.4\n%%EOF\n")  # here: who may, not the PDF

    member = signed_in(app, "member1")
    html = member.get(f"/cases/{case_id}")
    assert "Tạo văn bản" not in html and GENERATE not in html
    with unchanged(store):
        refused = member.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                              follow_redirects=True).get_data(as_text=True)
        assert "Bạn không có quyền tạo văn bản này." in text_of(refused)
    assert count(store, CaseDocument) == 0 and count(store, DocumentNumber) == 0

    hr = signed_in(app, "hr")
    assert GENERATE in hr.get(f"/cases/{case_id}")
    shown = text_of(hr.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                            follow_redirects=True).get_data(as_text=True))
    assert "Đã tạo Quyết định công nhận nhân tài số 1/QĐ-UBND" in shown
    listed = text_of(documents_section(member.get(f"/cases/{case_id}")))  # the member sees what was issued
    assert "Số 1/QĐ-UBND" in listed and "Tạo văn bản" not in listed


def test_without_libreoffice_the_page_says_so_and_issues_nothing(app, auth, store, monkeypatch):
    case_id = recognised_by_council(auth)
    documents = app.extensions["talentflow"].documents
    monkeypatch.setattr(documents, "soffice", "no-such-soffice")
    monkeypatch.setattr(documents, "convert", None)
    page = signed_in(app, "hr")
    page.get(f"/cases/{case_id}")
    with unchanged(store):
        shown = text_of(page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                                  follow_redirects=True).get_data(as_text=True))
    assert "Không thể tạo tệp PDF: máy chủ chưa cài LibreOffice." in shown
    assert count(store, CaseDocument) == 0 and count(store, CaseFile) == 0 and count(store, DocumentNumber) == 0
    page.client.get("/lang/en")
    shown = text_of(page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                              follow_redirects=True).get_data(as_text=True))
    assert "The PDF cannot be made: LibreOffice is not installed on the server." in shown


def test_a_decision_recorded_outside_talentflow_or_an_unknown_kind_is_refused_in_the_readers_language(
        app, auth, store, monkeypatch):
    from tests.helpers import complete, ready_task

    case_id = recognised_by_council(auth)
    monkeypatch.setattr(app.extensions["talentflow"].documents, "convert", lambda docx: b"%PDF-1.4\n%%EOF\n")
    case = auth.as_("approver").get(f"/api/v1/cases/{case_id}").get_json()
    complete(auth, "approver", ready_task(case, "recognition_decision")["id"],
             {"decision": "recognised", "decision_no": "512/QĐ-UBND", "decision_date": "2026-04-15"})
    page = signed_in(app, "hr")
    page.get(f"/cases/{case_id}")
    with unchanged(store):
        shown = text_of(page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                                  follow_redirects=True).get_data(as_text=True))
        assert "Quyết định này đã được ghi nhận với số cấp ngoài talentflow" in shown
        unknown = text_of(page.post(f"/cases/{case_id}/documents", {"kind": "foo"},
                                    follow_redirects=True).get_data(as_text=True))
        assert "Chọn văn bản cần tạo." in unknown  # 422: no such document
    assert count(store, CaseDocument) == 0 and count(store, DocumentNumber) == 0
    page.client.get("/lang/en")
    shown = text_of(page.post(f"/cases/{case_id}/documents", {"kind": "recognition_decision"},
                              follow_redirects=True).get_data(as_text=True))
    assert "This decision was already recorded with a number given outside talentflow" in shown
