"""What every paper of the programme shares under Decree 30/2020/NĐ-CP: the issuing body, the
number and symbol, "Hải Phòng, ngày … tháng … năm …", the recipients and the signer.

Decree 30 (Appendix I) writes days below 10 and months below 3 with a leading zero
("ngày 05 tháng 02 năm 2026") so that nothing can be added to a date once signed; dates in
the body read dd/mm/yyyy. Who signs is written by title, and by name where the case data names
the signer (the exam council's chair); otherwise the name stays a dotted line for the signer to
write (or the officer types it into the template copy). People the data names by username are
printed by their display name (the case view's ``names``), never by the username.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Mapping

from engine.policy import DocumentKind, Issued

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
