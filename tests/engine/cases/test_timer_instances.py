"""A boundary timer fires for its own task instance, and tells only about that instance.

The same user task can be open twice at once: a loop reaches it again before the first
instance is done (as the leadership exam's notice to the rejected, one per screening), or a
multi-instance subprocess opens one per item. Each instance has its own reminder timer with
its own due time. Before, the runner told timers apart by element id alone: the first
instance's reminder also named the second task, and while the second instance's timer still
waited, the first one's firing went unrecorded (no ``timer_fired``, no reminder).
The diagrams are built here; the manual clock moves, ``service.fire_due()`` fires.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from engine.definitions.specs import SourceFile
from engine.replay import replay_case
from engine.store.models import Case, Event, Notification, Task
from tests.engine.time.timer_support import actor
from workflows import deploy_files

HOUR, SECOND = timedelta(hours=1), timedelta(seconds=1)
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'id="Definitions_{key}" targetNamespace="http://example.org/talentflow/tests">\n')
REMINDER = '''<bpmn:boundaryEvent id="remind" name="Notice reminder" attachedToRef="{task}" cancelActivity="false">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="kind" value="reminder" /><camunda:property name="notify" value="assignee" />
      </camunda:properties></bpmn:extensionElements>
      <bpmn:outgoing>f_reminded</bpmn:outgoing>
      <bpmn:timerEventDefinition id="TimerDef_remind"><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{after}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="EndEvent_reminded"><bpmn:incoming>f_reminded</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f_reminded" sourceRef="remind" targetRef="EndEvent_reminded" />'''

#: hr tells the rejected of each round, and may open another round while a notice is still open:
#: every round opens its own ``notice``, reminded 2 hours after it opened.
ROUNDS = HEAD.format(key="rounds") + '''  <bpmn:process id="rounds" name="Rounds" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_hr" name="hr_officer">
      <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>merge</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>fork</bpmn:flowNodeRef><bpmn:flowNodeRef>notice</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>remind</bpmn:flowNodeRef><bpmn:flowNodeRef>another_round</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>more</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_told</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>EndEvent_reminded</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent_done</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="merge"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f_loop</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:userTask id="notice" name="Tell the rejected"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    ''' + REMINDER.format(task="notice", after='"PT2H"') + '''
    <bpmn:userTask id="another_round" name="Another round?"><bpmn:incoming>f4</bpmn:incoming><bpmn:outgoing>f6</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="more" default="f_end"><bpmn:incoming>f6</bpmn:incoming><bpmn:outgoing>f_loop</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="EndEvent_told"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="EndEvent_done"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="merge" />
    <bpmn:sequenceFlow id="f2" sourceRef="merge" targetRef="fork" />
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="notice" />
    <bpmn:sequenceFlow id="f4" sourceRef="fork" targetRef="another_round" />
    <bpmn:sequenceFlow id="f5" sourceRef="notice" targetRef="EndEvent_told" />
    <bpmn:sequenceFlow id="f6" sourceRef="another_round" targetRef="more" />
    <bpmn:sequenceFlow id="f_loop" sourceRef="more" targetRef="merge"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">again</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_end" sourceRef="more" targetRef="EndEvent_done" />
  </bpmn:process>
</bpmn:definitions>
'''

#: One review per reviewer (a multi-instance subprocess), each reminded after its reviewer's own hours.
REVIEWS = HEAD.format(key="reviews") + '''  <bpmn:process id="reviews" name="Reviews" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1"><bpmn:lane id="Lane_hr" name="hr_officer">
      <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef><bpmn:flowNodeRef>each_review</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>EndEvent_done</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="each_review" name="Each review">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="reviewers" camunda:elementVariable="reviewer" />
      <bpmn:startEvent id="StartEvent_review"><bpmn:outgoing>r1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="review" name="Review"><bpmn:incoming>r1</bpmn:incoming><bpmn:outgoing>r2</bpmn:outgoing></bpmn:userTask>
      ''' + REMINDER.format(task="review", after='f"PT{reviewer[\'hours\']}H"') + '''
      <bpmn:endEvent id="EndEvent_reviewed"><bpmn:incoming>r2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="r1" sourceRef="StartEvent_review" targetRef="review" />
      <bpmn:sequenceFlow id="r2" sourceRef="review" targetRef="EndEvent_reviewed" />
    </bpmn:subProcess>
    <bpmn:endEvent id="EndEvent_done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="StartEvent_1" targetRef="each_review" />
    <bpmn:sequenceFlow id="f2" sourceRef="each_review" targetRef="EndEvent_done" />
  </bpmn:process>
</bpmn:definitions>
'''


def deploy(store: Any, key: str, source: str) -> None:
    with store.transaction() as session:
        deploy_files(session, [SourceFile(f"{key}.bpmn", source.encode())], "tests")


def ready(store: Any, case_id: int, element_id: str) -> list[str]:
    """Ids of the case's ready tasks of ``element_id``, oldest first."""
    with store.read() as session:
        return list(session.scalars(select(Task.id).where(Task.case_id == case_id, Task.element_id == element_id,
                                                          Task.status == "ready").order_by(Task.created_at, Task.id)))


def reminded(store: Any, case_id: int) -> list[str | None]:
    """The task of each reminder the case's notifications name, oldest first."""
    with store.read() as session:
        return list(session.scalars(select(Notification.task_id).where(Notification.case_id == case_id)
                                    .order_by(Notification.id)))


def events(store: Any, case_id: int, kind: str) -> list[Event]:
    with store.read() as session:
        found = list(session.scalars(select(Event).where(Event.case_id == case_id, Event.type == kind)
                                     .order_by(Event.seq)))
        session.expunge_all()
        return found


def two_rounds(store: Any, service: Any, manual_clock: Any) -> tuple[int, str, str]:
    """A ``rounds`` case with two notices open: the first opened an hour before the second."""
    deploy(store, "rounds", ROUNDS)
    hr = actor(store, "hr")
    case_id = int(service.start(hr, "rounds", {}))
    [first] = ready(store, case_id, "notice")
    manual_clock.advance(HOUR)
    service.complete(hr, ready(store, case_id, "another_round")[0], {"again": True})
    second = next(t for t in ready(store, case_id, "notice") if t != first)
    return case_id, first, second


def test_two_open_notices_are_each_reminded_by_their_own_timer_only(store, service, manual_clock):
    opened = manual_clock.now()
    case_id, first, second = two_rounds(store, service, manual_clock)

    manual_clock.set(opened + 2 * HOUR + SECOND)  # the first notice's reminder, the second's not yet
    assert service.fire_due() == {case_id: ["remind"]}
    assert reminded(store, case_id) == [first]
    assert [e.task_id for e in events(store, case_id, "reminder_sent")] == [first]

    manual_clock.set(opened + 3 * HOUR)  # the second's is due now, and fires only once past it
    assert service.fire_due() == {}
    manual_clock.set(opened + 3 * HOUR + SECOND)
    assert service.fire_due() == {case_id: ["remind"]}
    assert reminded(store, case_id) == [first, second]
    assert [e.task_id for e in events(store, case_id, "reminder_sent")] == [first, second]
    assert service.fire_due() == {}


def test_one_of_two_waiting_timers_of_an_element_fires_and_is_recorded_while_the_other_waits(
        store, service, manual_clock):
    opened = manual_clock.now()
    case_id, first, _ = two_rounds(store, service, manual_clock)

    manual_clock.set(opened + 2 * HOUR + SECOND)
    assert service.fire_due() == {case_id: ["remind"]}
    [fired] = events(store, case_id, "timer_fired")
    assert fired.task_id is None and set(fired.data) == {"element_id", "due_at", "fired_at"}
    assert (fired.data["element_id"], fired.data["due_at"]) == ("remind", (opened + 2 * HOUR).isoformat())
    assert reminded(store, case_id) == [first]
    with store.read() as session:  # the other instance still waits: the case is woken for it
        assert session.get(Task, first).status == "ready"
        assert session.get(Case, case_id).next_timer_at == opened + 3 * HOUR
    with store.read() as session:  # and replay, counting timer instances too, agrees step by step
        result = replay_case(service, session.connection(), case_id)
    assert result.consistent, result.divergence


def test_each_instance_of_a_multi_instance_review_is_reminded_when_its_own_timer_fires(
        store, service, manual_clock):
    deploy(store, "reviews", REVIEWS)
    opened = manual_clock.now()
    case_id = int(service.start(actor(store, "hr"), "reviews",
                                {"reviewers": [{"name": "An", "hours": 2}, {"name": "Binh", "hours": 2},
                                               {"name": "Chi", "hours": 5}]}))
    reviews = ready(store, case_id, "review")
    assert len(reviews) == 3

    manual_clock.set(opened + 2 * HOUR + SECOND)  # An's and Binh's reminders, at once
    assert service.fire_due() == {case_id: ["remind", "remind"]}
    first_two = sorted(reminded(store, case_id))
    assert len(set(first_two)) == 2 and len(events(store, case_id, "reminder_sent")) == 2
    [chis] = [t for t in reviews if t not in first_two]

    manual_clock.set(opened + 5 * HOUR + SECOND)
    assert service.fire_due() == {case_id: ["remind"]}
    assert reminded(store, case_id)[2:] == [chis]
    assert len(events(store, case_id, "timer_fired")) == 3
