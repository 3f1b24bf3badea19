"""Council members chosen from the people of the directory, by name, not typed as sign-in names."""
from __future__ import annotations

import re

from tests.web.sheet_exam import known_as
from tests.web.support import signed_in, text_of, unlabelled_controls
from tests.workflows.exam_support import (close_registration, declare, plan, screen, start_exam, task_of)
from tests.helpers import ready_task

API = "/api/v1"


def options_of(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select [^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return [(v, t) for v, t in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)) if v]


def test_hr_chooses_the_council_from_people_by_their_names(app, auth):
    known_as(app, "secretary", "Phạm Thị Thu")
    known_as(app, "chair", "Đỗ Văn Chính")
    hr = signed_in(app, "hr")
    html = hr.get("/cases/new/leadership_exam")
    people = options_of(html, "council-1-username")
    assert ("secretary", "Phạm Thị Thu") in people and ("chair", "Đỗ Văn Chính") in people
    assert [t for _v, t in people].index("Đỗ Văn Chính") < [t for _v, t in people].index("Phạm Thị Thu")  # by name
    assert "nobody" in dict(people)  # every active person may sit on a council
    assert unlabelled_controls(html) == []
    data = plan()
    posted = {k: v for k, v in data.items() if k != "council"} | {"first_appointment": "1",
                                                                  "council-rows": str(len(data["council"]))}
    posted |= {f"council-{i}-{k}": v for i, row in enumerate(data["council"]) for k, v in row.items()}
    response = hr.post("/cases/new/leadership_exam", posted, status=302)
    case = auth.as_("hr").get(f"{API}/cases/{response.headers['Location'].rsplit('/', 1)[1]}").get_json()
    assert [s["username"] for s in case["data"]["council"]] == [s["username"] for s in data["council"]]


def test_the_api_still_takes_usernames_and_refuses_an_unknown_one(app, auth):
    council = plan()["council"]
    council[4] = {"username": "ghost", "seat": "member"}
    response = auth.as_("hr").post(f"{API}/cases", json={"process": "leadership_exam",
                                                         "data": plan(council=council)})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["details"] == {"council": {"4": {"username": ["unknown user 'ghost'"]}}}
    hr = signed_in(app, "hr")
    hr.get("/cases/new/leadership_exam")
    posted = {k: v for k, v in plan().items() if k != "council"} | {"first_appointment": "1", "council-rows": "5"}
    posted |= {f"council-{i}-{k}": v for i, row in enumerate(council) for k, v in row.items()}
    html = hr.post("/cases/new/leadership_exam", posted, status=422).get_data(as_text=True)
    assert "Không có người dùng “ghost”." in text_of(html)


def test_the_replacement_form_names_the_member_replaced_and_offers_people(app, auth, service, manual_clock):
    known_as(app, "member1", "Hoàng Văn Một")
    known_as(app, "member4", "Bùi Thị Bốn")
    case_id = start_exam(auth)["id"]
    close_registration(auth, service, manual_clock)
    screen(auth, case_id, "TS01", "TS02")
    declare(auth, "member1", case_id, [{"candidate_code": "TS01", "relation": "spouse"}])
    for member in ("chair", "secretary", "member2", "member3"):
        declare(auth, member, case_id)
    task = task_of(auth, "hr", case_id, "replace_members")
    html = signed_in(app, "hr").get(f"/tasks/{task['id']}")
    assert '<span class="fixed-cell" id="f-replacements-0-replaced">Hoàng Văn Một</span>' in html
    assert 'type="hidden" name="replacements-0-replaced" value="member1"' in html
    assert ("member4", "Bùi Thị Bốn") in options_of(html, "replacements-0-replacement")
    assert unlabelled_controls(html) == []


def ticked(html: str, name: str) -> dict[str, bool]:
    """The boxes of a list of people ticked by name: username -> ticked."""
    boxes = re.findall(rf'<input type="checkbox" id="[^"]*" name="{name}" value="([^"]*)" ([^>]*)>', html)
    assert boxes, f"no boxes {name}"
    return {value: "checked" in rest for value, rest in boxes}


def test_hr_ticks_the_appraisal_council_by_name_and_a_refused_form_keeps_the_ticks(app, auth):
    from tests.workflows.test_talent_nomination import nominate

    known_as(app, "member1", "Hoàng Văn Một")
    known_as(app, "member2", "Lê Thị Hai")
    known_as(app, "member3", "Đinh Văn Ba")
    case = nominate(auth)
    task = ready_task(case, "verify_dossier")["id"]
    hr = signed_in(app, "hr")
    html = hr.get(f"/tasks/{task}")
    boxes = ticked(html, "council_members")
    assert "member1" in boxes and not any(boxes.values())
    assert "Hoàng Văn Một" in text_of(html) and "Lê Thị Hai" in text_of(html)
    assert unlabelled_controls(html) == []
    # not verified and no reason: refused, and the two people ticked stay ticked
    three = {"council_members": ["member1", "member2", "member3"]}  # boxes of one name, as a browser posts them
    refused = hr.post(f"/tasks/{task}", {"verification_result": "rejected", **three}, status=422).get_data(as_text=True)
    assert {u for u, on in ticked(refused, "council_members").items() if on} == {"member1", "member2", "member3"}
    hr.post(f"/tasks/{task}", {"verification_result": "verified", **three}, status=302)
    after = auth.as_("hr").get(f"{API}/cases/{case['id']}").get_json()
    assert after["data"]["council_members"] == ["member1", "member2", "member3"]
    assert sorted(t["element_id"] for t in after["tasks"]) == ["council_vote"] * 3


def test_a_mentor_is_chosen_by_name_on_the_training_proposal(app):
    known_as(app, "expert1", "Vũ Thị Chuyên")
    html = signed_in(app, "head_khcn").get("/cases/new/training_nomination")
    assert ("expert1", "Vũ Thị Chuyên") in options_of(html, "mentor")
