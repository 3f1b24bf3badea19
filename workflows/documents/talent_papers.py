"""The papers of the talent list: the recognition decision (talent nomination) and the reviewed
talent list (annual review), filled from the case data.

The recognition decision is offered once the council has recognised the nominee — the paper the
approver signs, numbered from the city's decisions register (``QĐ-UBND``); never after a refusal.
It is dated the day it is issued, and the allowance runs from that date at the rate the case
started under; the approver then records that very number and date in the decision task (the
process's ``after_step`` refuses others, :func:`decree30.check_recorded_decision`). Once the
approver recorded a decision without generating it (numbered outside talentflow), generating it
answers 409 ``decision_recorded``: the register would put a second number on it. The reviewed
list is offered once every outcome is final (hr consolidated it) and until it is approved.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.documents import declare_kind
from engine.policy import DocumentKind, Issued
from forms.nomination import CATEGORIES, PRIORITY_FIELDS
from workflows.documents.decree30 import DECIDERS, base_context, kind, refuse_after_recorded, unit_name, vn_date
from workflows.processes import N_

RECOGNITION = declare_kind("recognition_decision")
REVIEWED_LIST = declare_kind("reviewed_talent_list")
#: The recognition decision's name in messages (vi, en).
RECOGNITION_WORDS = ("quyết định công nhận", "recognition decision")
OUTCOME_WORDS = {"keep": "Tiếp tục duy trì", "at_risk": "Cảnh báo", "remove": "Đưa ra khỏi danh sách"}


def nomination_documents(case: Mapping[str, Any]) -> list[DocumentKind]:
    data = case.get("data") or {}
    council = data.get("council_result") or {}
    if council.get("recognised") and case.get("status") in ("running", "recognised"):
        return [kind(RECOGNITION, N_("Recognition decision"), "QĐ-UBND", DECIDERS)]
    return []


def recognition_context(case: Mapping[str, Any], issued: Issued, allowance_percent: int) -> dict[str, Any]:
    data = case.get("data") or {}
    refuse_after_recorded(data, RECOGNITION_WORDS, "decision_date")
    decided_on = issued.on
    name = str(data.get("nominee_name") or "")
    unit = unit_name(case, data.get("unit")) or str(data.get("workplace") or "")
    context = base_context(
        issued, f"Về việc công nhận nhân tài của thành phố Hải Phòng đối với {name}",
        recipients=["Như Điều 3", "Chủ tịch, các Phó Chủ tịch UBND thành phố", "Sở Nội vụ"],
        signer_title="CHỦ TỊCH", signer_capacity="TM. ỦY BAN NHÂN DÂN")
    council = data.get("council_result") or {}
    context.update({
        "authority": "CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG",
        "bases": ["Căn cứ Luật Tổ chức chính quyền địa phương;",
                  "Căn cứ Nghị định số 179/2024/NĐ-CP của Chính phủ quy định chính sách thu hút, trọng dụng "
                  "người có tài năng làm việc trong cơ quan, tổ chức, đơn vị của Đảng, Nhà nước, Mặt trận Tổ quốc "
                  "Việt Nam và tổ chức chính trị - xã hội;",
                  "Căn cứ Nghị quyết số 17-NQ/TU ngày 31/12/2024 của Ban Thường vụ Thành ủy Hải Phòng;",
                  f"Theo kết quả thẩm định của Hội đồng ({council.get('approvals', 0)}/{council.get('members', 0)} "
                  "thành viên đồng ý) và đề nghị của Giám đốc Sở Nội vụ."],
        "person": {"title": "Ông/Bà", "name": name, "birth_date": vn_date(data.get("birth_date")),
                   "workplace": str(data.get("workplace") or unit), "unit": unit,
                   "category": CATEGORIES.get(data.get("category"), (data.get("category"),))[0],
                   "field": PRIORITY_FIELDS.get(data.get("priority_field"), (data.get("priority_field"),))[0]},
        "allowance_percent": allowance_percent, "allowance_from": vn_date(decided_on),
        "decision_date": vn_date(decided_on)})
    return context


def review_documents(case: Mapping[str, Any]) -> list[DocumentKind]:
    data = case.get("data") or {}
    outcomes = data.get("review_outcomes") or []
    final = bool(outcomes) and all(line.get("final_outcome") for line in outcomes)
    if final and case.get("status") in ("running", "approved"):
        return [kind(REVIEWED_LIST, N_("Reviewed talent list"), "DS-UBND")]
    return []


def review_context(case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
    data = case.get("data") or {}
    year = data.get("year")
    groups: dict[str, list[dict[str, Any]]] = {"keep": [], "at_risk": [], "remove": []}
    for line in data.get("review_outcomes") or []:
        rows = groups.setdefault(str(line.get("final_outcome")), [])
        reason = line.get("override_reason") or line.get("rule_reason") or ""
        rows.append({"no": len(rows) + 1, "name": line.get("full_name", ""),
                     "unit": unit_name(case, line.get("unit")) or "-",
                     "recognised_on": vn_date(line.get("recognised_on")), "years": line.get("years_on_list", ""),
                     "reason": str(reason), "outcome": OUTCOME_WORDS.get(str(line.get("final_outcome")), "")})
    context = base_context(
        issued, f"Danh sách nhân tài sau rà soát năm {year}",
        recipients=["Thường trực Thành ủy", "Chủ tịch, các Phó Chủ tịch UBND thành phố",
                    "Các sở, ban, ngành, đơn vị có nhân tài"],
        signer_title="CHỦ TỊCH", signer_capacity="TM. ỦY BAN NHÂN DÂN")
    counted = next((line.get("years_counted_to") for line in data.get("review_outcomes") or []), None)
    context.update({"review_year": year, "counted_to": vn_date(counted) or f"15/12/{year}",
                    "addressee": "Chủ tịch Ủy ban nhân dân thành phố",
                    "kept": groups["keep"], "at_risk": groups["at_risk"], "removed": groups["remove"]})
    return context
