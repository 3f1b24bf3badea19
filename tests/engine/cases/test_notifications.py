"""Who reads a notification sent to a role: holders of the role in the unit subtree it names, and no one else.

Units (tests/conftest.py): HP > SKHCN > SKHCN-QLKH, and HP > SGDDT. A reminder to
the unit heads of SKHCN-QLKH reaches the heads of SKHCN-QLKH and SKHCN (above
it), never the head of SGDDT; nor may anyone outside mark it read.
"""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from engine.time import clock
from engine.cases import notifications
from engine.people.directory import get_unit
from engine.errors import NotFound
from engine.store.models import Notification, User
from engine.people.actors import actor_for
from tests.conftest import proposal
from tests.engine.audit.test_verify import actor

NOTE = Notification.__table__


def reader(store, username: str):  # type: ignore[no-untyped-def]
    with store.read() as session:
        return actor_for(session, session.scalar(select(User).where(User.username == username)))


def send(store, case_id: int, message: str, role: str | None = None, unit: str | None = None,
         user: str | None = None) -> int:  # type: ignore[no-untyped-def]
    with store.transaction() as session:
        path = get_unit(session, unit).path if unit else None
        user_id = session.scalar(select(User.id).where(User.username == user)) if user else None
        return int(session.execute(insert(NOTE).values(
            kind="reminder", user_id=user_id, role=role, unit_path=path, case_id=case_id, task_id=None,
            message=message, data={}, created_at=clock.now(), read_at=None)).inserted_primary_key[0])


def inbox(store, username: str) -> list[str]:  # type: ignore[no-untyped-def]
    with store.read() as session:
        return sorted(n["message"] for n in notifications.list_for(session, reader(store, username))["items"])


def test_a_role_notification_reaches_its_unit_subtree_only(store, service, manual_clock):
    case_id = service.start(actor(store, "head_khcn"), "training_nomination", proposal())
    qlkh = send(store, case_id, "to QLKH heads", role="unit_head", unit="SKHCN-QLKH")
    send(store, case_id, "to SGDDT heads", role="unit_head", unit="SGDDT")
    send(store, case_id, "to the city's hr", role="hr_officer", unit="HP")
    send(store, case_id, "to expert1 alone", user="expert1")

    assert inbox(store, "head_qlkh") == ["to QLKH heads"]
    assert inbox(store, "head_khcn") == ["to QLKH heads"]  # the head above sees the subtree
    assert inbox(store, "head_gddt") == ["to SGDDT heads"]
    assert inbox(store, "hr") == ["to the city's hr"]  # a role held city-wide
    assert inbox(store, "expert1") == ["to expert1 alone"]
    assert inbox(store, "nobody") == [] and inbox(store, "auditor") == []

    with store.transaction() as session:
        with pytest.raises(NotFound):
            notifications.mark_read(session, reader(store, "head_gddt"), qlkh)
    with store.read() as session:
        assert session.scalar(select(Notification.read_at).where(Notification.id == qlkh)) is None
