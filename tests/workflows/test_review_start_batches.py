"""A review's assessments start after its step, in batches: what hr sees while some are still to start.

The batches are one assessment each here (``ChildBatches.size = 1``) and the server 'dies' after
the first: the review is running with 1 of its 3 assessments; its progress panel says the others
are being started, and the review is not handed any result when that one assessment ends. The
executor's sweep then starts the other two, once.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.store.models import Case
from tests.api.support import API, history
from tests.conftest import Auth
from tests.engine.time.timer_support import actor
from tests.helpers import complete
from tests.workflows.test_annual_talent_review import PLAIN, YEAR, assessments, talent
from workflows import annual_talent_review, review_progress


class Crash(BaseException):
    """The server process dying between two batches."""


def panel_notes(auth: Auth, case_id: int) -> list[Any]:
    case = auth.as_("hr").get(f"{API}/cases/{case_id}").get_json()
    return [words for note in review_progress.progress_panel(case).parts for words in note.words]


def test_a_review_still_starting_its_assessments_says_so_and_hears_nothing_until_all_have_started(
        auth: Auth, store, service, manual_clock, monkeypatch):
    ids = [talent(store, name, "SGDDT", date(2022, 1, 10)) for name in ("Trần Thị Lan", "Vũ Minh Châu", "Lê Văn Minh")]
    service.child_batches.size = 1
    real, calls = service.child_batches.batch, []

    def batch(parent_id: int) -> tuple[int, bool]:
        if calls:
            raise Crash()
        calls.append(parent_id)
        return real(parent_id)

    monkeypatch.setattr(service.child_batches, "batch", batch)
    with pytest.raises(Crash):
        service.start(actor(store, "hr"), annual_talent_review.PROCESS_KEY, {"year": YEAR})
    with store.read() as session:
        [case_id] = session.scalars(select(Case.id).where(Case.process_key == annual_talent_review.PROCESS_KEY))
    monkeypatch.undo()

    [words] = [w for w in panel_notes(auth, case_id) if "being started" in w.text]
    assert words.values == {"started": 1, "count": 3}
    [task] = assessments(auth, "head_gddt", case_id)
    complete(auth, "head_gddt", task["id"], PLAIN)  # the only assessment started ends: 2 are still to start
    assert "message_received" not in [e["type"] for e in history(auth, "hr", case_id)]

    manual_clock.advance(timedelta(minutes=2))
    assert service.child_batches.sweep() == 2 and service.child_batches.sweep() == 0
    assert not [w for w in panel_notes(auth, case_id) if "being started" in w.text]
    for task in assessments(auth, "head_gddt", case_id):
        complete(auth, "head_gddt", task["id"], PLAIN)
    events = history(auth, "hr", case_id)
    [received] = [e for e in events if e["type"] == "message_received"]
    assert sorted(received["data"]["payload"]["results"]) == sorted(str(t) for t in ids)
    assert [e["data"]["count"] for e in events if e["type"] in ("assessments_started", "child_starts_planned",
                                                                 "children_started")] == [3, 3, 3]
