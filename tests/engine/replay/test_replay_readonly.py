"""Replay and state-at-step only read: run inside a read-only transaction they still answer,
and twice in a row they answer the same (no random ids, clock or dict order in the result).

Cases: an annual review whose two assessments (child cases) are done, so the review
received its message and opened hr's consolidation; and each assessment.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Any, Iterator

from sqlalchemy import select, text

from engine.replay import rerun as replay
from engine.store.models import Case
from tests.api.support import unchanged
from tests.helpers import complete
from tests.workflows.test_annual_talent_review import PLAIN, assessments, start_review, talent


@contextmanager
def read_only(store: Any) -> Iterator[Any]:
    """A connection the database itself refuses to write through."""
    with store.engine.connect() as conn:
        if store.is_sqlite:
            conn.exec_driver_sql("PRAGMA query_only = 1")
        else:
            conn.execute(text("SET TRANSACTION READ ONLY"))
        try:
            yield conn
        finally:
            conn.rollback()
            if store.is_sqlite:
                conn.exec_driver_sql("PRAGMA query_only = 0")


def test_replaying_a_review_and_its_assessments_writes_nothing_and_repeats_exactly(auth, store, service):
    talent(store, "Trần Thị Lan", "SGDDT", date(2020, 9, 1))
    talent(store, "Lê Văn Minh", "SKHCN-QLKH", date(2022, 6, 15))
    review = start_review(auth)
    for head in ("head_gddt", "head_qlkh"):
        complete(auth, head, assessments(auth, head, review["id"])[0]["id"], PLAIN)
    with store.read() as session:
        case_ids = session.scalars(select(Case.id).order_by(Case.id)).all()
    assert len(case_ids) == 3

    with unchanged(store):
        answers = []
        for _ in range(2):
            with read_only(store) as conn:
                answers.append({case_id: (replay.replay_case(service, conn, case_id).as_dict(),
                                          replay.state_at(service, conn, case_id))
                                for case_id in case_ids})
    for case_id in case_ids:
        replayed, state = answers[0][case_id]
        assert replayed["consistent"], replayed["divergence"]
        assert answers[1][case_id] == (replayed, state)
    assert "consolidate_review" in answers[0][review["id"]][1]["active_element_ids"]
