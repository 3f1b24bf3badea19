"""``GET /healthz``: the database answers, and timers are being fired.

Reports this process's timer executor (if it runs one), the most recent run of
any executor (from ``scheduler_run``), and how many running cases have a timer
overdue by more than the grace period: a number that keeps growing means no
executor is working. ``incidents`` counts the cases in ``error`` waiting for an
admin, and among them those whose timer could not fire (``timers``): a timer
that fails is made an incident once instead of being retried unseen, so this is
where a monitor sees it. ``mail`` counts the e-mail outbox: ``failed`` (given up after the retries,
for an admin at ``/admin/mail``) and ``stuck`` (waiting more than an hour: the SMTP server is
unreachable, or mail is off) are the numbers to alert on; ``unreachable`` counts the messages waiting
because the server could not be reached at their last try (an outage counts no try against them),
and ``smtp_unreachable_since`` is when this process's sender stopped reaching it (null: it does, or
this process sends no mail).
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app
from sqlalchemy import func, select, text

from api.errors import error_response
from api.resources import services
from engine.mail import mail_counts
from engine.time import clock
from engine.store.models import Case, SchedulerRun

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        with services().store.read() as session:
            session.execute(text("SELECT 1"))
            scheduler = _scheduler(session)
            incidents = _incidents(session)
            mail = mail_counts(session)
        sender = current_app.extensions.get("talentflow_mail_sender")
        mail["smtp_unreachable_since"] = None if sender is None else sender.unreachable_since
    except Exception as err:  # noqa: BLE001 - report, don't crash
        return error_response(503, "database_unavailable", f"database not reachable: {type(err).__name__}")
    return {"status": "ok", "database": services().store.engine.dialect.name, "scheduler": scheduler,
            "incidents": incidents, "mail": mail}


def _incidents(session) -> dict:  # type: ignore[no-untyped-def]
    in_error = select(func.count()).select_from(Case).where(Case.status == "error")
    timers = in_error.where(Case.incident["command"]["type"].as_string() == "timers")
    return {"open": session.scalar(in_error) or 0, "timers": session.scalar(timers) or 0}


def _scheduler(session) -> dict:  # type: ignore[no-untyped-def]
    now = clock.now()
    grace = timedelta(seconds=current_app.config.get("TIMER_GRACE_SECONDS", 60))
    latest = session.execute(select(SchedulerRun.name, SchedulerRun.last_run_at)
                             .where(SchedulerRun.last_run_at.is_not(None))
                             .order_by(SchedulerRun.last_run_at.desc()).limit(1)).first()
    overdue = session.scalar(select(func.count()).select_from(Case).where(
        Case.status == "running", Case.next_timer_at < now - grace)) or 0
    executor = current_app.extensions.get("talentflow_executor")
    return {
        "this_process": None if executor is None else {
            "name": executor.name, "running": executor.running, "last_run_at": executor.last_run_at,
            "fired_total": executor.fired_total, "next_wake_at": executor.wake_at},
        "last_run": None if latest is None else {"name": latest.name, "at": latest.last_run_at},
        "overdue_timers": overdue,
        "grace_seconds": int(grace.total_seconds()),
    }
