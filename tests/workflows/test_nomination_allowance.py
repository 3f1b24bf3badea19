"""The allowance a recognition carries: a setting, fixed for each nomination when it starts.

The city may change ``talent_nomination.allowance_percent`` (150 % by Decree 179 Art. 15); a
nomination keeps the rate in force when it was filed, the approver sees that rate on the decision,
and the registry stores it with the date the allowance runs from. A nomination filed before the rate
was recorded in cases at all keeps the 150 % it was filed under.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import pytest

from tests.api.support import error_of, unchanged
from tests.helpers import complete, ready_task
from tests.web.support import signed_in, text_of
from tests.workflows.test_talent_nomination import (API, COUNCIL, council_votes, dossier, history_of, nominate,
                                                    registered_talents, verify)
from workflows import settings, talent_nomination
from workflows.talent_nomination import Policy

RATE = ("talent_nomination", "allowance_percent")


@contextmanager
def allowance_set_to(percent: int) -> Iterator[None]:
    """The city's rules file says ``percent`` while the block runs (as after a restart with it)."""
    previous = settings.use({RATE: percent})
    try:
        yield
    finally:
        settings.use(previous)


def up_to_the_decision(auth: Any, case: dict[str, Any]) -> dict[str, Any]:
    """Verified, and approved by the whole council: the approver's decision task is ready."""
    case = verify(auth, case, verification_result="verified", council_members=COUNCIL[:3])
    return council_votes(auth, case, {"member1": "approve", "member2": "approve", "member3": "approve"})


def recognise(auth: Any, case: dict[str, Any], number: str, on: str) -> dict[str, Any]:
    return complete(auth, "approver", ready_task(case, "recognition_decision")["id"],
                    {"decision": "recognised", "decision_no": number, "decision_date": on})


def talent_of(auth: Any, case_id: int) -> dict[str, Any]:
    [talent] = [t for t in registered_talents(auth) if t["source_case_id"] == case_id]
    return auth.as_("hr").get(f"{API}/talents/{talent['id']}").get_json()


def test_a_nomination_keeps_the_rate_in_force_when_it_was_filed(auth, app):
    filed_before = nominate(auth, nominee_name="Trần Thị Minh Anh")
    with allowance_set_to(170):
        filed_after = nominate(auth, nominee_name="Phạm Quốc Bảo")
        assert (filed_before["data"]["allowance_percent"], filed_after["data"]["allowance_percent"]) == (150, 170)

        after = up_to_the_decision(auth, filed_after)
        decision = ready_task(after, "recognition_decision")
        assert auth.as_("approver").get(f"{API}/tasks/{decision['id']}").get_json()["case"]["data"][
            "allowance_percent"] == 170
        page = text_of(signed_in(app, "approver").get(f"/tasks/{decision['id']}"))
        assert "hưởng phụ cấp 170 % mức lương, kể từ ngày quyết định công nhận" in page
        after = recognise(auth, after, "601/QĐ-UBND", "2026-04-20")
        before = recognise(auth, up_to_the_decision(auth, filed_before), "602/QĐ-UBND", "2026-04-21")

    for case, percent, since in ((after, 170, "2026-04-20"), (before, 150, "2026-04-21")):
        talent = talent_of(auth, case["id"])
        assert (talent["allowance_percent"], talent["allowance_from"]) == (percent, since)
        [registered] = [e for e in history_of(auth, case["id"]) if e["type"] == "talent_registered"]
        assert (registered["data"]["allowance_percent"], registered["data"]["allowance_from"]) == (percent, since)
    page = text_of(signed_in(app, "hr").get(f"/cases/{after['id']}"))
    assert "Phụ cấp: 170 % mức lương, từ ngày 20/04/2026 (quyết định số 601/QĐ-UBND)" in page
    listed = text_of(signed_in(app, "hr").get("/talents"))
    assert "170 % mức lương, từ 20/04/2026" in listed and "150 % mức lương, từ 21/04/2026" in listed
    with allowance_set_to(200):  # a replay re-runs the rate the history recorded, not today's
        replayed = auth.as_("auditor").post(f"{API}/cases/{after['id']}/replay").get_json()
    assert replayed["consistent"] is True, replayed


def test_a_nomination_filed_before_the_rate_was_recorded_keeps_150_percent(auth, monkeypatch):
    """Cases already running when this version was deployed have no rate in their data."""
    filed = Policy.prepare_start

    def as_before(self: Policy, db: Any, data: dict[str, Any], starter: Any) -> dict[str, Any]:
        started = filed(self, db, data, starter)
        del started["allowance_percent"]
        return started

    with monkeypatch.context() as before_this_version:
        before_this_version.setattr(Policy, "prepare_start", as_before)
        case = nominate(auth)
    assert "allowance_percent" not in case["data"]
    with allowance_set_to(200):
        case = recognise(auth, up_to_the_decision(auth, case), "603/QĐ-UBND", "2026-04-22")
    assert talent_of(auth, case["id"])["allowance_percent"] == 150


def test_a_nominator_cannot_choose_the_rate(auth, store):
    """The rate is the city's setting, never part of the dossier."""
    with unchanged(store):
        refused = error_of(auth.as_("nominator").post(f"{API}/cases", json={
            "process": "talent_nomination", "data": dossier(allowance_percent=300)}), 422)
    assert "allowance_percent" in refused["details"]
    assert settings.DECLARED[RATE].default == talent_nomination.ALLOWANCE_PERCENT == 150


@pytest.mark.parametrize("percent", [99, 301])
def test_a_rate_outside_its_bounds_stops_the_rules_file(percent):
    with pytest.raises(settings.RulesFileError, match="talent_nomination.allowance_percent"):
        settings.parse({"talent_nomination": {"allowance_percent": percent}})
