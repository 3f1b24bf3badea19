"""The resolution's targets, measured (DOMAIN.md "The resolution's targets").

The leadership-exam share comes from the appointments register, counting first appointments only
(re-appointments are in the register but are not "new appointments" of the target), the talent
figures from the talent registry and its reviews; what no process produces
(recruits, classes, partner universities, excellent graduates) hr enters per
year as yearly figures. Every target is configuration, here.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import case, extract, func, select
from sqlalchemy.engine import Connection

from workflows.programme.registry import APPOINTMENT, FIGURE, REVIEW, TALENT, UNIT

#: At least this share of new leadership appointments by competitive exam, every year (task 7).
EXAM_SHARE_TARGET = 0.20
#: Milestones {first year: target}; a year uses the latest milestone at or before it (the first before).
TALENT_RECRUIT_TARGETS = {2025: 0.10, 2030: 0.20}
ST_TRAINING_TARGETS = {2025: 0.30, 2030: 0.60, 2050: 1.00}
RETAINED_AFTER_YEARS, RETAINED_TARGET = 5, 1.00
EXCELLENT_STUDENTS_TARGET = 0.05
TRAINING_CLASSES_MIN = 2
PARTNER_UNIVERSITIES_TARGET = 20


def milestone(targets: dict[int, float], year: int) -> float:
    years = sorted(targets)
    applicable = [y for y in years if y <= year]
    return targets[applicable[-1] if applicable else years[0]]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def exam_share(db: Connection, year: int, every_unit: bool = False) -> dict[str, Any]:
    """City-wide and per-unit share of new leadership appointments made by exam in ``year``.

    Only first appointments count, on both sides of the share [law: 2424/BNV-CCVC: only first
    appointments to the post level qualify]: a re-appointment is neither an exam appointment nor a
    new one. Each row also says how many re-appointments it left out (``reappointments``), so a
    reader comparing with the register sees why the totals differ.

    A unit's row counts its own appointments and those of the units below it (a department
    answers for its divisions). Every department directly under the city has a row, with or
    without appointments; deeper units appear when they have some (``every_unit``: all do)."""
    in_year = extract("year", APPOINTMENT.c.appointed_on) == year
    first = APPOINTMENT.c.first_appointment.is_(True)
    exam = func.sum(case((first & APPOINTMENT.c.via_exam.is_(True), 1), else_=0))
    total = func.sum(case((first, 1), else_=0))
    again = func.sum(case((first, 0), else_=1))
    direct = {r.unit_id: (int(r.exam or 0), int(r.total or 0), int(r.again or 0)) for r in db.execute(
        select(APPOINTMENT.c.unit_id, exam.label("exam"), total.label("total"), again.label("again"))
        .where(in_year).group_by(APPOINTMENT.c.unit_id))}
    units = db.execute(select(UNIT.c.id, UNIT.c.code, UNIT.c.name, UNIT.c.path, UNIT.c.parent_id)
                       .order_by(UNIT.c.path)).all()
    roots = {u.id for u in units if u.parent_id is None}
    rows = []
    for unit in units:
        if unit.id in roots:
            continue  # the city itself: the city-wide row
        counts = [direct[i] for i in (u.id for u in units if u.path.startswith(unit.path)) if i in direct]
        exam_n, first_n, again_n = (sum(c[k] for c in counts) for k in range(3))
        if first_n or again_n or unit.parent_id in roots or every_unit:
            rows.append(_exam_row(unit.code, unit.name, exam_n, first_n, again_n))
    everywhere = list(direct.values())
    city = _exam_row(None, "Toàn thành phố", *(sum(c[k] for c in everywhere) for k in range(3)))
    return {"target": EXAM_SHARE_TARGET, "city": city, "units": rows}


def units_exam_share(db: Connection, year: int, within: list[str]) -> dict[str, Any]:
    """The exam share of the units in the subtrees ``within`` (unit paths: a unit head's units) and
    nothing else: every unit of those subtrees has a row counting its own subtree, and ``total``
    counts the subtrees together (no city-wide figure: it holds other units' appointments)."""
    roots = tuple(within)
    whole = exam_share(db, year, every_unit=True)
    paths = dict(db.execute(select(UNIT.c.code, UNIT.c.path)).all())
    rows = [row for row in whole["units"] if (paths.get(row["unit"]) or "").startswith(roots)] if roots else []
    # the subtrees' tops: a unit below another of the list is already counted in its top's row
    tops = [row for row in rows if not any(paths[row["unit"]] != paths[other["unit"]]
                                           and paths[row["unit"]].startswith(paths[other["unit"]]) for other in rows)]
    total = _exam_row(None, "", *(sum(row[key] for row in tops) for key in ("exam", "total", "reappointments")))
    return {"target": EXAM_SHARE_TARGET, "total": total, "units": rows}


def units_report(db: Connection, year: int, within: list[str]) -> dict[str, Any]:
    """The targets a unit head answers for (``within``: their units' paths; ``scope``: their codes):
    the exam share of their units only. The other targets are city-wide figures (the registry's,
    hr's entries): they stay on hr's dashboard."""
    codes = db.execute(select(UNIT.c.code).where(UNIT.c.path.in_(within))).scalars() if within else []
    return {"year": year, "scope": sorted(codes), "exam_share": units_exam_share(db, year, within)}


def _exam_row(code: str | None, name: str, exam: int, total: int, reappointments: int) -> dict[str, Any]:
    """One row of the share: ``total`` is the first appointments, ``reappointments`` those left out."""
    share = _share(exam, total)
    on_track = share is not None and share >= EXAM_SHARE_TARGET
    row = {"unit": code, "name": name, "exam": exam, "total": total, "share": share,
           "target": EXAM_SHARE_TARGET, "on_track": on_track, "reappointments": reappointments}
    if not on_track:
        needed = _exam_needed(exam, total)
        row["warning"] = (
            f"Chưa đạt chỉ tiêu {EXAM_SHARE_TARGET:.0%}: cần thêm {needed} trường hợp bổ nhiệm qua thi tuyển / "
            f"behind the {EXAM_SHARE_TARGET:.0%} target: {needed} more appointment(s) by exam would reach it"
            if total else "Chưa có bổ nhiệm mới / no new leadership appointments recorded yet")
    return row


def _exam_needed(exam: int, total: int) -> int:
    """Further exam appointments (each adding to both counts) to reach the target share."""
    needed = 0
    while (exam + needed) < EXAM_SHARE_TARGET * (total + needed):
        needed += 1
    return needed


def _figures(db: Connection, year: int) -> dict[str, int]:
    rows = db.execute(select(FIGURE.c.key, FIGURE.c.value).where(FIGURE.c.year == year, FIGURE.c.unit_id.is_(None)))
    return {key: value for key, value in rows}


def registry_figures(db: Connection, year: int) -> dict[str, Any]:
    recognised = db.execute(select(func.count()).where(extract("year", TALENT.c.recognised_on) == year)).scalar()
    excellent = db.execute(select(func.count()).where(extract("year", TALENT.c.recognised_on) == year,
                                                      TALENT.c.category == "excellent_graduate")).scalar()
    removed = db.execute(select(func.count()).where(extract("year", TALENT.c.removed_on) == year)).scalar()
    cohort_year = year - RETAINED_AFTER_YEARS
    cohort = db.execute(select(func.count(), func.sum(case((TALENT.c.status == "active", 1), else_=0)))
                        .where(extract("year", TALENT.c.recognised_on) == cohort_year)).one()
    reviewed = db.execute(select(func.count(), func.sum(case((REVIEW.c.trained_st.is_(True), 1), else_=0)))
                          .where(REVIEW.c.year == year)).one()
    return {
        "talents_recognised": int(recognised or 0),
        "excellent_graduates_recognised": int(excellent or 0),
        "talents_removed": int(removed or 0),
        "retained_after_5_years": {"cohort_year": cohort_year, "recognised": int(cohort[0] or 0),
                                   "still_active": int(cohort[1] or 0),
                                   "share": _share(int(cohort[1] or 0), int(cohort[0] or 0)),
                                   "target": RETAINED_TARGET},
        "trained_in_st": {"reviewed": int(reviewed[0] or 0), "trained": int(reviewed[1] or 0),
                          "share": _share(int(reviewed[1] or 0), int(reviewed[0] or 0)),
                          "target": milestone(ST_TRAINING_TARGETS, year)},
    }


def targets_report(db: Connection, year: int) -> dict[str, Any]:
    """The table of DOMAIN.md for ``year``: measured value, target and whether it is met."""
    exams = exam_share(db, year)
    reg = registry_figures(db, year)
    entered = _figures(db, year)

    def measured(key: str, value: float | int | None, target: float | int, *, at_least: bool = True,
                 source: str) -> dict[str, Any]:
        met = None if value is None else (value >= target if at_least else value <= target)
        return {"key": key, "value": value, "target": target, "met": met, "source": source}

    recruits, talent_recruits = entered.get("new_recruits"), entered.get("talent_recruits")
    graduates = entered.get("excellent_graduates")
    table = [
        measured("exam_share", exams["city"]["share"], EXAM_SHARE_TARGET, source="appointments"),
        measured("talent_share_of_recruits",
                 _share(talent_recruits, recruits) if recruits and talent_recruits is not None else None,
                 milestone(TALENT_RECRUIT_TARGETS, year), source="figures"),
        measured("excellent_students_identified",
                 _share(reg["excellent_graduates_recognised"], graduates) if graduates else None,
                 EXCELLENT_STUDENTS_TARGET, source="registry+figures"),
        measured("trained_in_st", reg["trained_in_st"]["share"], reg["trained_in_st"]["target"], source="reviews"),
        measured("retained_after_5_years", reg["retained_after_5_years"]["share"], RETAINED_TARGET,
                 source="registry"),
        measured("training_classes", entered.get("training_classes"), TRAINING_CLASSES_MIN, source="figures"),
        measured("partner_universities", entered.get("partner_universities"), PARTNER_UNIVERSITIES_TARGET,
                 source="figures"),
    ]
    return {"year": year, "exam_share": exams, "registry": reg, "figures": entered, "targets": table}


__all__ = ["exam_share", "registry_figures", "targets_report", "units_exam_share", "units_report"]
