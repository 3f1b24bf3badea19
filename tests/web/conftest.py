"""Fixtures of the browser tests: a real server and Debian's headless Chromium.

The server is the test's own app (same database, same manual clock) served by
werkzeug in a thread, so a test can move time and fire timers between pages.
Chromium is Debian's (/usr/bin/chromium, installed by .ci/run): nothing is
downloaded. Every context the browser opens checks each page it loads with axe-core
(tests/web/axe.py): a context is checked when closed, and at the end of the test if left open.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
from werkzeug.serving import make_server

from tests.web.axe import CheckedBrowser
from tests.web.browser import CHROMIUM


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser(live_server: str) -> Iterator[Any]:  # the server outlives the last check
    if not Path(CHROMIUM).exists():  # `make test` and .ci/run install it (.ci/chromium)
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        checked = CheckedBrowser(chromium)
        try:
            yield checked
            checked.close_all()
        finally:
            chromium.close()
