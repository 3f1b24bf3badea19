"""Users and role grants by the admin, and how soon a change reaches a logged-in user."""
from __future__ import annotations

from datetime import timedelta

from engine.people.directory import get_user, grant_role
from tests.api.support import error_of

API = "/api/v1"


def test_a_revoked_role_stops_working_on_the_next_request(auth):
    assert auth.as_("hr").get(f"{API}/appointments").status_code == 200
    response = auth.as_("admin").delete(f"{API}/users/hr/roles", json={"role": "hr_officer"})
    assert response.status_code == 200 and response.get_json()["roles"] == []
    error_of(auth.as_("hr").get(f"{API}/appointments"), 403)


def test_global_grants_and_revocations_are_on_the_audit_record(auth, store):
    """Who held which role when is part of the record an auditor checks decisions against."""
    from sqlalchemy import select

    from engine.store.models import Event
    from engine.audit.verify import verify_all

    assert auth.as_("admin").post(f"{API}/users/expert2/roles", json={"role": "unit_head", "unit": "SGDDT"}
                                  ).status_code in (200, 201)
    assert auth.as_("admin").delete(f"{API}/users/expert2/roles", json={"role": "unit_head", "unit": "SGDDT"}
                                    ).status_code == 200
    with store.read() as session:
        events = session.execute(select(Event.type, Event.actor, Event.data).where(Event.case_id.is_(None))
                                 .order_by(Event.seq)).all()
        assert verify_all(session.connection()).ok
    assert [(t, a, d) for t, a, d in events if d.get("username") == "expert2"] == [
        ("role_granted", "admin", {"username": "expert2", "role": "unit_head", "unit": "SGDDT"}),
        ("role_revoked", "admin", {"username": "expert2", "role": "unit_head", "unit": "SGDDT"})]


def test_a_grant_made_by_another_process_applies_within_seconds(auth, store, manual_clock):
    error_of(auth.as_("expert2").get(f"{API}/appointments"), 403)
    with store.transaction() as session:  # as the CLI or a second server would
        grant_role(session, get_user(session, "expert2"), "auditor")
    manual_clock.advance(timedelta(seconds=6))
    assert auth.as_("expert2").get(f"{API}/appointments").status_code == 200


def test_only_an_admin_manages_users(auth):
    error_of(auth.as_("hr").post(f"{API}/users", json={"username": "newbie", "password": "a-long-password"}), 403)
    created = auth.as_("admin").post(f"{API}/users", json={
        "username": "newbie", "password": "a-long-password", "unit": "SGDDT",
        "roles": [{"role": "unit_head", "unit": "SGDDT"}]})
    assert created.status_code == 201
    assert created.get_json()["roles"] == [{"role": "unit_head", "unit": "SGDDT"}]
    error_of(auth.as_("admin").post(f"{API}/users", json={"username": "newbie", "password": "a-long-password"}),
             409, "already_exists")
