"""Production WSGI serving with gunicorn, configured in code, and the timer executor beside it.

Each gunicorn worker builds its app after the fork (no preloading), so each
worker starts its own timer executor there: they share the work through the
database (engine/time/executor.py), and a worker that dies takes no timer with it.
``TALENTFLOW_SCHEDULER=off`` (or ``talentflow serve --no-scheduler``) serves
web-only workers; ``talentflow scheduler`` runs an executor alone.
"""
from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from engine.time.executor import TimerExecutor

#: The executor of this (worker) process, if it runs one.
_executor: TimerExecutor | None = None


def make_executor(app: Flask) -> TimerExecutor:
    """An executor over the app's services (:meth:`workflows.Services.timer_executor`), not started."""
    services = app.extensions["talentflow"]
    executor = services.timer_executor(sweep_seconds=float(app.config["SCHEDULER_SWEEP_SECONDS"]),
                                       secret=str(app.config["SECRET_KEY"]))
    app.extensions["talentflow_executor"] = executor
    return executor


def start_executor(app: Flask) -> TimerExecutor:
    global _executor
    _executor = make_executor(app).start()
    return _executor


def stop_executor() -> None:
    """Stop this process's executor (waiting for a run in progress)."""
    global _executor
    if _executor is not None:
        _executor.stop()
        _executor = None


def _worker_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``worker_exit`` hook."""
    stop_executor()


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any], scheduler: bool | None) -> None:
        self.options = options
        self.scheduler = scheduler
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from api import create_app

        app = create_app()
        wanted = app.config["SCHEDULER"] if self.scheduler is None else self.scheduler
        if wanted:
            start_executor(app)
        return app


def run(host: str, port: int, workers: int = 2, threads: int = 4, access_log: bool = False,
        scheduler: bool | None = None) -> None:
    """Serve; ``scheduler`` None: as ``TALENTFLOW_SCHEDULER`` says (on by default)."""
    options = {
        "bind": f"{host}:{port}", "workers": max(1, workers), "threads": max(1, threads),
        "worker_class": "gthread", "keepalive": 5, "timeout": 60, "errorlog": "-", "loglevel": "info",
        "worker_exit": _worker_exit,
    }
    if access_log:
        options["accesslog"] = "-"
    _Gunicorn(options, scheduler).run()
