"""``GET /healthz``: answers once the app can reach its database."""
from __future__ import annotations

from flask import Blueprint
from sqlalchemy import text

from api.errors import error_response
from api.resources import services

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        with services().store.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:  # noqa: BLE001 - report, don't crash
        return error_response(503, "database_unavailable", f"database not reachable: {type(err).__name__}")
    return {"status": "ok", "database": services().store.engine.dialect.name}
