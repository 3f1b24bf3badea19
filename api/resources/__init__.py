"""One blueprint per resource of the JSON API."""
from __future__ import annotations

from flask import current_app

from api import Services


def services() -> Services:
    return current_app.extensions["talentflow"]
