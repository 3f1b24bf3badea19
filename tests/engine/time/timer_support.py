"""Helpers the timer tests share: deploy a test diagram, act as a user, start waiting cases, count firings."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.definitions.versions import sources_for
from engine.people.directory import get_user
from engine.store.models import Case, Event
from engine.people.actors import Actor, actor_for
from tests.conftest import DATA
from workflows import deploy_files


def deploy_test_diagram(store: Any, name: str) -> None:
    with store.transaction() as session:
        deploy_files(session, sources_for(DATA / name), "tests")


def actor(store: Any, username: str) -> Actor:
    with store.read() as session:
        return actor_for(session, get_user(session, username))


def start_waiting(service: Any, who: Actor, fire_at: datetime) -> int:
    """A ``timer_soon`` case whose one timer is due at ``fire_at``."""
    return int(service.start(who, "timer_soon", {"fire_at": fire_at.isoformat()}))


def fired_count(store: Any, case_ids: list[int] | None = None) -> int:
    query = select(func.count()).select_from(Event).where(Event.type == "timer_fired")
    if case_ids is not None:
        query = query.where(Event.case_id.in_(case_ids))
    with store.read() as session:
        return session.scalar(query) or 0


def fired_per_case(store: Any) -> dict[int, int]:
    with store.read() as session:
        rows = session.execute(select(Event.case_id, func.count()).where(Event.type == "timer_fired")
                               .group_by(Event.case_id)).all()
    return {case_id: count for case_id, count in rows}


def statuses(store: Any, case_ids: list[int]) -> dict[str, int]:
    with store.read() as session:
        rows = session.execute(select(Case.status, func.count()).where(Case.id.in_(case_ids))
                               .group_by(Case.status)).all()
    return dict(rows)
