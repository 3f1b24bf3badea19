"""A task form with a file field on the task page: the file goes up with the form, is kept for the
task, and a refused submit keeps it for the next try (the unit head answering hr's request for a
supplement with the scan of the prize certificate)."""
from __future__ import annotations

import io
import re

from sqlalchemy import select

from engine.store.models import CaseFile
from tests.api.support import count
from tests.engine.files import samples
from tests.web.support import signed_in, text_of, unlabelled_controls
from tests.api.test_file_fields import supplement_requested

NOTE = "Gửi bản chụp giấy chứng nhận giải Nhất"


def files_of_task(store, task_id):  # type: ignore[no-untyped-def]
    with store.read() as session:
        return list(session.execute(select(CaseFile.id, CaseFile.name).where(CaseFile.task_id == task_id)).all())


def test_the_task_page_takes_the_file_with_the_form_and_completes_the_task(app, auth, store):
    case_id, task_id = supplement_requested(auth)
    page = signed_in(app, "head_khcn")
    html = page.get(f"/tasks/{task_id}")
    assert 'enctype="multipart/form-data"' in html and unlabelled_controls(html) == []
    [file_input] = re.findall(r'<input type="file"[^>]*>', html)
    assert 'name="supplement_file"' in file_input and 'accept=".pdf,application/pdf,.jpg,image/jpeg' in file_input
    assert "Bản chụp minh chứng" in html

    response = page.post(f"/tasks/{task_id}", {"supplement_note": NOTE,
                                               "supplement_file": (io.BytesIO(samples.pdf("giai Nhat")),
                                                                   "Giấy chứng nhận.pdf")},
                         content_type="multipart/form-data", status=302)
    assert response.headers["Location"] == f"/cases/{case_id}"
    [(file_id, name)] = files_of_task(store, task_id)
    data = auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert data["supplement_file"]["file_id"] == file_id and name == "Giấy chứng nhận.pdf"
    assert data["supplement_note"] == NOTE
    assert "Giấy chứng nhận.pdf" in page.get(f"/cases/{case_id}")  # listed among the case's files


def test_a_refused_submit_keeps_the_uploaded_file_for_the_next_try(app, auth, store):
    case_id, task_id = supplement_requested(auth)
    page = signed_in(app, "head_khcn")
    page.get(f"/tasks/{task_id}")
    refused = page.post(f"/tasks/{task_id}", {"supplement_note": "",  # the note is required
                                              "supplement_file": (io.BytesIO(samples.png()), "bang.png")},
                        content_type="multipart/form-data", status=422)
    html = refused.get_data(as_text=True)
    [(file_id, _name)] = files_of_task(store, task_id)  # kept for the task: its own step
    assert "Đã tải lên: bang.png" in text_of(html)
    assert f'name="supplement_file-file_id" value="{file_id}"' in html
    assert re.search(r'<ul class="field-errors" id="f-supplement_note-err">', html)
    assert auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["tasks"][0]["element_id"] == "supplement_dossier"

    page.token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    page.post(f"/tasks/{task_id}", {"supplement_note": NOTE, "supplement_file-file_id": str(file_id)},
              content_type="multipart/form-data", status=302)  # no new upload: the kept file is named
    assert files_of_task(store, task_id) == [(file_id, "bang.png")]
    data = auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["data"]
    assert data["supplement_file"]["file_id"] == file_id and data["supplement_file"]["kind"] == "png"


def test_a_file_of_a_kind_not_kept_is_said_next_to_its_input_and_nothing_is_completed(app, auth, store):
    case_id, task_id = supplement_requested(auth)
    page = signed_in(app, "head_khcn")
    page.get(f"/tasks/{task_id}")
    response = page.post(f"/tasks/{task_id}", {"supplement_note": NOTE,
                                               "supplement_file": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "bang.pdf")},
                         content_type="multipart/form-data", status=422)
    html = response.get_data(as_text=True)
    errors = html.split('id="f-supplement_file-err"')[1].split("</ul>")[0]
    assert "chỉ nhận tệp PDF, Word (.docx), Excel (.xlsx), JPEG và PNG" in text_of(errors)
    assert files_of_task(store, task_id) == [] and count(store, CaseFile, CaseFile.case_id == case_id) == 0
    assert auth.as_("hr").get(f"/api/v1/cases/{case_id}").get_json()["tasks"][0]["element_id"] == "supplement_dossier"


def test_a_forged_kept_id_is_refused_beside_the_field(app, auth):
    """Another case's file named in the hidden input: the completion refuses it, in the form's words."""
    other_case, other_task = supplement_requested(auth)
    from tests.api.test_files import attached
    elsewhere = attached(auth, "head_khcn", other_case, samples.pdf(), task_id=other_task)
    _case_id, task_id = supplement_requested(auth)
    page = signed_in(app, "head_khcn")
    page.get(f"/tasks/{task_id}")
    html = page.post(f"/tasks/{task_id}", {"supplement_note": NOTE, "supplement_file-file_id": str(elsewhere["id"])},
                     content_type="multipart/form-data", status=422).get_data(as_text=True)
    assert "không phải tệp đã tải lên cho công việc này" in html.split('id="f-supplement_file-err"')[1]
    assert "supplement_file-file_id" not in html  # not shown as kept: it is no file of this task
