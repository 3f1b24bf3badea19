"""One JSON error shape everywhere: ``{"error": {"code", "message", "details"}}``."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from api.schemas import ErrorSchema
from engine.errors import EngineError
from engine.store.database import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)

_LOCATIONS = ("json", "query", "files", "form", "headers", "path", "view_args")


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


def _http_code(error: HTTPException) -> str:
    return (error.name or "error").lower().replace(" ", "_").replace("'", "")


class TalentflowApi(Api):
    """flask-smorest's Api with our error shape instead of its own, in the answers and in the
    OpenAPI document (``ERROR_SCHEMA`` is what every documented error response refers to)."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[override]
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        details: dict[str, Any] = {}
        if isinstance(messages, dict):
            for location, fields in messages.items():
                if location in _LOCATIONS and isinstance(fields, dict):
                    details.update(fields)
                else:
                    details[location] = fields
        if status == 422:
            return error_response(422, "validation_error", data.get("message") or "the request has errors", details)
        if status == 400 and details:
            return error_response(400, "malformed_request", "the request could not be read", details)
        if status == 413:
            return error_response(413, "too_large", "the request body is larger than the configured limit")
        if status >= 500:
            log.error("internal error: %s", error, exc_info=getattr(error, "original_exception", None))
            return error_response(500, "internal_error", "internal error; it has been logged")
        message = data.get("message") or error.description or error.name
        return error_response(status, _http_code(error), str(message), details)


def register(app: Flask) -> None:
    @app.errorhandler(EngineError)
    def _engine_error(err: EngineError):  # type: ignore[no-untyped-def]
        return error_response(err.status, err.code, err.message, err.details)

    @app.errorhandler(IntegrityError)
    def _integrity(err: IntegrityError):  # type: ignore[no-untyped-def]
        # Two requests created the same thing at once (a user, a version): the loser retries.
        log.info("integrity conflict: %s", err.orig)
        return error_response(409, "conflict", "a concurrent request created the same record; reload and retry")

    @app.errorhandler(DataError)
    def _data_error(err: DataError):  # type: ignore[no-untyped-def]
        # The database refused a value a client sent (e.g. out of range); never a 500.
        log.warning("database refused a value: %s", err.orig)
        return error_response(422, "invalid_value", "a value is not acceptable to the database")

    def _busy(err: Exception):  # type: ignore[no-untyped-def]
        log.error("database unavailable: %s", getattr(err, "orig", err))
        response = error_response(503, "database_unavailable", "the database is busy or unreachable; retry")
        response.headers["Retry-After"] = "1"
        return response

    # Every failure of the database rather than of the request (engine/store/database.py): SQLAlchemy's
    # OperationalError, the pool timing out or finding a connection dead, a driver's interface error,
    # and the drivers' own from code on a raw connection. Anything else would be a 500.
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, _busy)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):  # type: ignore[no-untyped-def]
        if isinstance(err, HTTPException):
            return app.extensions["talentflow"].api.handle_http_exception(err)
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; it has been logged")
