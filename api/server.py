"""Production WSGI serving with gunicorn, configured in code, and the timer executor beside it.

Each gunicorn worker builds its app after the fork (no preloading), so each
worker starts its own timer executor there: they share the work through the
database (engine/time/executor.py), and a worker that dies takes no timer with it.
``TALENTFLOW_SCHEDULER=off`` (or ``talentflow serve --no-scheduler``) serves
web-only workers; ``talentflow scheduler`` runs an executor alone.

gunicorn 27 opens a control socket (for ``gunicornc``) at one path per user by
default; a second server on the host would take it over and, stopping, delete it
from under the first. Each server's socket is therefore its own: in its instance
folder, named for its port (``TALENTFLOW_CONTROL_SOCKET``: another path, or ``off``).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from api import config
from api.web.mail import mail_sender
from engine.time.executor import TimerExecutor

log = logging.getLogger(__name__)
#: A Unix socket path longer than this cannot be bound (sun_path holds 108 bytes with its NUL).
_SOCKET_PATH_MAX = 107

#: The executor of this (worker) process, if it runs one.
_executor: TimerExecutor | None = None


def make_executor(app: Flask) -> TimerExecutor:
    """An executor over the app's services (:meth:`workflows.Services.timer_executor`), not started."""
    services = app.extensions["talentflow"]
    secret = str(app.config["SECRET_KEY"])
    sender = mail_sender(services.store, app.config, secret)
    executor = services.timer_executor(sweep_seconds=float(app.config["SCHEDULER_SWEEP_SECONDS"]),
                                       secret=secret, mail=sender)
    app.extensions["talentflow_executor"] = executor
    app.extensions["talentflow_mail_sender"] = sender  # /healthz: whether it reaches the SMTP server
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


def control_socket_options(port: int) -> dict[str, Any]:
    """gunicorn's control socket settings for a server on ``port``: a socket of its own, or none."""
    wanted = os.environ.get("TALENTFLOW_CONTROL_SOCKET", "").strip()
    if wanted.lower() in ("off", "0", "no", "false"):
        return {"control_socket_disable": True}
    path = Path(wanted) if wanted else config.INSTANCE / f"gunicorn-{port}.ctl"
    if len(os.fsencode(str(path.absolute()))) > _SOCKET_PATH_MAX:
        # gunicorn would only log that it failed; say why, and serve without one
        log.warning("no control socket: the path %s is too long for a Unix socket "
                    "(set TALENTFLOW_CONTROL_SOCKET to a shorter one)", path)
        return {"control_socket_disable": True}
    path.parent.mkdir(parents=True, exist_ok=True)
    return {"control_socket": str(path)}


#: SQLite writes one transaction at a time: past a few workers the writers' queue only grows
#: (issue 17: ~300 requests/s whatever the workers). PostgreSQL grows with the cores, up to a cap
#: that keeps connections (a worker holds up to threads + 1) under PostgreSQL's default of 100.
SQLITE_MAX_WORKERS = 4
POSTGRESQL_MAX_WORKERS = 16


def default_workers(database_url: str, cpus: int | None = None) -> int:
    """gunicorn workers when ``--workers`` is not given. SQLite: one per core, 2 to 4 (two keep a
    request's HTTP, JSON and SpiffWorkflow work going while the other writes; more only queue
    behind the single writer). PostgreSQL: one per core, at least 2, at most 16."""
    cores = cpus if cpus is not None else (os.cpu_count() or 1)
    if database_url.startswith("sqlite"):
        return min(SQLITE_MAX_WORKERS, max(2, cores))
    return min(POSTGRESQL_MAX_WORKERS, max(2, cores))


def run(host: str, port: int, workers: int | None = None, threads: int = 4, access_log: bool = False,
        scheduler: bool | None = None) -> None:
    """Serve; ``workers`` None: :func:`default_workers` for the configured database; ``scheduler``
    None: as ``TALENTFLOW_SCHEDULER`` says (on by default)."""
    if workers is None:
        workers = default_workers(str(config.from_env()["DATABASE_URL"]))
    options = {
        "bind": f"{host}:{port}", "workers": max(1, workers), "threads": max(1, threads),
        "worker_class": "gthread", "keepalive": 5, "timeout": 60, "errorlog": "-", "loglevel": "info",
        "worker_exit": _worker_exit, **control_socket_options(port),
    }
    if access_log:
        options["accesslog"] = "-"
    _Gunicorn(options, scheduler).run()
