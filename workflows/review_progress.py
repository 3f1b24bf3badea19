"""hr's view of a yearly review's progress by unit, and the reminder to a late unit's heads.

A review starts one assessment case per talent (:mod:`workflows.talent_assessment`); the head of
the talent's unit assesses by 15 December. hr needs to see, per unit, how many are assessed, how
many are still open and how many of those are overdue, and to remind a late unit with one click.
The engine counts the assessments per unit (``ProcessPolicy.progress_of``,
:func:`engine.cases.reminders.child_task_progress`, shown to the review's readers only) and sends
the reminder (``engine.cases.reminders``); this module says how the figures read (the review's
panel and its page ``/cases/<id>/progress``) and who may remind whom:

- only hr reminds (an approver or an auditor reads the figures but does not chase the units);
- only a unit with assessments still open — before the deadline, open; after it, overdue;
- while the assessments are still being started (in batches after the review's step,
  ``engine.cases.child_batches``), the panel says how many of how many have started, so a count
  short of the list reads as "being started", never as talents left out;
- the reminder goes to the unit heads of that unit (and those above it who hold the role there,
  as the assessments themselves do), naming the unit, how many are open and the deadline.

Its words are message ids of ``workflows/translations``, translated by the page.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Mapping

from engine.errors import Forbidden, Invalid
from engine.people.actors import Actor
from engine.policy import Action, Note, Panel, Reminder, Row, Table, Words
from engine.time.clock import last_day
from workflows.processes import N_

#: The task of an assessment case the progress counts, and the page it is shown on.
ASSESSMENT_TASK = "assess_talent"
PAGE = "progress"
#: Who reminds the units, and who is reminded.
REMINDER_ROLE = "hr_officer"
ASSESSOR_ROLE = "unit_head"

_COLUMNS = (N_("Unit"), N_("Assessed"), N_("Open"), N_("Overdue"), N_("Ended unassessed"), N_("In all"),
            N_("Reminder"))


def deadline_of(data: Mapping[str, Any]) -> date | None:
    """The last day of the assessments (15 December): the moment they close is the next midnight."""
    closes = data.get("assessments_close_at")
    return last_day(datetime.fromisoformat(str(closes))) if closes else None


def _unit_words(line: Mapping[str, Any]) -> Words:
    if line["role"] != ASSESSOR_ROLE:
        return Words(N_("Talents with no unit (assessed by hr)"))
    return Words("%(code)s · %(name)s", {"code": line["unit"] or "—", "name": line["unit_name"] or "—"})


def _action(line: Mapping[str, Any], running: bool) -> Action | None:
    """The reminder button of a unit with assessments still open, while the review runs."""
    if not (running and line["role"] == ASSESSOR_ROLE and line["open"] and line["unit"]):
        return None
    return Action("remind", line["unit"], Words(N_("Remind the unit")),
                  Words(N_("Remind the unit %(unit)s of %(count)s open assessments"),
                        {"unit": line["unit"], "count": line["open"]}))


def progress_panel(case: Mapping[str, Any]) -> Panel | None:
    """The review's progress by unit, for its readers (the case view holds ``progress`` for them only)."""
    lines = case.get("progress")
    if lines is None:
        return None
    data = case.get("data") or {}
    done, total = sum(line["done"] for line in lines), sum(line["total"] for line in lines)
    open_, overdue = sum(line["open"] for line in lines), sum(line["overdue"] for line in lines)
    notes: list[Note] = [Note((Words(N_("%(done)s/%(total)s assessed"), {"done": done, "total": total}),
                               Words(N_("%(open)s open, %(overdue)s of them overdue"),
                                     {"open": open_, "overdue": overdue})), kind="progress")]
    skipped = (case.get("child_plan") or {}).get("skipped", 0)  # could not start, dropped by an admin
    expected = len(_register(data)) - skipped if "review_outcomes" not in data else 0
    if case.get("status") == "running" and total < expected:  # planned, started in batches after the review's step
        notes.append(Note((Words(N_("%(started)s of %(count)s assessments started; the others are being started"),
                                 {"started": total, "count": expected}),), kind="notice"))
    if skipped:
        notes.append(Note((Words(N_("%(count)s assessments could not start and were skipped by an admin "
                                    "(the reason is in the history)"), {"count": skipped}),), kind="notice"))
    deadline = deadline_of(data)
    if deadline is not None:
        late = any(line["overdue"] for line in lines)  # once late, the deadline reads as a warning
        notes.append(Note((Words(N_("Deadline for the assessments: %(day)s"), {"day": deadline}),),
                          kind="notice" if late else "subject"))
    running = case.get("status") == "running"
    rows = tuple(Row((_unit_words(line), line["done"], line["open"], line["overdue"], line["closed"], line["total"],
                      _action(line, running)), css="overdue" if line["overdue"] else "")
                 for line in lines)
    table = Table(tuple(Words(c) for c in _COLUMNS), rows, caption=Words(N_("Assessments per unit")),
                  row_header=0, numeric=frozenset({1, 2, 3, 4, 5}), css="progress-table")
    return Panel(Words(N_("Assessments by unit")), tuple(notes), page=PAGE,
                 link=Words(N_("Progress by unit and reminders")), about=str(data.get("year", "")),
                 page_parts=(table,) if lines else (Note((Words(N_("No assessments were started.")),)),))


def _register(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The talents the review assesses, one assessment each (what the started ones are counted against)."""
    return (data.get("data_objects") or {}).get("review_register") or {}


def reminder(case: Mapping[str, Any], target: str, actor: Actor) -> Reminder:
    """hr reminds the heads of the unit ``target`` (a code) of its assessments still open."""
    if not actor.has_role(REMINDER_ROLE):
        raise Forbidden("only hr reminds the units of a review", code="reminder_forbidden")
    [line] = [line for line in case["progress"] if line["role"] == ASSESSOR_ROLE and line["unit"] == target] or [None]
    if line is None or not line["open"]:
        raise Invalid(f"unit {target} has no open assessment in this review",
                      {"target": ["no open assessment"]}, code="nothing_to_remind")
    data = case["data"]
    year, deadline = data.get("year"), deadline_of(data)
    late = bool(line["overdue"])
    text = (N_("hr reminds %(unit)s: %(count)s talent assessments of the %(year)s review are overdue "
               "(deadline %(deadline)s).") if late else
            N_("hr reminds %(unit)s: %(count)s talent assessments of the %(year)s review are still open "
               "(deadline %(deadline)s)."))
    unit = f"{line['unit']} · {line['unit_name']}"
    day = deadline.strftime("%d/%m/%Y") if deadline else "—"
    message = (f"Nhắc {unit}: còn {line['open']} hồ sơ đánh giá nhân tài năm {year} "
               f"{'quá hạn' if late else 'chưa đánh giá'} (hạn {day}) / "
               + text % {"unit": unit, "count": line["open"], "year": year, "deadline": day})
    return Reminder(ASSESSOR_ROLE, target, message,
                    Words(text, {"unit": unit, "count": line["open"], "year": str(year), "deadline": deadline}),
                    {"year": year, "open": line["open"], "overdue": line["overdue"], "deadline": deadline})
