"""A person at a headless Chromium, for the browser tests (fixtures in tests/web/conftest.py).

Every page a person visits is checked with axe-core (tests/web/axe.py): ``check()`` on demand, and
``close()`` always, fail naming the page, the rule and the elements of any serious or critical fault.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

#: Every visible form control must have a <label> pointing at it (or wrapping it).
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea')]
    .filter(el => el.type !== 'hidden' && el.type !== 'submit' && el.type !== 'button')
    .filter(el => !el.labels || el.labels.length === 0)
    .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


class Person:
    """One person at their own browser (own cookies), on the live server."""

    def __init__(self, browser: Any, base: str, username: str) -> None:
        self.base, self.username = base, username
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
        self.context.watch.base = base
        self.page = self.context.new_page()
        #: what the browser refused under the Content-Security-Policy (none expected: styles carry the nonce)
        self.refused: list[str] = []
        self.page.on("console", lambda message: self.refused.append(message.text)
                     if "Content Security Policy" in message.text else None)

    def open(self, path: str) -> Any:
        self.context.watch.settle(self.page)  # the page being left is checked first
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self) -> "Person":
        page = self.open("/login")
        page.get_by_label("Tên đăng nhập").fill(self.username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(self.base + "/")
        return self

    def unlabelled(self) -> list[str]:
        return self.page.evaluate(UNLABELLED_JS)

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self) -> None:
        """Every page visited so far, and the present one as it is now, free of serious and critical faults."""
        self.context.check(self.page)

    def close(self) -> None:
        self.context.close()
