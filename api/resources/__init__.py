"""One blueprint per resource of the JSON API, each a module: session (tokens), processes, cases,
tasks, audit, diagrams, registry, reports, notifications, admin, health.

:func:`services` is what every route calls: the app's store, case service and reader, built once
by ``create_app`` (``workflows.build_services``); routes stay thin and never build their own.
"""
from __future__ import annotations

from flask import current_app

from api import Services


def services() -> Services:
    return current_app.extensions["talentflow"]
