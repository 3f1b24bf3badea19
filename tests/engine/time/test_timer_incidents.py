"""A timer that cannot fire becomes an incident on its case, once; an admin's retry fires it once fixed.

``reminders.bpmn`` has a notifying boundary timer ("remind", after 2 hours), whose rules are read
from the stored BPMN source when it fires. Damaging that stored source (a row written around the
deployment) is a failure outside the diagram: before, the firing step rolled back and every
executor claimed the case again each minute, forever, with nothing to show for it. Everything
here steps the manual clock and calls ``run_once``: no sleeps.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from engine.cases import notifications
from engine.store.database import DRIVER_OPERATIONAL_ERRORS
from engine.store.models import Case, Event, Notification, ProcessDefinition
from engine.time.executor import TimerExecutor
from tests.engine.time.timer_support import actor, deploy_test_diagram

EXTERNAL_ENTITY = ('<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n',
                   '<bpmn:documentation>&secret;</bpmn:documentation>')


@pytest.fixture(autouse=True)
def _rules_read_afresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifying rules are cached per content hash for the process's life: read them here anew."""
    monkeypatch.setattr(notifications.RULES, "_rules", {})


def _reminder_case(store: Any, service: Any) -> int:
    deploy_test_diagram(store, "reminders.bpmn")
    return int(service.start(actor(store, "hr"), "reminders", {}))


def _stored_source(store: Any, change: Any) -> None:
    """Rewrite the stored BPMN of the reminders process, as a row written around deployment would be."""
    with store.transaction() as session:
        row = session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == "reminders"))
        sources = [dict(s, content=change(s["content"])) if s["name"].endswith(".bpmn") else s for s in row.sources]
        session.execute(update(ProcessDefinition).where(ProcessDefinition.id == row.id).values(sources=sources))


def _count(store: Any, case_id: int, event_type: str) -> int:
    with store.read() as session:
        return session.scalar(select(func.count()).select_from(Event)
                              .where(Event.case_id == case_id, Event.type == event_type)) or 0


def _case(store: Any, case_id: int) -> Case:
    with store.read() as session:
        case = session.get(Case, case_id)
        session.expunge(case)
        return case


def test_a_timer_that_cannot_fire_is_an_incident_once_and_fires_after_an_admins_retry(store, service, manual_clock):
    case_id = _reminder_case(store, service)
    original: dict[str, str] = {}

    def damage(content: str) -> str:
        original["content"] = content
        return content[: len(content) // 2]  # cut short: not well-formed any more

    _stored_source(store, damage)
    executor = TimerExecutor(service, store, claim_seconds=60)
    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert executor.run_once() == 0

    case = _case(store, case_id)
    assert case.status == "error" and case.timer_claimed_by is None
    assert case.incident["element_id"] == "remind"
    assert case.incident["message"].startswith("XMLSyntaxError: ") and "the timer could not fire" in case.incident["message"]
    assert case.incident["command"] == {"type": "timers"}
    assert _count(store, case_id, "case_failed") == 1

    # once: no executor claims it again, however long it waits, and none wakes up for it
    manual_clock.advance(timedelta(minutes=10))
    assert executor.run_once() == 0 and TimerExecutor(service, store).run_once() == 0
    assert executor.next_due() is None
    assert _count(store, case_id, "case_failed") == 1 and _count(store, case_id, "timer_fired") == 0

    # fixed outside the diagram, then retried by an admin: the executor fires it at its next run
    _stored_source(store, lambda content: original["content"])
    service.retry(actor(store, "admin"), case_id)
    assert _case(store, case_id).status == "running"
    assert executor.run_once() == 1
    assert _count(store, case_id, "timer_fired") == 1 and _count(store, case_id, "reminder_sent") == 1
    with store.read() as session:
        assert session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.case_id == case_id)) == 1
    case = _case(store, case_id)
    assert (case.status, case.incident) == ("running", None)  # the reviewer's task is still open


def test_a_retry_while_the_cause_remains_records_one_more_incident(store, service, manual_clock):
    case_id = _reminder_case(store, service)
    _stored_source(store, lambda content: "not xml at all")
    executor = TimerExecutor(service, store)
    manual_clock.advance(timedelta(hours=2, seconds=1))
    executor.run_once()
    service.retry(actor(store, "admin"), case_id)
    assert executor.run_once() == 0
    assert _case(store, case_id).status == "error"
    assert _count(store, case_id, "case_failed") == 2 and _count(store, case_id, "case_retried") == 1


def test_the_database_failing_is_retried_when_the_claim_expires_not_made_an_incident(store, service, manual_clock,
                                                                                    monkeypatch):
    case_id = _reminder_case(store, service)
    fire, calls = service.fire_timers, []

    def database_gone_once(case: int) -> list[str]:
        calls.append(case)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return fire(case)

    monkeypatch.setattr(service, "fire_timers", database_gone_once)
    executor = TimerExecutor(service, store, claim_seconds=60)
    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert executor.run_once() == 0
    assert _case(store, case_id).status == "running" and _count(store, case_id, "case_failed") == 0
    manual_clock.advance(timedelta(seconds=61))  # the claim expired: tried again
    assert executor.run_once() == 1
    assert calls == [case_id, case_id] and _count(store, case_id, "reminder_sent") == 1


def test_a_version_stored_with_an_external_entity_before_the_rule_still_fires_its_timers(store, service,
                                                                                       manual_clock):
    """The issue's file: deployed before DTDs were refused, its rules read by the default parser failed."""
    case_id = _reminder_case(store, service)
    doctype, reference = EXTERNAL_ENTITY
    _stored_source(store, lambda content: content.replace("<bpmn:definitions", doctype + "<bpmn:definitions", 1)
                   .replace('<bpmn:userTask id="review"', reference + '<bpmn:userTask id="review"', 1))
    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert TimerExecutor(service, store).run_once() == 1
    assert _case(store, case_id).status == "running"
    assert _count(store, case_id, "reminder_sent") == 1


def test_a_drivers_own_connection_error_is_retried_too(store, service, manual_clock, monkeypatch):
    """Code on a raw connection meets the driver's error unwrapped: still the database, not the case."""
    case_id = _reminder_case(store, service)

    def connection_refused(case: int) -> list[str]:
        raise DRIVER_OPERATIONAL_ERRORS[0]("connection refused")

    monkeypatch.setattr(service, "fire_timers", connection_refused)
    manual_clock.advance(timedelta(hours=2, seconds=1))
    assert TimerExecutor(service, store).run_once() == 0
    assert _case(store, case_id).status == "running" and _count(store, case_id, "case_failed") == 0
