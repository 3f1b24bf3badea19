"""Every way the database can be unavailable answers 503: the pool timing out (every connection
busy), a connection found dead at checkout, a driver's interface error, not only an
``OperationalError``. The API answers in the JSON error shape with ``Retry-After``, a page in the
reader's language, and nothing is written.
"""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DisconnectionError, InterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from tests.api.support import unchanged
from tests.conftest import proposal
from tests.web.support import signed_in

VI_BUSY = "Cơ sở dữ liệu đang bận hoặc không kết nối được"

UNAVAILABLE = {
    "pool_timeout": lambda: PoolTimeout("QueuePool limit of size 10 overflow 20 reached, "
                                        "connection timed out, timeout 30.00"),
    "disconnection": lambda: DisconnectionError("connection invalidated at checkout"),
    "interface_error": lambda: InterfaceError("SELECT 1", {}, Exception("connection already closed")),
}


def pool_fails(store: Any, monkeypatch: pytest.MonkeyPatch, failure: str) -> None:
    """From now on no connection can be checked out of the store's pool, as when it is exhausted."""
    def checkout(*args: Any, **kwargs: Any) -> Any:
        raise UNAVAILABLE[failure]()
    monkeypatch.setattr(store.engine.pool, "_do_get", checkout)


@pytest.mark.parametrize("failure", sorted(UNAVAILABLE))
def test_an_exhausted_or_broken_pool_answers_a_json_503_and_starts_no_case(auth, store, monkeypatch, failure):
    headers = auth.headers("head_khcn")
    client = auth.client
    with unchanged(store):
        pool_fails(store, monkeypatch, failure)
        answer = client.post("/api/v1/cases", headers=headers,
                             json={"process": "training_nomination", "business_key": "POOL-1", "data": proposal()})
        assert answer.status_code == 503, answer.get_data(as_text=True)[:500]
        assert answer.get_json()["error"]["code"] == "database_unavailable"
        assert answer.headers["Retry-After"] == "1"
        listed = client.get("/api/v1/cases", headers=headers)
        assert listed.status_code == 503 and listed.get_json()["error"]["code"] == "database_unavailable"
        monkeypatch.undo()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200  # and it comes back by itself


@pytest.mark.parametrize("failure", sorted(UNAVAILABLE))
def test_an_exhausted_or_broken_pool_shows_the_busy_page_in_the_readers_language(app, store, monkeypatch, failure):
    page = signed_in(app, "head_khcn")
    pool_fails(store, monkeypatch, failure)
    answer = page.client.get("/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 503, html[:500]
    assert answer.content_type.startswith("text/html") and VI_BUSY in html and "Traceback" not in html
