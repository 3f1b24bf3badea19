"""Child cases that end in the very step that starts them.

``fan_out`` (tests/data/fan_out.bpmn) starts two ``instant_child`` cases from its
policy's ``after_step`` and waits for ``children_done``; each child ends as soon as
it starts. The parent is still inside its own step then (its new state not yet
written): the message must wait for that step to be saved, and go once, after the
last child — not to the half-saved parent after the first one.
"""
from __future__ import annotations

from sqlalchemy import select

from engine.store.models import Case, Event
from engine.policy import ProcessPolicy, Step
from tests.engine.time.timer_support import actor, deploy_test_diagram
from workflows import POLICIES

CHILDREN = 2


class FanOut(ProcessPolicy):
    def after_step(self, step: Step) -> None:
        started = step.db.execute(select(Case.id).where(Case.parent_case_id == step.case_id)).first()
        if not started and not step.finished:
            for n in range(CHILDREN):
                step.start_case("instant_child", {"n": n})

    def children_finished(self, children):  # type: ignore[no-untyped-def]
        return "children_done", {"ended": [child["status"] for child in children]}


def test_children_ending_in_the_parents_own_step_send_their_message_once_that_step_is_saved(
        store, service, manual_clock, monkeypatch):
    monkeypatch.setitem(POLICIES, "fan_out", FanOut())
    deploy_test_diagram(store, "instant_child.bpmn")
    deploy_test_diagram(store, "fan_out.bpmn")

    parent_id, answered = service.start(actor(store, "hr"), "fan_out", {},
                                        view=lambda conn, case: (case.id, (case.status, case.version)))

    with store.read() as session:
        parent = session.get(Case, parent_id)
        children = session.scalars(select(Case.status).where(Case.parent_case_id == parent_id)).all()
        received = session.scalars(select(Event).where(Event.case_id == parent_id,
                                                       Event.type == "message_received")).all()
        seqs = session.scalars(select(Event.seq).where(Event.case_id == parent_id).order_by(Event.seq)).all()
    assert children == ["completed"] * CHILDREN
    assert [e.data["payload"] for e in received] == [{"ended": ["completed"] * CHILDREN}]
    assert parent.status == "completed" and answered == (parent.status, parent.version)  # the answer is current
    assert seqs == list(range(1, len(seqs) + 1)) and parent.event_seq == len(seqs)
