"""The papers of a leadership exam, filled from its case data: the council's scoring minutes
(biên bản, once every round-2 score is in and the ranking made), its result report to the
approver (once the chair has confirmed the results) and the appointment decision (once the
results are confirmed with a winner, until the approver declines).

Each is numbered in a register of its own: the council's minutes (``BB-HĐTT``) and reports
(``BC-HĐTT``), and the city's decisions (``QĐ-UBND``, shared with recognition decisions). The
appointment runs from the day the decision is issued, for the exam's term of office: the approver
then records that number and that date as the effective date in the decision task (the process's
``after_step`` refuses others). An appointment the approver recorded without generating its
decision (numbered outside talentflow) is not generated afterwards: 409 ``decision_recorded``.

The minutes list the council by seat (chair, secretary, members) and the minutes and the report
are signed by the chair, each by display name (the case view's ``names``), never by username.
The appointment decision is signed by the city's chairman, whom the data does not name: a dotted
line for the signer.
"""
from __future__ import annotations

from typing import Any, Mapping

from engine.documents import declare_kind
from engine.policy import DocumentKind, Issued
from workflows.documents.decree30 import (DECIDERS, UNSIGNED, base_context, kind, mark, person_name, refuse_after_recorded,
                                          unit_name, vn_date)
from workflows.processes import N_
from workflows.rules import exam_scoring as scoring

MINUTES, REPORT, APPOINTMENT = (declare_kind("scoring_minutes"), declare_kind("result_report"),
                                declare_kind("appointment_decision"))
COUNCIL_BODY = ("ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG", "HỘI ĐỒNG THI TUYỂN")
SEAT_WORDS = {"chair": "Chủ tịch Hội đồng", "secretary": "Thư ký Hội đồng", "member": "Ủy viên"}
#: The appointment decision's name in messages (vi, en).
APPOINTMENT_WORDS = ("quyết định bổ nhiệm", "appointment decision")
RESULT_WORDS = {True: "Đạt", False: "Không đạt"}
SEAT_ORDER = {"chair": 0, "secretary": 1, "member": 2}


def council_lines(case: Mapping[str, Any], seats: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The council as the minutes list it: chair, secretary, then the members (in the order they
    were named), each by display name and seat — never by username."""
    ordered = sorted(seats, key=lambda s: SEAT_ORDER.get(str(s.get("seat")), len(SEAT_ORDER)))
    return [{"name": str(s.get("name") or person_name(case, s.get("username"))),
             "seat": SEAT_WORDS.get(str(s.get("seat")), "")} for s in ordered]


def chair_name(case: Mapping[str, Any], seats: list[Mapping[str, Any]]) -> str:
    """Who signs the council's papers: its chair, by display name (a dotted line when none)."""
    chair = next((s for s in seats if s.get("seat") == "chair"), None)
    return str(chair.get("name") or person_name(case, chair.get("username"))) if chair else UNSIGNED


def exam_documents(case: Mapping[str, Any]) -> list[DocumentKind]:
    data, status = case.get("data") or {}, case.get("status")
    results = data.get("exam_results") or {}
    if not results.get("ranking") or status not in ("running", "appointed", "declined", "no_winner"):
        return []
    kinds = [kind(MINUTES, N_("Scoring minutes"), "BB-HĐTT")]
    if data.get("results_published_on"):
        kinds.append(kind(REPORT, N_("Exam result report"), "BC-HĐTT"))
        if scoring.winner_of(results) is not None and status in ("running", "appointed") \
                and data.get("appointment") != "decline":
            kinds.append(kind(APPOINTMENT, N_("Appointment decision"), "QĐ-UBND", DECIDERS))
    return kinds


def _common(data: Mapping[str, Any], case: Mapping[str, Any]) -> dict[str, Any]:
    return {"post": str(data.get("post") or ""), "unit": unit_name(case, data.get("unit")),
            "pass_mark": (data.get("exam_rules") or {}).get("pass_mark", 50)}


def minutes_context(case: Mapping[str, Any], issued: Issued, seats: list[Mapping[str, Any]]) -> dict[str, Any]:
    data = case.get("data") or {}
    results = data.get("exam_results") or {}
    rows = sorted(results.get("ranking") or [], key=lambda r: str(r.get("code")))
    candidates = [{"no": i, "name": r.get("full_name", ""), "code": r.get("code", ""), "round1": mark(r.get("round1")),
                   "round2": mark(r.get("round2")), "total": mark(r.get("total"))} for i, r in enumerate(rows, 1)]
    remarks = data.get("remark_log") or []
    said = "; ".join(f"{r.get('candidate_code')}: {mark(r.get('old_mark'))} → {mark(r.get('new_mark'))}"
                     for r in remarks)
    context = base_context(issued, f"Chấm điểm thi tuyển chức danh {data.get('post', '')}", issuer=COUNCIL_BODY,
                           recipients=["Sở Nội vụ", "Thành viên Hội đồng"], signer_title="CHỦ TỊCH HỘI ĐỒNG",
                           signer_name=chair_name(case, seats))
    context.update(_common(data, case))
    context.update({
        "council": council_lines(case, seats),
        "candidates": candidates,
        "remarks": f"Phúc khảo vòng 1: {said}." if said else "Không có thay đổi điểm sau phúc khảo vòng 1."})
    return context


def report_context(case: Mapping[str, Any], issued: Issued,
                   seats: list[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    data = case.get("data") or {}
    results = data.get("exam_results") or {}
    ranking = [{"rank": r.get("rank") or "-", "name": r.get("full_name", ""), "round1": mark(r.get("round1")),
                "round2": mark(r.get("round2")), "total": mark(r.get("total")),
                "result": RESULT_WORDS.get(bool(r.get("passed")), "")} for r in results.get("ranking") or []]
    winner = scoring.winner_of(results)
    context = base_context(issued, f"Kết quả thi tuyển chức danh {data.get('post', '')}", issuer=COUNCIL_BODY,
                           recipients=["Như trên", "Sở Nội vụ"], signer_title="CHỦ TỊCH HỘI ĐỒNG",
                           signer_name=chair_name(case, list(seats or [])))
    context.update(_common(data, case))
    context.update({"addressee": "Chủ tịch Ủy ban nhân dân thành phố Hải Phòng", "ranking": ranking,
                    "winner": winner["full_name"] if winner else "không có người trúng tuyển",
                    "published_on": vn_date(data.get("results_published_on"))})
    return context


def appointment_context(case: Mapping[str, Any], issued: Issued) -> dict[str, Any]:
    data = case.get("data") or {}
    refuse_after_recorded(data, APPOINTMENT_WORDS, "effective_date")
    winner = scoring.winner_of(data.get("exam_results") or {}) or {}
    effective = issued.on
    years = int((data.get("exam_rules") or {}).get("term_years", 5))
    until = scoring.term_of(effective, years)["until"]
    name = str(winner.get("full_name", ""))
    context = base_context(issued, f"Về việc bổ nhiệm {name} giữ chức vụ {data.get('post', '')}",
                           recipients=["Như Điều 3", "Ban Tổ chức Thành ủy", "Sở Nội vụ"],
                           signer_title="CHỦ TỊCH", signer_capacity="TM. ỦY BAN NHÂN DÂN")
    context.update(_common(data, case))
    context.update({
        "authority": "CHỦ TỊCH ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG",
        "bases": ["Căn cứ Luật Tổ chức chính quyền địa phương;",
                  "Căn cứ quy định về thi tuyển chức danh lãnh đạo, quản lý;",
                  f"Căn cứ Báo cáo kết quả thi tuyển của Hội đồng thi tuyển công bố ngày "
                  f"{vn_date(data.get('results_published_on'))};",
                  "Theo đề nghị của Giám đốc Sở Nội vụ."],
        "person": {"title": "Ông/Bà", "name": name}, "effective": vn_date(effective),
        "term_years": years, "until": vn_date(until)})
    return context
