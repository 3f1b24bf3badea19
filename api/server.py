"""Production WSGI serving with gunicorn, configured in code."""
from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from api import create_app

        return create_app()


def run(host: str, port: int, workers: int = 2, threads: int = 4, access_log: bool = False) -> None:
    options = {
        "bind": f"{host}:{port}", "workers": max(1, workers), "threads": max(1, threads),
        "worker_class": "gthread", "keepalive": 5, "timeout": 60, "errorlog": "-", "loglevel": "info",
    }
    if access_log:
        options["accesslog"] = "-"
    _Gunicorn(options).run()
