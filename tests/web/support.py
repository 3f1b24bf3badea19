"""Driving the pages with Flask's test client, as a person with a browser would (forms, CSRF)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


class Page:
    """A browser-like session on the test client: remembers the last page's CSRF token."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.token = ""

    def get(self, path: str, status: int = 200, **kwargs: Any) -> str:
        response = self.client.get(path, **kwargs)
        assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:800])
        html = response.get_data(as_text=True)
        if 'name="csrf_token"' in html:
            self.token = csrf_of(html)
        return html

    def post(self, path: str, data: dict[str, Any] | None = None, status: int | None = None, **kwargs: Any) -> Any:
        if not self.token:  # as a browser would: the form comes from a page
            self.get("/login", follow_redirects=True)
        response = self.client.post(path, data={"csrf_token": self.token, **(data or {})}, **kwargs)
        if path.startswith(("/login", "/logout")) and response.status_code == 302:
            self.token = ""  # signing in or out starts a new session, with a new token
        if status is not None:
            assert response.status_code == status, (path, response.status_code,
                                                     response.get_data(as_text=True)[:1500])
        return response

    def login(self, username: str, password: str = PASSWORD) -> "Page":
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self


def signed_in(app: Any, username: str) -> Page:
    return Page(app.test_client()).login(username)


class _Inputs(HTMLParser):
    """Every form control of a page and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self.controls.append({"tag": tag, **a})
        if tag == "label" and a.get("for"):
            self.labelled.add(a["for"])


def unlabelled_controls(html: str) -> list[dict[str, str]]:
    parser = _Inputs()
    parser.feed(html)
    return [c for c in parser.controls if c.get("id", "") not in parser.labelled]


def text_of(html: str) -> str:
    """The page's text without tags and with spaces collapsed (for "the page says ..." checks)."""
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)).split())
