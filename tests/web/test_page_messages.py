"""Every error a page can show, in Vietnamese on a Vietnamese page and in English on an English one.

Each process's start form and a task form of each kind are posted empty, with values of the wrong
kind (letters for numbers, an unknown choice, an impossible date, a text over its length) and out
of range; the refusals are reached as people reach them (a nominator starting an exam, a task
completed meanwhile, a task someone else claimed, a page that does not exist). Whatever the error
areas then say is judged by :mod:`tests.web.said`; the test fails on the first English sentence a
Vietnamese page shows, naming it and the path that showed it.
"""
from __future__ import annotations

from typing import Any, Iterator

from api.web.pages.formfields import kind_of
from tests.helpers import complete, ready_task, start_training
from tests.web.said import messages_in, not_english, not_vietnamese
from tests.web.support import Page, csrf_of, signed_in
from tests.workflows.exam_support import close_registration, plan, start_exam, task_of
from workflows import form_schema, policy_for

#: Who starts each process in the tests' directory.
STARTERS = {"training_nomination": "head_khcn", "talent_nomination": "head_khcn",
            "leadership_exam": "hr", "annual_talent_review": "hr"}


def _bad(node: dict[str, Any], how: str) -> str | None:
    """A value of the wrong kind ("kind") or out of range ("range") for an input, or None to leave it."""
    kind = kind_of(node)
    if kind in ("integer", "number"):
        if how == "kind":
            return "abc"
        return str(node["maximum"] + 1) if "maximum" in node else "-1" if "minimum" in node else None
    if how == "range":
        return None
    if kind in ("select", "radio"):
        return "not-a-choice"
    if kind == "date":
        return "31/02/2026"
    if kind in ("text", "textarea") and "maxLength" in node:
        return "x" * (node["maxLength"] + 1)
    return None


def bad_posts(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """The form posted empty, with values of the wrong kind, and out of range (a list with one row)."""
    yield "empty", {}
    for how in ("kind", "range"):
        posted: dict[str, str] = {}
        for key, node in (schema.get("properties") or {}).items():
            items = node.get("items") or {}
            if node.get("type") == "array" and items.get("type") == "object":
                posted[f"{key}-rows"] = "1"
                for col, col_node in (items.get("properties") or {}).items():
                    if (value := _bad(col_node, how)) is not None:
                        posted[f"{key}-0-{col}"] = value
            elif (value := _bad(node, how)) is not None:
                posted[key] = value
        if any(not k.endswith("-rows") for k in posted):  # a form with no number has no "out of range"
            yield how, posted


def shown(page: Page, path: str, data: dict[str, Any], follow: bool = False) -> tuple[int, list[str]]:
    response = page.post(path, data, follow_redirects=follow)
    return response.status_code, messages_in(response.get_data(as_text=True), response.status_code)


def assert_in_the_page_language(seen: dict[str, list[str]], language: str) -> None:
    assert any(seen.values()), "no error area said anything: the paths did not reach their errors"
    if language == "vi":
        wrong = {path: bad for path, messages in seen.items() if (bad := not_vietnamese(messages))}
    else:
        wrong = {path: bad for path, messages in seen.items() if (bad := not_english(messages))}
    assert wrong == {}, f"{language} pages show messages in another language: {wrong}"


def in_language(page: Page, language: str) -> Page:
    page.client.get(f"/lang/{language}")
    return page


def start_form_errors(app: Any, language: str) -> dict[str, list[str]]:
    seen = {}
    for process, starter in STARTERS.items():
        page = in_language(signed_in(app, starter), language)
        page.get(f"/cases/new/{process}")
        schema = form_schema(policy_for(process).start_form)
        for how, posted in bad_posts(schema):
            status, messages = shown(page, f"/cases/new/{process}", posted)
            assert status == 422 and messages, (process, how, status)
            seen[f"start {process} ({how})"] = messages
    return seen


def test_start_forms_refused_on_a_vietnamese_page_say_why_in_vietnamese(app):
    seen = start_form_errors(app, "vi")
    assert_in_the_page_language(seen, "vi")
    assert "Thiếu dữ liệu của trường bắt buộc." in seen["start training_nomination (empty)"]
    assert "Phải lớn hơn hoặc bằng 2000 và nhỏ hơn hoặc bằng 2100." in seen["start annual_talent_review (range)"]


def test_the_same_start_forms_on_an_english_page_say_it_in_english(app):
    seen = start_form_errors(app, "en")
    assert_in_the_page_language(seen, "en")
    assert "Missing data for required field." in seen["start training_nomination (empty)"]
    assert "Not a valid integer." in seen["start annual_talent_review (kind)"]


def rules_and_refusals(app: Any, auth: Any, service: Any, manual_clock: Any, language: str) -> dict[str, list[str]]:
    """A process's own rules (unknown unit, a council of the wrong size) and the engine's refusals."""
    seen: dict[str, list[str]] = {}
    hr = in_language(signed_in(app, "hr"), language)
    hr.get("/cases/new/training_nomination")
    training = {"talent_name": "Nguyễn Văn Khoa", "unit": "SYT", "course": "Lớp AI", "field_of_study": "management",
                "mentor": "expert1"}
    seen["unknown unit"] = shown(hr, "/cases/new/training_nomination", training)[1]
    exam = plan()
    posted = {k: v for k, v in exam.items() if k != "council"} | {"first_appointment": "1", "council-rows": "2"}
    posted |= {"council-0-username": "chair", "council-0-seat": "chair",
               "council-1-username": "secretary", "council-1-seat": "secretary"}
    seen["council too small"] = shown(hr, "/cases/new/leadership_exam", posted)[1]
    nominator = in_language(signed_in(app, "nominator"), language)
    nominator.get("/cases/new/leadership_exam", status=403)
    posted["council-rows"] = str(len(exam["council"]))
    posted |= {f"council-{i}-{k}": v for i, row in enumerate(exam["council"]) for k, v in row.items()}
    seen["not allowed to start"] = shown(nominator, "/cases/new/leadership_exam", posted, follow=True)[1]
    head = in_language(signed_in(app, "head_khcn"), language)
    head.get("/cases/new/training_nomination")
    seen["not for this unit"] = shown(head, "/cases/new/training_nomination", {**training, "unit": "SGDDT"})[1]

    case = start_training(auth)
    task = ready_task(case, "mentor_assessment")
    expert = in_language(signed_in(app, "expert1"), language)
    schema = form_schema(task["form_key"])
    expert.get(f"/tasks/{task['id']}")
    for how, bad in bad_posts(schema):
        status, seen[f"task {task['form_key']} ({how})"] = shown(expert, f"/tasks/{task['id']}", bad)
        assert status == 422, (how, status)
    seen["too long"] = shown(expert, f"/tasks/{task['id']}", {"mentor_comment": "x" * 5000})[1]
    other = in_language(signed_in(app, "head_gddt"), language)
    other.get("/")
    seen["not theirs to claim"] = shown(other, f"/tasks/{task['id']}/claim", {}, follow=True)[1]
    complete(auth, "expert1", task["id"], {"recommendation": "support", "mentor_comment": "Tốt"})
    seen["completed meanwhile"] = shown(expert, f"/tasks/{task['id']}",
                                        {"recommendation": "support", "mentor_comment": "Tốt"}, follow=True)[1]
    response = expert.client.get("/tasks/00000000-0000-0000-0000-000000000000")
    seen["not found"] = messages_in(response.get_data(as_text=True), response.status_code)

    exam_case = start_exam(auth)
    close_registration(auth, service, manual_clock)
    screening = task_of(auth, "hr", exam_case["id"], "screen_applications")
    hr = in_language(signed_in(app, "hr"), language)
    hr.get(f"/tasks/{screening['id']}")
    for how, bad in bad_posts(form_schema(screening["form_key"])):
        status, seen[f"task {screening['form_key']} ({how})"] = shown(hr, f"/tasks/{screening['id']}", bad)
        assert status == 422, (how, status)
    return seen


def test_rules_and_refusals_on_a_vietnamese_page_are_said_in_vietnamese(app, auth, service, manual_clock):
    seen = rules_and_refusals(app, auth, service, manual_clock, "vi")
    assert_in_the_page_language(seen, "vi")
    assert "Không có đơn vị “SYT”." in seen["unknown unit"]
    assert any("thành viên" in m for m in seen["council too small"])  # the rule's Vietnamese half
    assert any("Bạn không được khởi tạo quy trình này." in m for m in seen["not allowed to start"])
    assert "Bạn không được khởi tạo quy trình này cho đơn vị đã chọn." in seen["not for this unit"]
    assert seen["not theirs to claim"] == [
        "Không nhận được công việc: Không có công việc hoặc hồ sơ này, hoặc bạn không có quyền xem."]
    assert any("Nhiệm vụ không còn mở" in m for m in seen["completed meanwhile"])
    assert seen["not found"], "the not-found page says nothing"


def test_the_same_rules_and_refusals_on_an_english_page_are_said_in_english(app, auth, service, manual_clock):
    seen = rules_and_refusals(app, auth, service, manual_clock, "en")
    assert_in_the_page_language(seen, "en")
    assert "There is no unit “SYT”." in seen["unknown unit"]
    assert any("You may not start this process." in m for m in seen["not allowed to start"])
    assert "You may not start this process for the unit you chose." in seen["not for this unit"]
    assert any("The task is no longer open" in m for m in seen["completed meanwhile"])


def refusals_said(app: Any, language: str) -> dict[str, str]:
    """Each refusal the engine and the processes raise, as a page would say it in ``language``."""
    from flask import session

    from api.web.messages import REFUSALS, refusal
    from engine.errors import Conflict, EngineError, Forbidden, Invalid, NotFound, TooLarge

    raised = [Conflict("case 12 was changed by another request; reload and retry", code=code) for code in REFUSALS]
    raised += [Forbidden("you may not start a leadership_exam case for unit SKHCN"), NotFound("task x not found"),
               Conflict("task is claimed by someone else"), TooLarge("the file is larger than the limit"),
               Invalid("declare relations with the candidates first"), EngineError("something nobody worded")]
    with app.test_request_context("/"):
        session["lang"] = language
        return {f"{type(err).__name__} {err.code}": refusal(err) for err in raised}


def test_every_refusal_code_and_an_unknown_one_are_said_in_the_page_language(app):
    vi = refusals_said(app, "vi")
    assert not_vietnamese(list(vi.values())) == {}
    assert vi["Conflict stale_case"] == "Người khác vừa thay đổi hồ sơ cùng lúc; hãy tải lại trang và thử lại."
    assert vi["EngineError bad_request"] == "Có giá trị không được chấp nhận."  # never the raw English
    assert vi["Conflict duplicate_planned_child"] == ("Bước này sẽ khởi tạo hai hồ sơ con cùng một mã nghiệp vụ; "
                                                      "không có gì thay đổi.")
    en = refusals_said(app, "en")
    assert not_english(list(en.values())) == []
    assert en["Conflict claimed_by_other"] == "Someone else has claimed this task."
    assert en["EngineError bad_request"] == "A value is not accepted: something nobody worded"


def test_a_form_kept_open_past_its_session_is_refused_in_the_page_language_without_flask_wtf_s_english(
        app, manual_clock):
    from datetime import timedelta

    hr = signed_in(app, "hr")
    old_token = csrf_of(hr.get("/account/settings"))
    manual_clock.advance(timedelta(hours=13))  # the session ends (12 h); hr signs in again in another tab
    hr.login("hr")
    hr.get("/")
    said = {}
    for language in ("vi", "en"):
        in_language(hr, language)
        stale = hr.client.post("/account/settings", data={"csrf_token": old_token, "email": "hr@haiphong.example",
                                                          "language": "vi", "notify": "off"})
        missing = hr.client.post("/account/settings", data={"email": "hr@haiphong.example"})
        assert stale.status_code == missing.status_code == 400
        said[language] = [*messages_in(stale.get_data(as_text=True), 400),
                          *messages_in(missing.get_data(as_text=True), 400)]
    assert said["vi"] == [
        "Biểu mẫu đã hết hạn hoặc không xuất phát từ trang này (biểu mẫu thuộc một phiên làm việc trước; đồng chí "
        "đã đăng nhập lại sau đó). Hãy quay lại, tải lại trang và thử lại.",
        "Biểu mẫu đã hết hạn hoặc không xuất phát từ trang này (biểu mẫu không có mã bảo mật). Hãy quay lại, tải "
        "lại trang và thử lại."]
    assert not_vietnamese(said["vi"]) == {} and not_english(said["en"]) == []
    assert said["en"][0] == ("The form expired or did not come from this site (the form belongs to an earlier "
                             "session; you have signed in again since). Go back, reload the page and try again.")
    assert "CSRF" not in " ".join(said["vi"] + said["en"])


def test_every_csrf_reason_flask_wtf_gives_and_an_unknown_one_are_said_in_the_page_language(app):
    from flask import session

    from api.web.messages import CSRF_REASONS, csrf_refusal

    reasons = [*CSRF_REASONS, "The CSRF token is from the future."]
    for language in ("vi", "en"):
        with app.test_request_context("/"):
            session["lang"] = language
            said = [csrf_refusal(reason) for reason in reasons]
        assert len(set(said)) == len(reasons)
        if language == "vi":
            assert not_vietnamese(said) == {} and not any("CSRF" in s for s in said)
            assert said[-1] == ("Biểu mẫu đã hết hạn hoặc không xuất phát từ trang này. Hãy quay lại, tải lại trang "
                                "và thử lại.")
        else:
            assert not_english(said) == [] and "(The CSRF token is from the future.)" in said[-1]
