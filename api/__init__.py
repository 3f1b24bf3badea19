"""Flask application factory.

``create_app(config)`` builds the app around the services every talentflow process is built
with (:func:`workflows.build_services`: one :class:`engine.store.Store`, one
:class:`engine.cases.CaseService`, one :class:`engine.cases.Reader`), adding what only the HTTP
side holds; routes stay thin and call them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter

import workflows
from api import auth, config, errors, transfer
from api.auth.tokens import ActorCache
from engine.files import TrustRootsError
from engine.time import CalendarFileError


@dataclass
class Services(workflows.Services):
    """The app's services: store, cases and reader, plus the OpenAPI registry and the sign-in cache."""

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
        built = workflows.build_services(app.config)
    except CalendarFileError as err:
        raise SystemExit(f"TALENTFLOW_CALENDAR_FILE: {err}") from None
    except workflows.RulesFileError as err:
        raise SystemExit(f"TALENTFLOW_RULES_FILE: {err}") from None
    except TrustRootsError as err:
        raise SystemExit(f"TALENTFLOW_SIGNING_TRUST_ROOTS: {err}") from None
    api = errors.TalentflowApi(app)
    app.extensions["talentflow"] = Services(built.store, built.cases, built.reader, built.files,
                                            built.documents, built.sheets, api,
                                            ActorCache(app.config["AUTH_CACHE_SECONDS"]))
    errors.register(app)
    auth.register(app)
    transfer.init_app(app)  # file uploads may be larger than other requests

    from api.resources import (admin, cases, documents, exports, files, health, mail, notifications, processes,
                               registry, reminders, reports, session, tasks)

    app.register_blueprint(health.blp)
    for module in (session, processes, cases, files, documents, tasks, admin, registry, reports, notifications,
                   exports, reminders, mail):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    from api.resources import audit as audit_resource  # verify, checkpoints, replay, state at a step

    api.register_blueprint(audit_resource.blp, url_prefix="/api/v1")
    from api.resources import diagrams  # process and case diagrams as SVG

    api.register_blueprint(diagrams.blp, url_prefix="/api/v1")
    from api.resources import substitutes  # substitutes while someone is away, and reassignment

    api.register_blueprint(substitutes.blp, url_prefix="/api/v1")
    from api.resources import migrations  # moving running cases to another process version

    api.register_blueprint(migrations.blp, url_prefix="/api/v1")
    from api.resources import messages  # messages and signals sent to cases from outside

    api.register_blueprint(messages.blp, url_prefix="/api/v1")

    from api import web

    web.init_app(app)  # the pages: session cookie, CSRF, languages
    return app
