"""Forms of the ``leadership_exam`` process (thi tuyển chức danh lãnh đạo, quản lý).

The plan's council rules (5 or 7 members, one chair, one secretary) and the
0–100 mark range are form rules: the page can show them and the API answers
422 before anything runs. Rules that need the case (which candidates are in a
round, who declared a conflict) are checked by the process module.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms import File, form
from forms import label as _label

#: Council sizes allowed [analogue: Decree 170/2025 Art. 8].
COUNCIL_SIZES = (5, 7)
#: Registration window when the plan does not say [analogue].
DEFAULT_REGISTRATION_DAYS = 30
MARK_MIN, MARK_MAX = 0, 100
SEATS = {"chair": {"vi": "Chủ tịch hội đồng", "en": "Chair"},
         "secretary": {"vi": "Thư ký hội đồng", "en": "Secretary"},
         "member": {"vi": "Ủy viên", "en": "Member"}}
APPLICANT_TYPES = {"internal": {"vi": "Nguồn tại chỗ (trong quy hoạch chức danh)", "en": "Internal (in planning)"},
                   "external": {"vi": "Nguồn từ nơi khác (quy hoạch chức danh tương đương)",
                                "en": "External (in planning for an equivalent post)"},
                   "nominated": {"vi": "Được giới thiệu (có văn bản đồng ý của cấp ủy)",
                                 "en": "Nominated (with Party-committee approval)"}}
RELATIONS = {"spouse": {"vi": "Vợ hoặc chồng", "en": "Spouse"},
             "parent": {"vi": "Bố, mẹ đẻ", "en": "Parent"},
             "parent_in_law": {"vi": "Bố, mẹ vợ hoặc chồng", "en": "Parent-in-law"},
             "child": {"vi": "Con đẻ, con nuôi", "en": "Child"},
             "sibling": {"vi": "Anh, chị, em ruột", "en": "Sibling"},
             "aunt_uncle": {"vi": "Cô, dì, chú, bác, cậu ruột", "en": "Aunt or uncle"},
             "spouse_sibling": {"vi": "Anh, chị, em ruột của vợ hoặc chồng", "en": "Spouse's sibling"},
             "sibling_spouse": {"vi": "Vợ hoặc chồng của anh, chị, em ruột", "en": "Sibling's spouse"},
             "other": {"vi": "Quan hệ khác (không thuộc diện phải thay thế)", "en": "Other (not disqualifying)"}}

#: How an applicant not admitted was told of it (the notice names the reason [analogue]).
NOTICE_MEANS = {"letter": {"vi": "Gửi văn bản qua bưu điện", "en": "Letter by post"},
                "email": {"vi": "Thư điện tử", "en": "E-mail"},
                "in_person": {"vi": "Trao trực tiếp (có ký nhận)", "en": "In person (signed for)"}}


def _code(vi: str = "Số báo danh", en: str = "Candidate code") -> fields.String:
    return fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{1,32}$"), metadata=_label(vi, en))


def _mark(vi: str, en: str) -> fields.Float:
    return fields.Float(required=True, validate=validate.Range(MARK_MIN, MARK_MAX), metadata=_label(vi, en))


def _text(vi: str, en: str, required: bool = False, max_len: int = 2000) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_len), metadata=_label(vi, en))
    return fields.String(load_default="", validate=validate.Length(max=max_len), metadata=_label(vi, en))


def _unique(items: list[dict[str, Any]], key: str, field_name: str) -> None:
    twice = sorted(k for k, n in Counter(i[key] for i in items).items() if n > 1)
    if twice:
        raise ValidationError(f"trùng lặp / duplicated: {', '.join(twice)}", field_name)


class _UniqueCodes(Schema):
    """A list form whose rows name each candidate (or applicant) at most once."""

    unique_rows: tuple[str, str] = ("", "")  # (list field, key within a row)

    @validates_schema
    def _rows_unique(self, data: dict[str, Any], **_: Any) -> None:
        field_name, key = self.unique_rows
        _unique(data.get(field_name) or [], key, field_name)


class CouncilSeat(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata=_label("Thành viên", "Member", choices="people"))
    seat = fields.String(required=True, validate=validate.OneOf(list(SEATS)),
                         metadata=_label("Vị trí", "Seat", enum_labels=SEATS))


#: The post levels of an exam (``workflows.programme.registry.LEVELS``), with their words.
LEVELS: dict[str, dict[str, str]] = {
    "giam_doc_so": {"vi": "Giám đốc Sở", "en": "Director of a department"},
    "pho_giam_doc_so": {"vi": "Phó Giám đốc Sở", "en": "Deputy director of a department"},
    "truong_phong": {"vi": "Trưởng phòng", "en": "Head of division"},
    "pho_truong_phong": {"vi": "Phó Trưởng phòng", "en": "Deputy head of division"},
    "other": {"vi": "Chức danh khác", "en": "Other post"},
}


@form("exam_plan")
class ExamPlan(Schema):
    class Meta:
        title = "Kế hoạch thi tuyển chức danh lãnh đạo, quản lý"
        title_en = "Plan of a competitive selection for a leadership post"

    post = _text("Chức danh thi tuyển", "Post", required=True, max_len=200)
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata=_label("Cơ quan, đơn vị có chức danh", "Unit", choices="units"))
    level = fields.String(required=True, validate=validate.OneOf(list(LEVELS)),
                          metadata=_label("Cấp chức danh", "Post level", enum_labels=LEVELS))
    requirements = _text("Tiêu chuẩn, điều kiện dự tuyển", "Requirements", required=True, max_len=8000)
    registration_days = fields.Integer(load_default=DEFAULT_REGISTRATION_DAYS, validate=validate.Range(1, 365),
                                       metadata=_label("Thời hạn nhận hồ sơ (ngày)", "Registration window (days)"))
    council = fields.List(fields.Nested(CouncilSeat), required=True,
                          metadata=_label("Hội đồng thi tuyển", "Exam council"))
    first_appointment = fields.Boolean(required=True, validate=validate.Equal(
        True, error="Chỉ thi tuyển khi bổ nhiệm lần đầu vào chức danh / first appointments only"),
        metadata=_label("Bổ nhiệm lần đầu vào chức danh", "First appointment to the post level"))

    @validates_schema
    def _council_rules(self, data: dict[str, Any], **_: Any) -> None:
        council = data.get("council") or []
        if len(council) not in COUNCIL_SIZES:
            raise ValidationError(f"hội đồng có {' hoặc '.join(map(str, COUNCIL_SIZES))} thành viên / "
                                  f"a council has {' or '.join(map(str, COUNCIL_SIZES))} members", "council")
        _unique(council, "username", "council")
        seats = Counter(s["seat"] for s in council)
        if seats["chair"] != 1 or seats["secretary"] != 1:
            raise ValidationError("đúng một chủ tịch và một thư ký / exactly one chair and one secretary", "council")


class Applicant(Schema):
    code = _code()
    full_name = _text("Họ và tên", "Full name", required=True, max_len=200)
    applicant_type = fields.String(required=True, validate=validate.OneOf(list(APPLICANT_TYPES)),
                                   metadata=_label("Nguồn", "Source", enum_labels=APPLICANT_TYPES))
    eligible = fields.Boolean(required=True, metadata=_label("Đủ điều kiện", "Eligible"))
    reason = _text("Lý do", "Reason")

    @validates_schema
    def _reason_when_rejected(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("eligible") and not data.get("reason", "").strip():
            raise ValidationError("nêu lý do không đủ điều kiện / give the reason", "reason")


@form("exam_screening")
class Screening(_UniqueCodes):
    class Meta:
        title = "Sơ tuyển hồ sơ dự tuyển"
        title_en = "Screening of applications"

    unique_rows = ("applicants", "code")

    applicants = fields.List(fields.Nested(Applicant), required=True, metadata=_label("Người đăng ký", "Applicants"))


class RejectionNotice(Schema):
    code = _code()
    how = fields.String(required=True, validate=validate.OneOf(list(NOTICE_MEANS)),
                        metadata=_label("Hình thức thông báo", "How told", enum_labels=NOTICE_MEANS))
    told_on = fields.Date(required=True, metadata=_label("Ngày thông báo", "Told on"))
    reference = _text("Số văn bản thông báo", "Notice reference", max_len=100)


@form("exam_rejection_notice")
class RejectionNotices(_UniqueCodes):
    """How and when each applicant a screening did not admit was told; which applicants, and that the
    day lies between the screening and today, the process module checks against the case."""

    class Meta:
        title = "Thông báo cho người không đủ điều kiện dự tuyển"
        title_en = "Notices to the applicants not admitted"

    unique_rows = ("notices", "code")

    notices = fields.List(fields.Nested(RejectionNotice), required=True, validate=validate.Length(min=1),
                          metadata=_label("Thông báo", "Notices"))


@form("exam_shortfall")
class Shortfall(Schema):
    class Meta:
        title = "Không đủ ứng viên: gia hạn hoặc hủy"
        title_en = "Too few candidates: extend or cancel"

    shortfall_decision = fields.String(required=True, validate=validate.OneOf(["extend", "cancel"]),
                                       metadata=_label("Quyết định", "Decision", enum_labels={
                                           "extend": {"vi": "Gia hạn nhận hồ sơ", "en": "Extend registration"},
                                           "cancel": {"vi": "Hủy kỳ thi tuyển", "en": "Cancel the exam"}}))
    shortfall_reason = _text("Lý do", "Reason")


class Relation(Schema):
    candidate_code = _code()
    relation = fields.String(required=True, validate=validate.OneOf(list(RELATIONS)),
                             metadata=_label("Quan hệ", "Relation", enum_labels=RELATIONS))


@form("exam_conflict_declaration")
class ConflictDeclaration(Schema):
    class Meta:
        title = "Kê khai quan hệ với người dự tuyển"
        title_en = "Declaration of relations with candidates"

    relations = fields.List(fields.Nested(Relation), load_default=list,
                            metadata=_label("Quan hệ với người dự tuyển", "Relations with candidates"))
    under_discipline = fields.Boolean(required=True, metadata=_label("Đang bị xem xét kỷ luật hoặc thi hành kỷ luật",
                                                                     "Under discipline"))


class Replacement(Schema):
    replaced = fields.String(required=True, metadata=_label("Thành viên bị thay", "Member replaced", choices="people"))
    replacement = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata=_label("Người thay thế", "Replacement", choices="people"))
    reason = _text("Lý do", "Reason")


@form("exam_replacement")
class Replacements(Schema):
    class Meta:
        title = "Thay thế thành viên hội đồng có xung đột lợi ích"
        title_en = "Replace council members with a conflict of interest"

    replacements = fields.List(fields.Nested(Replacement), required=True, validate=validate.Length(min=1),
                               metadata=_label("Thay thế", "Replacements"))


class Mark(Schema):
    candidate_code = _code()
    mark = _mark("Điểm", "Mark")


@form("exam_written_marks")
class WrittenMarks(_UniqueCodes):
    class Meta:
        title = "Điểm vòng 1 (thi viết)"
        title_en = "Round 1 (written exam) marks"

    unique_rows = ("marks", "candidate_code")

    marks = fields.List(fields.Nested(Mark), required=True, metadata=_label("Điểm thi viết", "Written marks"))


class Remark(Schema):
    candidate_code = _code()
    new_mark = _mark("Điểm sau phúc khảo", "Mark after re-marking")
    request_ref = _text("Số đơn phúc khảo", "Re-marking request reference", required=True, max_len=100)


@form("exam_remarks")
class Remarks(_UniqueCodes):
    class Meta:
        title = "Kết quả phúc khảo bài thi viết"
        title_en = "Re-marking results (written exam)"

    unique_rows = ("remarks", "candidate_code")

    remarks = fields.List(fields.Nested(Remark), required=True, validate=validate.Length(min=1),
                          metadata=_label("Kết quả phúc khảo", "Re-marks"))


class Score(Schema):
    candidate_code = _code()
    score = _mark("Điểm", "Score")


@form("exam_round2_scores")
class Round2Scores(_UniqueCodes):
    class Meta:
        title = "Chấm điểm vòng 2 (trình bày đề án)"
        title_en = "Round 2 (action plan presentation) scores"

    unique_rows = ("scores", "candidate_code")

    scores = fields.List(fields.Nested(Score), required=True, metadata=_label("Điểm của thành viên", "Scores"))
    plan_review = File(kinds=("pdf", "docx"), metadata=_label(
        "Phiếu nhận xét đề án của thành viên (nếu có)", "The member's written review of the action plans (if any)",
        help="Tệp PDF hoặc Word (.docx); giữ kín như điểm cho đến khi mọi thành viên đã chấm",
        help_en="A PDF or Word (.docx) file; sealed like the scores until every member has scored"))


@form("exam_tie_choice")
class TieChoice(Schema):
    class Meta:
        title = "Lựa chọn người trúng tuyển khi bằng điểm"
        title_en = "Choice of the winner among tied candidates"

    chosen_candidate = _code("Người được chọn (số báo danh)", "Chosen candidate (code)")
    choice_reason = _text("Lý do lựa chọn", "Reason for the choice", required=True)


@form("exam_chair_confirmation")
class ChairConfirmation(Schema):
    class Meta:
        title = "Chủ tịch hội đồng xác nhận kết quả"
        title_en = "The chair confirms the results"

    results_confirmed = fields.Boolean(required=True, validate=validate.Equal(True, error="xác nhận / confirm"),
                                       metadata=_label("Xác nhận kết quả thi tuyển", "Confirm the results"))
    confirmation_note = _text("Ghi chú", "Note")


@form("exam_appointment")
class AppointmentDecision(Schema):
    class Meta:
        title = "Quyết định bổ nhiệm"
        title_en = "Appointment decision"

    appointment = fields.String(required=True, validate=validate.OneOf(["appoint", "decline"]),
                                metadata=_label("Quyết định", "Decision", enum_labels={
                                    "appoint": {"vi": "Bổ nhiệm người trúng tuyển", "en": "Appoint the winner"},
                                    "decline": {"vi": "Không bổ nhiệm", "en": "Decline"}}))
    decision_no = _text("Số quyết định", "Decision number", max_len=100)
    effective_date = fields.Date(load_default=None, allow_none=True, metadata=_label("Ngày hiệu lực", "Effective date"))
    decline_reason = _text("Lý do không bổ nhiệm", "Reason for declining")

    @validates_schema
    def _what_each_needs(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("appointment") == "appoint":
            if not data.get("decision_no", "").strip():
                raise ValidationError("bắt buộc khi bổ nhiệm / required to appoint", "decision_no")
            if data.get("effective_date") is None:
                raise ValidationError("bắt buộc khi bổ nhiệm / required to appoint", "effective_date")
        elif data.get("appointment") == "decline" and not data.get("decline_reason", "").strip():
            raise ValidationError("nêu lý do / give the reason", "decline_reason")
