"""Errors the runtime raises; the API maps each to one HTTP status and code."""
from __future__ import annotations

from typing import Any


class EngineError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class NotFound(EngineError):
    status, code = 404, "not_found"


class Unauthorized(EngineError):
    status, code = 401, "unauthorized"


class Forbidden(EngineError):
    status, code = 403, "forbidden"


class Conflict(EngineError):
    status, code = 409, "conflict"


class Invalid(EngineError):
    """Input that is well-formed but wrong; ``details`` maps field -> messages."""

    status, code = 422, "validation_error"


class TooLarge(EngineError):
    """An upload over the configured size limit (``TALENTFLOW_MAX_FILE_BYTES``)."""

    status, code = 413, "too_large"


class CaseFailed(EngineError):
    """A script, gateway or rule failed while stepping a case; the case is now ``error``."""

    status, code = 422, "case_error"
