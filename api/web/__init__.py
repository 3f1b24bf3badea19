"""The web pages: worklists, task forms, cases, process panels (the exam council), audit views, the dashboard.

One Flask blueprint; the pages themselves, one module per concern, are in :mod:`api.web.pages`. Pages are thin like the JSON
routes: they call the same services (``Reader``, ``CaseService``, the
registries) and only turn their answers into HTML. Pages sign in with a
session cookie (CSRF-protected forms, ``session``); the JSON API under
``/api/v1`` keeps its bearer tokens and is untouched by anything here.
Around every page: ``layout`` (menu, user, language switch), ``headers``
(security headers), ``errors`` (error pages), ``i18n`` (catalogues, dates); ``diagrams`` and
``charts`` draw the SVG that pages embed.
Imports run one way: ``headers -> errors -> session -> i18n``, and ``layout``
uses ``session`` and ``i18n``; none of these imports a page module.
"""
from __future__ import annotations

from flask import Blueprint, Flask, current_app

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")


def services():  # type: ignore[no-untyped-def]
    """The app's services (store, cases, reader), as the JSON routes use them."""
    return current_app.extensions["talentflow"]


def init_app(app: Flask) -> None:
    """Configure sessions, CSRF and languages, and register the pages."""
    from api.web import i18n, session

    session.init_app(app)
    i18n.init_app(app)
    # the modules register their routes and hooks on ``bp`` when imported
    from api.web import errors, headers, layout  # noqa: F401
    from api.web.pages import (accounts, audit, cases, dashboard, documents, exports, files,  # noqa: F401
                                grid, notifications, panels, search, settings, substitutes, talent, tasks,
                                worklist)
    from api.web.pages import diagram  # noqa: F401  (a process's diagram page, the diagrams as SVG alone)
    from api.web.pages import migration  # noqa: F401  (the admin's page for moving cases to another version)

    app.register_blueprint(bp)
    errors.init_app(app)
