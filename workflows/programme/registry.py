"""The registries the processes feed: talents (with their yearly reviews),
leadership appointments, and the yearly figures hr enters for the targets report.

Process modules write here from :meth:`ProcessPolicy.after_step`, through the
step's own connection, so a registry row commits or rolls back with the case
step that made it.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable, Optional

from sqlalchemy import (Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, extract, func,
                        false, insert, or_, select, true, update)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from engine.cases.search import search_key
from engine.time import clock
from engine.errors import Conflict, Invalid, NotFound
from engine.store.models import ID, Base, Unit
from workflows.processes import N_

TALENT_CATEGORIES = ("excellent_graduate", "young_scientist", "cbccvc", "expert")
#: A talent's states in the register, the words the pages show for them and their badges' tones.
TALENT_STATUSES = {"active": N_("Active"), "removed": N_("Removed")}
TALENT_STATUS_TONES = {"active": "ok", "removed": "muted"}
RATINGS = ("xuat_sac", "tot", "hoan_thanh", "khong_hoan_thanh")
OUTCOMES = ("keep", "at_risk", "remove")
LEVELS = ("giam_doc_so", "pho_giam_doc_so", "truong_phong", "pho_truong_phong", "other")
#: The extra allowance of a recognised talent, in % of salary [law: Decree 179 Art. 15]: the default of the
#: ``talent_nomination.allowance_percent`` setting, and the rate of every talent entered (and every
#: nomination started) before the rate was stored with the talent (migration 0007).
DECREE_179_ALLOWANCE_PERCENT = 150
#: Figures hr enters per year (and optionally per unit) that no process produces.
FIGURE_KEYS = ("new_recruits", "talent_recruits", "excellent_graduates", "training_classes", "partner_universities")


class Talent(Base):
    """A recognised talent (*nhân tài*): enters on recognition, leaves by a review's removal."""

    __tablename__ = "talent"
    __table_args__ = (Index("ix_talent_status_unit", "status", "unit_id"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    category: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    recognised_on: Mapped[date] = mapped_column(Date)
    decision_no: Mapped[str] = mapped_column(String(100), default="")
    allowance_from: Mapped[Optional[date]] = mapped_column(Date)
    #: The rate in force when the nomination started (a setting): stored, as the date is, not paid from here.
    allowance_percent: Mapped[int] = mapped_column(Integer, server_default=str(DECREE_179_ALLOWANCE_PERCENT))
    source_case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    removed_on: Mapped[Optional[date]] = mapped_column(Date)
    removal_reason: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime]


class TalentReview(Base):
    """One year's row of a talent's review history."""

    __tablename__ = "talent_review"
    __table_args__ = (UniqueConstraint("talent_id", "year"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    talent_id: Mapped[int] = mapped_column(ForeignKey("talent.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    rating: Mapped[str] = mapped_column(String(32))
    appointed_or_promoted: Mapped[bool] = mapped_column(Boolean, default=False)
    in_planning: Mapped[bool] = mapped_column(Boolean, default=False)
    trained_st: Mapped[bool] = mapped_column(Boolean, default=False)
    serving_in_city: Mapped[bool] = mapped_column(Boolean, default=True)
    disciplined: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str] = mapped_column(String(16))
    rule_outcome: Mapped[str] = mapped_column(String(16))
    override_reason: Mapped[Optional[str]] = mapped_column(Text)
    source_case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    recorded_at: Mapped[datetime]


class Appointment(Base):
    """The appointments register: every leadership appointment, by exam or not, first or re-appointment.

    Only first appointments to the post level count toward the 20 % exam share [law: 2424/BNV-CCVC];
    a re-appointment (*bổ nhiệm lại*) is listed here but counted in neither side of the share."""

    __tablename__ = "appointment"
    __table_args__ = (Index("ix_appointment_date", "appointed_on"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    post: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    person_name: Mapped[str] = mapped_column(String(200))
    appointed_on: Mapped[date] = mapped_column(Date)
    via_exam: Mapped[bool] = mapped_column(Boolean, default=False)
    first_appointment: Mapped[bool] = mapped_column(Boolean, server_default=true())
    decision_no: Mapped[str] = mapped_column(String(100), default="")
    term_years: Mapped[int] = mapped_column(Integer, default=5)
    source_case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("case.id"))
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class YearlyFigure(Base):
    """A figure hr enters for a year (city-wide when ``unit_id`` is NULL)."""

    __tablename__ = "yearly_figure"
    __table_args__ = (UniqueConstraint("year", "unit_id", "key"),)
    id: Mapped[int] = mapped_column(ID, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("unit.id"))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


TALENT, REVIEW, APPOINTMENT, FIGURE = (Talent.__table__, TalentReview.__table__, Appointment.__table__,
                                       YearlyFigure.__table__)
UNIT = Unit.__table__


def unit_id(db: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    found = db.execute(select(UNIT.c.id).where(UNIT.c.code == code)).scalar()
    if found is None:
        raise Invalid(f"unknown unit '{code}'", {"unit": [f"unknown unit '{code}'"]})
    return found


def add_talent(db: Connection, *, full_name: str, category: str, recognised_on: date, unit: str | None,
               field: str = "", birth_date: date | None = None, decision_no: str = "",
               source_case_id: int | None = None,
               allowance_percent: int = DECREE_179_ALLOWANCE_PERCENT) -> int:
    """Enter a recognised talent; the allowance (``allowance_percent`` of salary, the rate the
    recognising case started under) runs from the decision date. Stored, not paid: payroll reads it."""
    if category not in TALENT_CATEGORIES:
        raise Invalid("unknown category", {"category": [f"one of {', '.join(TALENT_CATEGORIES)}"]})
    if isinstance(allowance_percent, bool) or not isinstance(allowance_percent, int) or allowance_percent < 1:
        raise Invalid("the allowance rate is not a positive whole number of percent", {"allowance_percent": [
            "phải là số nguyên dương (phần trăm lương) / must be a positive whole percentage of salary"]})
    result = db.execute(insert(TALENT).values(
        full_name=full_name, birth_date=birth_date, unit_id=unit_id(db, unit), category=category, field=field,
        status="active", recognised_on=recognised_on, decision_no=decision_no, allowance_from=recognised_on,
        allowance_percent=allowance_percent, source_case_id=source_case_id, created_at=clock.now()))
    return int(result.inserted_primary_key[0])


def active_talents(db: Connection) -> list[dict[str, Any]]:
    """Snapshot of the active registry, with each talent's unit code and review history."""
    rows = db.execute(select(TALENT, UNIT.c.code.label("unit_code")).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
                      .where(TALENT.c.status == "active").order_by(TALENT.c.id)).all()
    history: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for review in db.execute(select(REVIEW).where(REVIEW.c.talent_id.in_([r.id for r in rows]))
                                 .order_by(REVIEW.c.year)):
            history.setdefault(review.talent_id, []).append({
                "year": review.year, "rating": review.rating, "appointed_or_promoted": review.appointed_or_promoted,
                "in_planning": review.in_planning, "outcome": review.outcome})
    return [{"talent_id": r.id, "full_name": r.full_name, "unit": r.unit_code, "category": r.category,
             "field": r.field, "recognised_on": r.recognised_on.isoformat(), "history": history.get(r.id, [])}
            for r in rows]


def record_review(db: Connection, *, talent_id: int, year: int, assessment: dict[str, Any], outcome: str,
                  rule_outcome: str, override_reason: str | None, source_case_id: int | None) -> None:
    """Write the year's review row and apply a removal to the registry."""
    if outcome not in OUTCOMES or rule_outcome not in OUTCOMES:
        raise Invalid("unknown review outcome", {"outcome": [f"one of {', '.join(OUTCOMES)}"]})
    exists = db.execute(select(REVIEW.c.id).where(REVIEW.c.talent_id == talent_id, REVIEW.c.year == year)).first()
    if exists:
        raise Conflict(f"talent {talent_id} already has a review for {year}", code="already_reviewed")
    db.execute(insert(REVIEW).values(
        talent_id=talent_id, year=year, rating=assessment["rating"],
        appointed_or_promoted=bool(assessment.get("appointed_or_promoted")),
        in_planning=bool(assessment.get("in_planning")), trained_st=bool(assessment.get("trained_st")),
        serving_in_city=bool(assessment.get("serving_in_city", True)),
        disciplined=bool(assessment.get("disciplined")), outcome=outcome, rule_outcome=rule_outcome,
        override_reason=override_reason, source_case_id=source_case_id, recorded_at=clock.now()))
    if outcome == "remove":
        reason = override_reason or assessment.get("removal_reason") or f"annual review {year}: {rule_outcome}"
        db.execute(update(TALENT).where(TALENT.c.id == talent_id).values(
            status="removed", removed_on=clock.now().astimezone(clock.CITY_ZONE).date(), removal_reason=reason))


def record_appointment(db: Connection, *, post: str, level: str, unit: str, person_name: str,
                       appointed_on: date, via_exam: bool, recorded_by: str, decision_no: str = "",
                       term_years: int = 5, source_case_id: int | None = None,
                       first_appointment: bool = True) -> int:
    """Enter one appointment. ``first_appointment`` false: a re-appointment, listed but not counted in
    the exam share. An exam appoints only to a first appointment [law: 2424/BNV-CCVC], so an exam
    re-appointment is refused rather than stored as a contradiction the report would have to guess at."""
    if level not in LEVELS:
        raise Invalid("unknown level", {"level": [f"one of {', '.join(LEVELS)}"]})
    if via_exam and not first_appointment:
        raise Invalid("an appointment by exam is always a first appointment", {"first_appointment": [
            "thi tuyển chỉ áp dụng với bổ nhiệm lần đầu / an exam appoints to a first appointment only"]})
    result = db.execute(insert(APPOINTMENT).values(
        post=post, level=level, unit_id=unit_id(db, unit), person_name=person_name, appointed_on=appointed_on,
        via_exam=via_exam, first_appointment=first_appointment, decision_no=decision_no, term_years=term_years,
        source_case_id=source_case_id, recorded_by=recorded_by, created_at=clock.now()))
    return int(result.inserted_primary_key[0])


def set_figure(db: Connection, *, year: int, key: str, value: int, recorded_by: str, unit: str | None = None) -> None:
    """Enter (or correct) one yearly figure."""
    if key not in FIGURE_KEYS:
        raise Invalid("unknown figure", {"key": [f"one of {', '.join(FIGURE_KEYS)}"]})
    if value < 0:
        raise Invalid("negative figure", {"value": ["must not be negative"]})
    uid = unit_id(db, unit)
    where = [FIGURE.c.year == year, FIGURE.c.key == key,
             FIGURE.c.unit_id.is_(None) if uid is None else FIGURE.c.unit_id == uid]
    if db.execute(select(FIGURE.c.id).where(*where)).first():
        db.execute(update(FIGURE).where(*where).values(value=value, recorded_by=recorded_by, recorded_at=clock.now()))
    else:
        db.execute(insert(FIGURE).values(year=year, unit_id=uid, key=key, value=value, recorded_by=recorded_by,
                                         recorded_at=clock.now()))


def talent_view(db: Connection, talent_id: int) -> dict[str, Any]:
    row = db.execute(select(TALENT, UNIT.c.code.label("unit_code")).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
                     .where(TALENT.c.id == talent_id)).first()
    if row is None:
        raise NotFound(f"talent {talent_id} not found")
    out = _talent_dict(row)
    out["reviews"] = [dict(r._mapping) for r in db.execute(
        select(REVIEW.c.year, REVIEW.c.rating, REVIEW.c.outcome, REVIEW.c.rule_outcome, REVIEW.c.override_reason,
               REVIEW.c.appointed_or_promoted, REVIEW.c.in_planning, REVIEW.c.trained_st, REVIEW.c.serving_in_city,
               REVIEW.c.disciplined, REVIEW.c.source_case_id)
        .where(REVIEW.c.talent_id == talent_id).order_by(REVIEW.c.year))]
    return out


def talent_names(db: Connection, talent_ids: Iterable[int]) -> dict[int, tuple[str, str | None]]:
    """Talent id -> (full name, unit path), in one query: how a page names the talents a case's data
    refers to by id, and tells whether a unit head may open their page."""
    ids = sorted({int(i) for i in talent_ids})
    if not ids:
        return {}
    return {row.id: (row.full_name, row.path) for row in db.execute(
        select(TALENT.c.id, TALENT.c.full_name, UNIT.c.path).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
        .where(TALENT.c.id.in_(ids)))}


def _talent_dict(row: Any) -> dict[str, Any]:
    return {"id": row.id, "full_name": row.full_name, "birth_date": row.birth_date, "unit": row.unit_code,
            "category": row.category, "field": row.field, "status": row.status,
            "recognised_on": row.recognised_on, "decision_no": row.decision_no,
            "allowance_from": row.allowance_from, "allowance_percent": row.allowance_percent,
            "source_case_id": row.source_case_id,
            "removed_on": row.removed_on, "removal_reason": row.removal_reason}


def _within(paths: list[str]) -> Any:
    """Talents whose unit lies in one of the unit subtrees ``paths``."""
    return or_(*(UNIT.c.path.startswith(path, autoescape=True) for path in paths)) if paths else false()


def talent_within(db: Connection, talent_id: int, paths: list[str]) -> bool:
    return db.execute(select(TALENT.c.id).join(UNIT, UNIT.c.id == TALENT.c.unit_id)
                      .where(TALENT.c.id == talent_id, _within(paths))).first() is not None


def list_talents(db: Connection, *, status: str | None = None, category: str | None = None,
                 unit: str | None = None, within: list[str] | None = None, page: int = 1,
                 per_page: int = 50) -> dict[str, Any]:
    """A page of the registry; ``within``: only these unit subtrees (a unit head's view)."""
    query = select(TALENT, UNIT.c.code.label("unit_code")).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
    if within is not None:
        query = query.where(_within(within))
    if status:
        query = query.where(TALENT.c.status == status)
    if category:
        query = query.where(TALENT.c.category == category)
    if unit:
        query = query.where(UNIT.c.code == unit)
    total = db.execute(select(func.count()).select_from(query.subquery())).scalar() or 0
    rows = db.execute(query.order_by(TALENT.c.id).offset((page - 1) * per_page).limit(per_page))
    return {"items": [_talent_dict(r) for r in rows], "total": total, "page": page, "per_page": per_page}


def list_appointments(db: Connection, *, year: int | None = None, unit: str | None = None,
                      via_exam: bool | None = None, first_appointment: bool | None = None,
                      appointment_id: int | None = None, page: int = 1, per_page: int = 50) -> dict[str, Any]:
    """A page of the register, oldest first; ``first_appointment`` false: the re-appointments only."""
    query = select(APPOINTMENT, UNIT.c.code.label("unit_code")).join(UNIT, UNIT.c.id == APPOINTMENT.c.unit_id)
    if appointment_id is not None:
        query = query.where(APPOINTMENT.c.id == appointment_id)
    if year is not None:
        query = query.where(extract("year", APPOINTMENT.c.appointed_on) == year)
    if unit:
        query = query.where(UNIT.c.code == unit)
    if via_exam is not None:
        query = query.where(APPOINTMENT.c.via_exam.is_(via_exam))
    if first_appointment is not None:
        query = query.where(APPOINTMENT.c.first_appointment.is_(first_appointment))
    total = db.execute(select(func.count()).select_from(query.subquery())).scalar() or 0
    rows = db.execute(query.order_by(APPOINTMENT.c.appointed_on, APPOINTMENT.c.id)
                      .offset((page - 1) * per_page).limit(per_page))
    items = [{"id": r.id, "post": r.post, "level": r.level, "unit": r.unit_code, "person_name": r.person_name,
              "appointed_on": r.appointed_on, "via_exam": r.via_exam, "first_appointment": r.first_appointment,
              "decision_no": r.decision_no,
              "term_years": r.term_years, "source_case_id": r.source_case_id, "recorded_by": r.recorded_by}
             for r in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def find_talents(db: Connection, key: str, *, within: list[str] | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Talents whose name holds ``key`` (a :func:`engine.cases.search.search_key`, so "nguyen" finds
    "Nguyễn"); ``within``: only these unit subtrees (a unit head's view), as :func:`list_talents`.

    The names are folded here, in Python, not kept folded in a column: the registry is the city's
    recognised talents (hundreds, a few thousand in time), so reading their ids and names is one
    narrow query, and a column would be one more thing every write (and every import) must keep
    right. Should the registry outgrow this, a ``name_key`` column filled on write is the step."""
    if not key:
        return []
    query = select(TALENT.c.id, TALENT.c.full_name).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
    if within is not None:
        query = query.where(_within(within))
    ids = [row.id for row in db.execute(query.order_by(TALENT.c.id)) if key in search_key(row.full_name)][:limit]
    if not ids:
        return []
    rows = db.execute(select(TALENT, UNIT.c.code.label("unit_code")).outerjoin(UNIT, UNIT.c.id == TALENT.c.unit_id)
                      .where(TALENT.c.id.in_(ids)).order_by(TALENT.c.full_name, TALENT.c.id))
    return [_talent_dict(r) for r in rows]
