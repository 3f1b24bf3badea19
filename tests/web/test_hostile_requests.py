"""Requests to the pages that once answered 500 or could wedge a case: a newline in ``next``,
free-form JSON nested too deep, and the page of a case whose stored state cannot be loaded."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, update
from werkzeug.datastructures import MultiDict

from engine.store.models import ApiToken, Case
from api.web.pages import formfields, formpost
from tests.api.support import API, deployed, start
from tests.web.support import Page, signed_in

NEWLINES = ["/%0D%0Ax", "/%0Ax", "/cases%0D%0ASet-Cookie:%20x=1", "/%09x", "/%7Fx"]


def sessions(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(ApiToken)) or 0


@pytest.mark.parametrize("target", NEWLINES)
def test_a_newline_in_next_is_refused_without_a_500(app, client, target):
    assert client.get(f"/login?next={target}").status_code == 200  # the sign-in form
    page = signed_in(app, "hr")
    response = page.client.get(f"/login?next={target}")  # signed in already: straight on
    assert response.status_code == 302 and response.headers["Location"] == "/"
    response = page.client.get(f"/lang/en?next={target}")
    assert response.status_code in (302, 303) and "\n" not in response.headers["Location"]


@pytest.mark.parametrize("target", ["/\r\nx", "/cases\nSet-Cookie: x=1", "/\x7f"])
def test_signing_in_with_a_newline_in_next_goes_to_the_worklist(app, client, store, target):
    before = sessions(store)
    page = Page(client)
    response = page.post("/login", {"username": "hr", "password": "correct-horse-1", "next": target}, status=302)
    assert response.headers["Location"] == "/"
    assert sessions(store) == before + 1  # one session, and it works
    assert client.get("/").status_code == 200


def test_free_form_json_on_a_page_is_held_to_the_same_depth_limit(app):
    free = {"title": "free form"}  # a task without properties: its data typed as JSON
    deep = '{"a": ' + "[" * 40 + "]" * 40 + "}"
    with pytest.raises(formpost.BadJson, match="nested too deeply"):
        formpost.parse(free, MultiDict({formfields.JSON_FIELD: deep}))
    with app.app_context():
        app.config["MAX_JSON_DEPTH"] = 3
        with pytest.raises(formpost.BadJson, match="nested too deeply"):
            formpost.parse(free, MultiDict({formfields.JSON_FIELD: '{"a": [[[1]]]}'}))
        assert formpost.parse(free, MultiDict({formfields.JSON_FIELD: '{"a": [1]}'}))[0] == {"a": [1]}
        assert formpost.parse(free, MultiDict({formfields.JSON_FIELD: '{"a": "C:\\\\u0000"}'}))[0] == \
            {"a": "C:\\u0000"}


def test_the_page_of_a_case_whose_state_cannot_be_loaded_still_opens(app, auth, store):
    deployed(auth, "document_review.bpmn")
    case = start(auth, "head_khcn", "document_review", {"title": "memo"})
    with store.transaction() as session:
        state = json.loads(session.scalar(select(Case.state).where(Case.id == case["id"])))
        state["data"]["deep"] = "MARK"
        session.execute(update(Case).where(Case.id == case["id"]).values(
            state=json.dumps(state).replace('"MARK"', "[" * 600 + "]" * 600), version=Case.version + 1))
    page = signed_in(app, "admin")
    page.get(f"/cases/{case['id']}")  # without its diagram, but the page
    response = auth.as_("head_khcn").post(f"{API}/tasks/{case['tasks'][0]['id']}/complete", json={"data": {}})
    assert response.status_code == 422
    html = page.get(f"/cases/{case['id']}")
    assert "cannot be loaded" in html  # the incident, for the admin to see
