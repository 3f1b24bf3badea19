"""``/healthz`` tells an operator whether timers are being fired: last runs and overdue timers."""
from __future__ import annotations

from datetime import timedelta

from api.server import make_executor
from tests.engine.time.timer_support import actor, deploy_test_diagram, start_waiting


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
