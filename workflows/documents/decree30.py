"""What every paper of the programme shares under Decree 30/2020/NĐ-CP: the issuing body, the
number and symbol, "Hải Phòng, ngày … tháng … năm …", the recipients and the signer.

Decree 30 (Appendix I) writes days below 10 and months below 3 with a leading zero
("ngày 05 tháng 02 năm 2026") so that nothing can be added to a date once signed; dates in
the body read dd/mm/yyyy. Who signs is written by title, and by name where the case data names
the signer (the exam council's chair); otherwise the name stays a dotted line for the signer to
write (or the officer types it into the template copy). People the data names by username are
printed by their display name (the case view's ``names``), never by the username.

A decision generated here is the paper the approver signs: when the approver then records the
decision in their task, :func:`check_recorded_decision` (called from the process's
``after_step``, inside the completion's transaction) holds the number and date they type to the
generated paper's, so the registries never say another number or date than the paper. And a
decision the approver recorded first, numbered outside talentflow, is not generated afterwards
(:func:`refuse_after_recorded`): the register would give it a second number.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Mapping

from sqlalchemy import select

from engine.errors import Conflict, Invalid
from engine.policy import DocumentKind, Issued
from engine.store.models import CaseDocument

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLACE = "Hải Phòng"
CITY_BODY = ("", "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG")
#: Who may generate a paper: the programme's managers; decisions also the approver who signs them.
MANAGERS = frozenset({"hr_officer", "admin"})
DECIDERS = MANAGERS | {"approver"}
UNSIGNED = "……………………………"


def kind(key: str, title: str, register: str, roles: frozenset[str] = MANAGERS) -> DocumentKind:
    """A paper of the programme whose template is ``templates/<key>.docx``."""
    return DocumentKind(key=key, title=title, template=TEMPLATES / f"{key}.docx", register=register, roles=roles)


def as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def day_month(on: date) -> tuple[str, str]:
    """Day and month as Decree 30 writes them in "ngày … tháng …"."""
    return (f"{on.day:02d}" if on.day < 10 else str(on.day)), (f"{on.month:02d}" if on.month < 3 else str(on.month))


def vn_date(value: Any) -> str:
    """A date in the body: dd/mm/yyyy (empty when unknown)."""
    on = as_date(value)
    return on.strftime("%d/%m/%Y") if on else ""


def mark(value: Any) -> str:
    """A mark as printed: up to two decimals with a decimal comma (Vietnamese), "-" when none."""
    if value is None or value == "":
        return "-"
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def base_context(issued: Issued, subject: str, *, issuer: tuple[str, str] = CITY_BODY,
                 recipients: list[str], signer_title: str, signer_capacity: str = "",
                 signer_name: str = "") -> dict[str, Any]:
    """The heading, number, place and date, subject, recipients and signer of one paper."""
    day, month = day_month(issued.on)
    return {"issuer_parent": issuer[0], "issuer": issuer[1], "symbol": issued.symbol, "number": issued.number,
            "place": PLACE, "day": day, "month": month, "year": issued.on.year, "issued_on": vn_date(issued.on),
            "subject": subject, "recipients": recipients, "signer_title": signer_title,
            "signer_capacity": signer_capacity, "signer_name": signer_name or UNSIGNED}


def unit_name(case: Mapping[str, Any], code: Any) -> str:
    """A unit's name from the case view's ``units`` (code -> name), else its code."""
    if not code:
        return ""
    return str((case.get("units") or {}).get(code) or code)


def person_name(case: Mapping[str, Any], username: Any) -> str:
    """The display name of the user ``username`` from the case view's ``names`` (username ->
    display name); a dotted line when the user is unknown: a paper never prints a username."""
    if not username:
        return UNSIGNED
    return str((case.get("names") or {}).get(username) or UNSIGNED)


def generated_paper(db: Any, case_id: int, kind_key: str) -> Any | None:
    """The case's generated document ``kind_key`` (its ``symbol`` and ``issued_on``), or None."""
    doc = CaseDocument.__table__
    return db.execute(select(doc.c.symbol, doc.c.issued_on)
                      .where(doc.c.case_id == case_id, doc.c.kind == kind_key)).first()


def check_recorded_decision(db: Any, case_id: int, kind_key: str, what: tuple[str, str],
                            number: Any, on: Any, date_field: str, date_words: tuple[str, str]) -> None:
    """When the case has a generated ``kind_key``, the decision recorded must carry its number and
    symbol (``decision_no``) and its date (``date_field``); otherwise 422 naming both, and the step
    (run inside its transaction) changes nothing. No generated paper: the typed values stand (an
    installation may number its decisions outside talentflow). ``what``: the paper's name (vi, en)."""
    paper = generated_paper(db, case_id, kind_key)
    if paper is None:
        return
    typed = str(number or "")  # as typed: the registry keeps it so, and so must the paper say it
    expected_on = as_date(paper.issued_on)
    problems: dict[str, list[str]] = {}
    if typed != paper.symbol:
        problems["decision_no"] = [f"phải là {paper.symbol}, số của {what[0]} đã tạo / must be {paper.symbol}, "
                                   f"the number of the generated {what[1]}"]
    if as_date(on) != expected_on:
        problems[date_field] = [f"{date_words[0]} phải là {vn_date(expected_on)}, ngày của {what[0]} đã tạo / "
                                f"the {date_words[1]} must be {expected_on.isoformat() if expected_on else ''}, "
                                f"the date of the generated {what[1]}"]
    if problems:
        raise Invalid(f"the generated {what[1]} is No. {paper.symbol} of {vn_date(expected_on)}: record that number "
                      f"and date ({what[0]} số {paper.symbol} ngày {vn_date(expected_on)})", problems)


def refuse_after_recorded(data: Mapping[str, Any], what: tuple[str, str], date_key: str) -> None:
    """A decision the approver already recorded (``decision_no``) was numbered outside talentflow:
    generating it now would put a second number on it. 409 ``decision_recorded``, nothing issued."""
    recorded = " ".join(str(data.get("decision_no") or "").split())
    if recorded:
        on = vn_date(data.get(date_key))
        raise Conflict(f"the {what[1]} was already recorded as No. {recorded}" + (f" of {on}" if on else "")
                       + f", numbered outside talentflow; a generated one would carry another number, so nothing "
                       f"was issued: upload the signed paper to the case instead ({what[0]} đã ghi số {recorded}"
                       + (f" ngày {on}" if on else "") + "; không tạo văn bản mới)",
                       {"kind": [f"đã ghi số {recorded} / already recorded as No. {recorded}"]},
                       code="decision_recorded")
