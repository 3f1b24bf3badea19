"""Council pages of the leadership exam: scoring and mark sheets, declarations, results.

Everything here reads the case data *as the policy shows it to the user*
(``Reader.case_view``): a member sees no other member's round-2 scores until
all have scored, because the policy leaves them out of what this module gets.
This module adds what makes a sheet easy to fill: one row per candidate, the
candidates' names, choices limited to the candidates of the case.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from flask import render_template

from api.web import bp, services
from api.web.session import current_user
from workflows.exam_scoring import seat_holders
from workflows.leadership_exam import PROCESS_KEY, RECORD

SEAT_ORDER = ("chair", "secretary", "member")


@dataclass
class Hints:
    """Pre-filled rows, choices and read-only columns for one form on one case."""

    values: dict[str, Any] = field(default_factory=dict)
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    fixed: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def _candidates(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(data.get("candidates") or [])


def _named(codes: list[str], data: Mapping[str, Any]) -> list[tuple[str, str]]:
    names = {c["code"]: c.get("full_name", "") for c in _candidates(data)}
    return [(code, f"{code} — {names[code]}" if names.get(code) else code) for code in codes]


def _names(codes: list[str], data: Mapping[str, Any]) -> list[str]:
    names = {c["code"]: c.get("full_name", "") for c in _candidates(data)}
    return [names.get(code, "") for code in codes]


def form_hints(form_key: str | None, data: Mapping[str, Any]) -> Hints:
    """How to lay out ``form_key`` for a case whose visible data is ``data``."""
    codes = [c["code"] for c in _candidates(data)]
    record = (data.get("data_objects") or {}).get(RECORD) or {}
    if form_key == "exam_round2_scores":
        round2 = list(data.get("round2_candidates") or [])
        return Hints({"scores": [{"candidate_code": c} for c in round2]}, fixed={"scores": ["candidate_code"]},
                     notes={"scores": _names(round2, data)})
    if form_key == "exam_written_marks":
        return Hints({"marks": [{"candidate_code": c} for c in codes]}, fixed={"marks": ["candidate_code"]},
                     notes={"marks": _names(codes, data)})
    if form_key == "exam_conflict_declaration":
        return Hints(choices={"relations.candidate_code": _named(codes, data)})
    if form_key == "exam_remarks":
        return Hints(choices={"remarks.candidate_code": _named(sorted(data.get("round1_marks") or {}), data)})
    if form_key == "exam_tie_choice":
        tied = list((data.get("exam_results") or {}).get("tied") or [])
        return Hints(choices={"chosen_candidate": _named(tied, data)})
    if form_key == "exam_replacement":
        conflicted = [n for n in seat_holders(record)
                      if ((record.get("declarations") or {}).get(n) or {}).get("has_conflict")]
        return Hints({"replacements": [{"replaced": n} for n in conflicted]}, fixed={"replacements": ["replaced"]})
    if form_key == "exam_plan":
        return Hints({"council": [{"seat": s} for s in ("chair", "secretary", "member", "member", "member")],
                      "first_appointment": True, "registration_days": 30})
    return Hints()


def council_view(case: Mapping[str, Any]) -> dict[str, Any] | None:
    """The council's work so far, from what the user may see of the case; None for other processes."""
    if case.get("process") != PROCESS_KEY:
        return None
    data = case.get("data") or {}
    record = (data.get("data_objects") or {}).get(RECORD) or {}
    seats = record.get("seats") or data.get("council") or []
    declarations = record.get("declarations") or {}
    seats = sorted(seats, key=lambda s: (SEAT_ORDER.index(s["seat"]) if s["seat"] in SEAT_ORDER else 9,
                                         s["username"]))
    round1 = data.get("round1_marks") or {}
    round2 = data.get("round2_candidates")
    pending_scores = [t for t in case.get("tasks") or [] if t["element_id"] == "score_round2"]
    results = data.get("exam_results")
    candidates = [{**c, "round1": round1.get(c["code"]),
                   "in_round2": round2 is not None and c["code"] in round2} for c in _candidates(data)]
    return {
        "seats": [{**s, "declaration": declarations.get(s["username"])} for s in seats],
        "replaced": record.get("replaced") or [],
        "candidates": candidates, "rejected": data.get("rejected") or [],
        "remark_log": data.get("remark_log") or [],
        "round2_open": round2 is not None and results is None,
        "scored": (len(seats) - len(pending_scores)) if round2 is not None else None,
        "results": results, "published_on": data.get("results_published_on"),
        "winner": (results or {}).get("winner"),
        "appointment_term": data.get("appointment_term"),
        "post": data.get("post"), "unit": data.get("unit"), "level": data.get("level"),
    }


@bp.get("/cases/<int(max=9223372036854775807):case_id>/council")
def council_page(case_id: int) -> Any:
    svc, actor = services(), current_user()
    with svc.store.read() as db:
        case = svc.reader.case_view(db, actor, svc.reader.visible_case(db, actor, case_id))
    council = council_view(case)
    if council is None:
        from engine.errors import NotFound

        raise NotFound(f"case {case_id} has no council")
    return render_template("web/council.html", case=case, council=council)
