"""``/healthz`` tells an operator whether timers are being fired: last runs, overdue timers, incidents."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from api.server import make_executor
from engine.cases import notifications
from engine.store.models import ProcessDefinition
from tests.engine.time.timer_support import actor, deploy_test_diagram, start_waiting
from tests.web.support import signed_in, text_of


def test_healthz_reports_the_scheduler_and_the_timers_left_overdue(app, client, store, service, manual_clock):
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"
    assert health["scheduler"] == {"this_process": None, "last_run": None, "overdue_timers": 0, "grace_seconds": 60}

    deploy_test_diagram(store, "timer_soon.bpmn")
    start_waiting(service, actor(store, "hr"), manual_clock.now() + timedelta(minutes=1))
    manual_clock.advance(timedelta(minutes=2))  # due a minute ago: still within the grace period
    assert client.get("/healthz").get_json()["scheduler"]["overdue_timers"] == 0
    manual_clock.advance(timedelta(seconds=1))
    assert client.get("/healthz").get_json()["scheduler"]["overdue_timers"] == 1  # nobody is firing timers

    executor = make_executor(app)  # this process's executor (not started: one run by hand)
    assert executor.run_once() == 1
    scheduler = client.get("/healthz").get_json()["scheduler"]
    assert scheduler["overdue_timers"] == 0
    assert scheduler["last_run"] == {"name": executor.name, "at": manual_clock.now().isoformat()}
    assert scheduler["this_process"] == {"name": executor.name, "running": False, "fired_total": 1,
                                         "last_run_at": manual_clock.now().isoformat(), "next_wake_at": None}


def test_a_timer_that_cannot_fire_is_counted_shown_on_its_case_page_and_retried_by_an_admin(
        app, client, auth, store, service, manual_clock, monkeypatch):
    """The stored source its notifying timer is read from is damaged: the firing fails outside the diagram."""
    monkeypatch.setattr(notifications.RULES, "_rules", {})  # read the rules afresh, not from another test
    deploy_test_diagram(store, "reminders.bpmn")
    case_id = int(service.start(actor(store, "hr"), "reminders", {}))
    with store.transaction() as session:
        row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "reminders"))
        good = row.sources
        session.execute(update(ProcessDefinition).where(ProcessDefinition.id == row.id)
                        .values(sources=[dict(s, content="<bpmn:definitions") for s in good]))
    assert client.get("/healthz").get_json()["incidents"] == {"open": 0, "timers": 0}

    executor = make_executor(app)
    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert executor.run_once() == 0 and executor.run_once() == 0
    health = client.get("/healthz").get_json()
    assert health["incidents"] == {"open": 1, "timers": 1}
    assert health["status"] == "ok" and health["scheduler"]["overdue_timers"] == 0  # not retried unseen

    page = text_of(signed_in(app, "admin").get(f"/cases/{case_id}"))
    assert "Sự cố tại remind: XMLSyntaxError:" in page and "(the timer could not fire)" in page  # "Incident at"

    with store.transaction() as session:  # fixed outside the diagram
        session.execute(update(ProcessDefinition).where(ProcessDefinition.key == "reminders").values(sources=good))
    retried = auth.as_("admin").post(f"/api/v1/cases/{case_id}/retry")
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["status"] == "running"
    assert executor.run_once() == 1
    assert client.get("/healthz").get_json()["incidents"] == {"open": 0, "timers": 0}
    history = auth.as_("auditor").get(f"/api/v1/cases/{case_id}/history").get_json()
    assert [e["type"] for e in history if e["type"] in ("case_failed", "case_retried", "timer_fired",
                                                         "reminder_sent")] == \
        ["case_failed", "case_retried", "timer_fired", "reminder_sent"]
