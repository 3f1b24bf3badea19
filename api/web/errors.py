"""Errors on the pages: the same causes as the API's JSON errors, as a readable page.

A case one may not know of is "not found" (404) here too; a form's
validation errors never get here (the task and start pages show them next to
the fields). A path no route matches belongs to no blueprint, so the app's
own handler decides: a page path gets the HTML page in the page's language,
``/api/...`` and ``/healthz`` keep the JSON error shape.
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException

from api.transfer import UPLOAD_ENDPOINTS
from api.web import bp
from api.web.messages import csrf_refusal, refusal
from api.web.session import sign_in_from_cookie
from engine.errors import EngineError
from engine.store.database import DATABASE_UNAVAILABLE

log = logging.getLogger(__name__)
#: Paths answered in JSON even when no route matches them.
JSON_PATHS = ("/api/", "/healthz")


def _page(status: int, message: str) -> Any:
    titles = {400: _("The request could not be read"), 401: _("Please sign in"), 403: _("Not allowed"),
              404: _("Not found"), 405: _("Not allowed this way"), 409: _("Conflict"), 413: _("Too large"),
              422: _("Not accepted"), 500: _("Something went wrong"), 503: _("Service busy")}
    return render_template("web/error.html", title=titles.get(status, _("Error")), message=message), status


def error_page(status: int, message: str) -> Any:
    """The error page with ``message`` (already in the page's language), for a page's own refusals."""
    return _page(status, message)


def file_too_large() -> str:
    """That an uploaded file is over ``MAX_FILE_BYTES``, in the page's language."""
    size = f"{int(current_app.config['MAX_FILE_BYTES']) / (1024 * 1024):g}"
    return _("The file is larger than the limit of %(size)s MB.", size=size)


def _not_found() -> Any:
    # one sentence for "no such thing" and "not yours to know of", in the page's language
    return _page(404, _("There is no such page, or it is not yours to see."))


@bp.errorhandler(EngineError)
def _engine_error(err: EngineError) -> Any:
    return _not_found() if err.status == 404 else _page(err.status, refusal(err))


@bp.errorhandler(CSRFError)
def _csrf(err: CSRFError) -> Any:
    return _page(400, csrf_refusal(err.description))


def _busy(err: Exception) -> Any:
    return _page(503, _("The database is busy or unreachable; try again in a moment."))


# SQLAlchemy's, and the drivers' own from code on a raw connection (engine/store/database.py)
for _unavailable in DATABASE_UNAVAILABLE:  # the pool timing out and lost connections too
    bp.register_error_handler(_unavailable, _busy)


@bp.errorhandler(IntegrityError)
def _race(err: IntegrityError) -> Any:
    # two requests wrote the same row at once (e.g. the first failed sign-ins of one name)
    return _page(409, _("Another request changed the same record at the same moment; try again."))


@bp.errorhandler(DataError)
def _refused_value(err: DataError) -> Any:
    log.warning("database refused a value: %s", err.orig)
    return _page(422, _("A value is not acceptable to the database."))


def _http_page(err: HTTPException) -> Any:
    if err.code == 404:
        return _not_found()
    if err.code == 405:
        return _page(405, _("This address cannot be opened that way."))
    if err.code == 413 and request.endpoint in UPLOAD_ENDPOINTS:  # a file over the limit, not a long form
        return _page(413, file_too_large())
    if err.code == 413:
        return _page(413, _("The form is larger than the server accepts; shorten the longest texts."))
    return _page(err.code or 500, err.description or err.name)


@bp.errorhandler(HTTPException)
def _http(err: HTTPException) -> Any:
    return _http_page(err)


@bp.errorhandler(Exception)
def _unexpected(err: Exception) -> Any:
    log.exception("unhandled error on page %s", request.path)
    return _page(500, _("An unexpected error occurred; it has been logged. Try again, or go back to your work."))


def init_app(app: Flask) -> None:
    """Answer paths no route matches (404, 405) as pages, except the API's and the health check."""

    @app.errorhandler(HTTPException)
    def _unrouted(err: HTTPException) -> Any:
        if request.path.startswith(JSON_PATHS):
            return current_app.extensions["talentflow"].api.handle_http_exception(err)
        try:
            sign_in_from_cookie()  # no page's hook ran: the header shows who is signed in
        except Exception:  # noqa: BLE001 - the database may be down; the page is still answered
            log.warning("no user for the error page of %s", request.path, exc_info=True)
        return _http_page(err)
