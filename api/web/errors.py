"""Errors on the pages: the same causes as the API's JSON errors, as a readable page.

A case one may not know of is "not found" (404) here too; a form's
validation errors never get here (the task and start pages show them next to
the fields).
"""
from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from api.web import bp
from engine.errors import EngineError


def _page(status: int, message: str) -> Any:
    titles = {400: _("The request could not be read"), 401: _("Please sign in"), 403: _("Not allowed"),
              404: _("Not found"), 409: _("Conflict"), 413: _("Too large"), 422: _("Not accepted"),
              503: _("Service busy")}
    return render_template("web/error.html", title=titles.get(status, _("Error")), message=message), status


@bp.errorhandler(EngineError)
def _engine_error(err: EngineError) -> Any:
    return _page(err.status, err.message)


@bp.errorhandler(CSRFError)
def _csrf(err: CSRFError) -> Any:
    return _page(400, _("The form expired or did not come from this site (%(why)s). Go back, reload the page "
                        "and try again.", why=err.description))


@bp.errorhandler(OperationalError)
def _busy(err: OperationalError) -> Any:
    return _page(503, _("The database is busy or unreachable; try again in a moment."))


@bp.errorhandler(IntegrityError)
def _race(err: IntegrityError) -> Any:
    # two requests wrote the same row at once (e.g. the first failed sign-ins of one name)
    return _page(409, _("Another request changed the same record at the same moment; try again."))


@bp.errorhandler(HTTPException)
def _http(err: HTTPException) -> Any:
    return _page(err.code or 500, err.description or err.name)
