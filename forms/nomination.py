"""Forms of the ``talent_nomination`` process (phát hiện, tiến cử, công nhận nhân tài).

The start form is the nomination dossier: who is nominated, by whom and why,
and the facts the eligibility table (``bpmn/talent_eligibility.dmn``) needs
for the nominee's category. The codes below are the vocabulary the DMN cells
and ``workflows/rules/talent_criteria.py`` compare against, so they live here once.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms import File, form
from forms import label as _label


def _enum(labels: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {code: {"vi": vi, "en": en} for code, (vi, en) in labels.items()}


CATEGORIES: dict[str, tuple[str, str]] = {
    "excellent_graduate": ("Sinh viên tốt nghiệp xuất sắc", "Excellent graduate"),
    "young_scientist": ("Nhà khoa học trẻ tài năng", "Talented young scientist"),
    "cbccvc": ("Cán bộ, công chức, viên chức", "Serving cadre, civil servant or public employee"),
    "expert": ("Chuyên gia", "Expert"),
}
#: The resolution's priority fields [choice: the list the city publishes may differ].
PRIORITY_FIELDS: dict[str, tuple[str, str]] = {
    "science_technology": ("Khoa học, công nghệ và đổi mới sáng tạo", "Science, technology and innovation"),
    "digital_transformation": ("Chuyển đổi số", "Digital transformation"),
    "seaport_logistics": ("Cảng biển và logistics", "Seaports and logistics"),
    "industry_energy": ("Công nghiệp và năng lượng", "Industry and energy"),
    "urban_planning": ("Quy hoạch, xây dựng và đô thị", "Planning, construction and urban affairs"),
    "health": ("Y tế", "Health"),
    "education": ("Giáo dục và đào tạo", "Education and training"),
    "economics_finance": ("Kinh tế, tài chính", "Economics and finance"),
    "law_administration": ("Pháp luật, hành chính công", "Law and public administration"),
    "culture_tourism": ("Văn hóa, du lịch", "Culture and tourism"),
    "other": ("Khác", "Other"),
}
DEGREE_CLASSES: dict[str, tuple[str, str]] = {
    "xuat_sac": ("Xuất sắc", "Excellent"), "gioi": ("Giỏi", "Very good"), "kha": ("Khá", "Good"),
    "trung_binh_kha": ("Trung bình khá", "Fairly average"), "trung_binh": ("Trung bình", "Average"),
}
UNIVERSITY_TYPES: dict[str, tuple[str, str]] = {
    "domestic": ("Đại học trong nước", "Domestic university"),
    "foreign_prestigious": ("Đại học nước ngoài uy tín", "Prestigious foreign university"),
    "foreign_other": ("Đại học nước ngoài khác", "Other foreign university"),
}
CONTESTS: dict[str, tuple[str, str]] = {
    "provincial_gifted": ("Thi học sinh giỏi cấp tỉnh", "Provincial gifted-student contest"),
    "national_gifted": ("Thi học sinh giỏi quốc gia", "National gifted-student contest"),
    "international_gifted": ("Thi học sinh giỏi quốc tế", "International gifted-student contest"),
    "national_science": ("Cuộc thi khoa học, kỹ thuật cấp quốc gia", "National science and engineering contest"),
    "international_science": ("Cuộc thi khoa học, kỹ thuật quốc tế", "International science and engineering contest"),
    "university_olympiad": ("Olympic sinh viên", "University olympiad"),
}
#: Best first: the order ``workflows/rules/talent_criteria.py`` ranks prizes by.
PRIZE_RANKS: dict[str, tuple[str, str]] = {
    "first": ("Giải nhất / Huy chương vàng", "First prize / gold medal"),
    "second": ("Giải nhì / Huy chương bạc", "Second prize / silver medal"),
    "third": ("Giải ba / Huy chương đồng", "Third prize / bronze medal"),
    "encouragement": ("Giải khuyến khích", "Encouragement prize"),
    "merit": ("Bằng khen", "Certificate of merit"),
}
#: The four annual ratings of Decree 90/2020, best first (same codes as ``workflows.programme.registry.RATINGS``).
RATINGS: dict[str, tuple[str, str]] = {
    "xuat_sac": ("Hoàn thành xuất sắc nhiệm vụ", "Excellent"),
    "tot": ("Hoàn thành tốt nhiệm vụ", "Good"),
    "hoan_thanh": ("Hoàn thành nhiệm vụ", "Satisfactory"),
    "khong_hoan_thanh": ("Không hoàn thành nhiệm vụ", "Unsatisfactory"),
}
USERNAME = validate.Regexp(r"^[A-Za-z0-9_.-]{2,64}$", error="không phải tên đăng nhập hợp lệ / not a username")


def _text(vi: str, en: str, *, required: bool = True, max_len: int = 4000, **extra: Any) -> fields.String:
    if required:
        return fields.String(required=True, validate=validate.Length(min=1, max=max_len), metadata=_label(vi, en))
    return fields.String(load_default="", validate=validate.Length(max=max_len), metadata=_label(vi, en), **extra)


def _choice(vi: str, en: str, labels: dict[str, tuple[str, str]], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(list(labels)), metadata=_label(vi, en, enum_labels=_enum(labels)),
                         **kwargs)


class Achievement(Schema):
    title = _text("Thành tích", "Achievement", max_len=500)
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1950, 2100),
                          metadata=_label("Năm đạt được", "Year"))
    evidence_refs = fields.List(fields.String(validate=validate.Length(min=1, max=200)), required=True,
                                validate=validate.Length(min=1, max=20),
                                metadata=_label("Tài liệu minh chứng (số hiệu, đường dẫn)", "Evidence references"))


class Prize(Schema):
    contest = _choice("Kỳ thi, cuộc thi", "Contest", CONTESTS, required=True)
    rank = _choice("Giải đạt được", "Prize won", PRIZE_RANKS, required=True)
    year = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1950, 2100),
                          metadata=_label("Năm", "Year"))


class YearRating(Schema):
    year = fields.Integer(required=True, validate=validate.Range(1950, 2100), metadata=_label("Năm", "Year"))
    rating = _choice("Xếp loại chất lượng", "Annual rating", RATINGS, required=True)


@form("talent_nomination")
class Nomination(Schema):
    """The nomination dossier; the nominator answers for what it says [QĐ 899]."""

    class Meta:
        title = "Hồ sơ tiến cử nhân tài"
        title_en = "Talent nomination dossier"

    nominee_name = _text("Họ và tên người được tiến cử", "Nominee's full name", max_len=200)
    birth_date = fields.Date(required=True, metadata=_label("Ngày sinh", "Date of birth"))
    workplace = _text("Đơn vị công tác hoặc trường đang học", "Unit or school", max_len=300)
    unit = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64),
                         metadata=_label("Đơn vị tiếp nhận, quản lý (nếu có)", "Unit in the city (if any)", choices="units"))
    contact = _text("Thông tin liên hệ (điện thoại, thư điện tử)", "Contact (phone, e-mail)", max_len=300)
    category = _choice("Loại nhân tài", "Talent category", CATEGORIES, required=True)
    priority_field = _choice("Lĩnh vực ưu tiên", "Priority field", PRIORITY_FIELDS, required=True)
    achievements = fields.List(fields.Nested(Achievement), required=True, validate=validate.Length(min=1, max=50),
                               metadata=_label("Thành tích và minh chứng", "Achievements with evidence"))
    nominator_statement = _text("Ý kiến, cam kết của người tiến cử", "Nominator's statement")
    self_nominated = fields.Boolean(load_default=False, metadata=_label("Tự ứng cử", "Self-nomination"))
    # --- criteria of the category (eligibility screening)
    degree_classification = _choice("Xếp loại tốt nghiệp đại học", "Degree classification", DEGREE_CLASSES,
                                    load_default=None, allow_none=True)
    university_type = _choice("Cơ sở đào tạo", "University", UNIVERSITY_TYPES, load_default=None, allow_none=True)
    prizes = fields.List(fields.Nested(Prize), load_default=list, validate=validate.Length(max=50),
                         metadata=_label("Giải thưởng học sinh, sinh viên", "Student prizes"))
    has_doctorate = fields.Boolean(load_default=False, metadata=_label("Có học vị tiến sĩ", "Holds a doctorate"))
    prestigious_award = fields.Boolean(load_default=False, metadata=_label(
        "Đạt giải thưởng khoa học uy tín", "Holds a prestigious science award"))
    international_papers = fields.Integer(load_default=0, validate=validate.Range(0, 10000), metadata=_label(
        "Số bài báo trên tạp chí quốc tế uy tín", "Papers in prestigious international journals"))
    led_national_task = fields.Boolean(load_default=False, metadata=_label(
        "Chủ nhiệm nhiệm vụ KH&CN cấp quốc gia", "Led a national science and technology task"))
    annual_ratings = fields.List(fields.Nested(YearRating), load_default=list, validate=validate.Length(max=20),
                                 metadata=_label("Xếp loại chất lượng các năm gần nhất", "Recent annual ratings"))
    applied_advice = fields.Boolean(load_default=False, metadata=_label(
        "Chủ trì tham mưu, đề xuất được áp dụng mang lại hiệu quả cao",
        "Led advice or a proposal applied with high value"))
    years_experience = fields.Integer(load_default=0, validate=validate.Range(0, 80), metadata=_label(
        "Số năm kinh nghiệm trong lĩnh vực", "Years of experience in the field"))
    equivalent_record = fields.Boolean(load_default=False, metadata=_label(
        "Có thành tích tương đương học vị tiến sĩ", "Record equivalent to a doctorate"))

    @validates_schema
    def _category_facts(self, data: dict[str, Any], **kwargs: Any) -> None:
        """The degree rule of ``excellent_graduate`` cannot be screened without these two facts."""
        errors: dict[str, list[str]] = {}
        if data.get("category") == "excellent_graduate":
            for name in ("degree_classification", "university_type"):
                if not data.get(name):
                    errors[name] = ["bắt buộc với sinh viên tốt nghiệp xuất sắc / required for excellent_graduate"]
        years = [r["year"] for r in data.get("annual_ratings") or []]
        if len(years) != len(set(years)):
            errors["annual_ratings"] = ["mỗi năm chỉ một xếp loại / one rating per year"]
        if errors:
            raise ValidationError(errors)


@form("talent_verification")
class Verification(Schema):
    class Meta:
        title = "Thẩm định hồ sơ tiến cử"
        title_en = "Verification of the nomination dossier"

    verification_result = _choice("Kết quả thẩm định", "Result", {
        "verified": ("Hồ sơ hợp lệ, chuyển hội đồng", "Verified: to the council"),
        "needs_supplement": ("Yêu cầu bổ sung hồ sơ", "Needs a supplement"),
        "rejected": ("Không chấp nhận hồ sơ", "Rejected")}, required=True)
    verification_note = _text("Nhận xét, lý do", "Note or reason", required=False)
    council_members = fields.List(fields.String(validate=USERNAME), load_default=list,
                                  validate=validate.Length(max=31), metadata=_label(
                                      "Thành viên hội đồng thẩm định", "Appraisal council members",
                                      choices="people"))

    @validates_schema
    def _result_needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        verified = data.get("verification_result") == "verified"
        if not verified and not data.get("verification_note", "").strip():
            errors["verification_note"] = ["cần nêu lý do / a reason is required"]
        members = data.get("council_members") or []
        if verified and not members:
            errors["council_members"] = ["cần lập hội đồng / name the council"]
        if len(members) != len(set(members)):
            errors["council_members"] = ["thành viên bị trùng / a member is named twice"]
        if errors:
            raise ValidationError(errors)


@form("talent_supplement")
class Supplement(Schema):
    class Meta:
        title = "Bổ sung hồ sơ tiến cử"
        title_en = "Supplement to the nomination dossier"

    supplement_note = _text("Nội dung bổ sung", "What is supplied")
    supplement_evidence = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                                      validate=validate.Length(max=20),
                                      metadata=_label("Tài liệu bổ sung", "Supplementary evidence references"))
    supplement_file = File(kinds=("pdf", "jpeg", "png"), metadata=_label(
        "Bản chụp minh chứng (giấy chứng nhận giải thưởng, bằng tốt nghiệp…), nếu có",
        "Scan of the evidence (prize certificate, diploma…), if any",
        help="Tệp PDF, JPEG hoặc PNG", help_en="A PDF, JPEG or PNG file"))


@form("talent_council_vote")
class CouncilVote(Schema):
    class Meta:
        title = "Phiếu thẩm định của thành viên hội đồng"
        title_en = "Council member's vote"

    vote = _choice("Ý kiến", "Vote", {"approve": ("Đề nghị công nhận", "Approve"),
                                      "reject": ("Không đề nghị công nhận", "Reject")}, required=True)
    vote_comment = _text("Nhận xét", "Comment")


@form("talent_recognition_decision")
class RecognitionDecision(Schema):
    class Meta:
        title = "Quyết định công nhận nhân tài"
        title_en = "Recognition decision"

    decision = _choice("Quyết định", "Decision", {"recognised": ("Công nhận", "Recognised"),
                                                  "rejected": ("Không công nhận", "Not recognised")}, required=True)
    decision_no = fields.String(load_default="", validate=validate.Length(max=100),
                                metadata=_label("Số quyết định", "Decision number"))
    decision_date = fields.Date(load_default=None, allow_none=True, metadata=_label("Ngày quyết định", "Decision date"))
    decision_reason = _text("Lý do", "Reason", required=False)

    @validates_schema
    def _decision_needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("decision") == "recognised":
            if not data.get("decision_no", "").strip():
                errors["decision_no"] = ["bắt buộc khi công nhận / required to recognise"]
            if data.get("decision_date") is None:
                errors["decision_date"] = ["bắt buộc khi công nhận / required to recognise"]
        elif data.get("decision") == "rejected" and not data.get("decision_reason", "").strip():
            errors["decision_reason"] = ["cần nêu lý do / a reason is required"]
        if errors:
            raise ValidationError(errors)
