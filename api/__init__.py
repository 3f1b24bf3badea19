"""Flask application factory.

``create_app(config)`` builds the app around one :class:`engine.db.Store` and
one :class:`engine.cases.runner.CaseService`; routes stay thin and call them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter

from api import auth, config, errors
from engine.time import calendar
from engine.time import clock, spiff_patches
from engine.store.database import Store
from engine.cases.runner import CaseService
from api.auth.tokens import ActorCache
from engine.cases.views import Reader
from workflows import build_service, policy_for


@dataclass
class Services:
    store: Store
    cases: CaseService
    reader: Reader
    api: Any
    actors: ActorCache


class IsoJSONProvider(DefaultJSONProvider):
    """ISO 8601 dates (Flask's default is RFC 822); keep non-ASCII readable."""

    ensure_ascii = False
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, (datetime, date)):
            return o.isoformat()
        return DefaultJSONProvider.default(o)


class NameConverter(BaseConverter):
    """Process keys and usernames in paths: anything else is simply "not found"."""

    regex = r"[A-Za-z0-9_.@-]{1,100}"


class TaskIdConverter(BaseConverter):
    """Task ids are UUIDs (lower-case, as stored)."""

    regex = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

    def to_python(self, value: str) -> str:
        return value.lower()


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    spiff_patches.install()
    app = Flask(__name__, instance_path=str(config.INSTANCE))
    app.json_provider_class = IsoJSONProvider
    app.json = IsoJSONProvider(app)
    app.url_map.converters["name"] = NameConverter
    app.url_map.converters["taskid"] = TaskIdConverter
    app.config.update(config.from_env())
    app.config.update({
        "API_TITLE": "talentflow", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1", "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {"components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]},
    })
    if overrides:
        app.config.update(overrides)

    try:
        calendar.configure(app.config.get("CALENDAR_FILE"))
    except calendar.CalendarFileError as err:
        raise SystemExit(f"TALENTFLOW_CALENDAR_FILE: {err}") from None
    store = Store(app.config["DATABASE_URL"], echo=app.config["SQL_ECHO"])
    api = errors.TalentflowApi(app)
    cases = build_service(store)
    app.extensions["talentflow"] = Services(store, cases, Reader(policy_for, cases.specs), api,
                                            ActorCache(app.config["AUTH_CACHE_SECONDS"]))
    errors.register(app)
    auth.register(app)

    from api.resources import admin, cases, health, notifications, processes, registry, reports, session, tasks

    app.register_blueprint(health.blp)
    for module in (session, processes, cases, tasks, admin, registry, reports, notifications):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    from api.resources import audit as audit_resource  # verify, checkpoints, replay, state at a step

    api.register_blueprint(audit_resource.blp, url_prefix="/api/v1")
    from api.resources import diagrams  # process and case diagrams as SVG

    api.register_blueprint(diagrams.blp, url_prefix="/api/v1")

    from api import web

    web.init_app(app)  # the pages: session cookie, CSRF, languages
    return app
