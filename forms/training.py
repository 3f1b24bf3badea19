"""Forms of the ``training_nomination`` process (cử nhân tài đi đào tạo chuyên biệt)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms import form
from forms import label as _label


@form("training_proposal")
class TrainingProposal(Schema):
    class Meta:
        title = "Đề xuất cử nhân tài đi đào tạo"
        title_en = "Proposal to send a talent to training"

    talent_name = fields.String(required=True, validate=validate.Length(min=2, max=200),
                                metadata=_label("Họ và tên nhân tài", "Talent's full name"))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=64),
                         metadata=_label("Đơn vị công tác", "Unit", choices="units"))
    course = fields.String(required=True, validate=validate.Length(min=2, max=300),
                           metadata=_label("Lớp đào tạo chuyên biệt", "Dedicated training class"))
    field_of_study = fields.String(required=True, validate=validate.OneOf(
        ["science_technology", "management", "economics", "law", "other"]),
        metadata=_label("Lĩnh vực", "Field", enum_labels={
            "science_technology": {"vi": "Khoa học và công nghệ", "en": "Science and technology"},
            "management": {"vi": "Quản lý", "en": "Management"},
            "economics": {"vi": "Kinh tế", "en": "Economics"},
            "law": {"vi": "Pháp luật", "en": "Law"},
            "other": {"vi": "Khác", "en": "Other"}}))
    mentor = fields.String(required=True, validate=validate.Length(min=2, max=64),
                           metadata=_label("Người hướng dẫn", "Mentor", choices="people"))
    reason = fields.String(load_default="", validate=validate.Length(max=2000),
                           metadata=_label("Lý do đề xuất", "Reason for the proposal"))


@form("training_mentor_assessment")
class MentorAssessment(Schema):
    class Meta:
        title = "Nhận xét của người hướng dẫn"
        title_en = "Mentor's assessment"

    recommendation = fields.String(required=True, validate=validate.OneOf(["support", "not_support"]),
                                   metadata=_label("Ý kiến", "Recommendation", enum_labels={
                                       "support": {"vi": "Ủng hộ", "en": "Support"},
                                       "not_support": {"vi": "Không ủng hộ", "en": "Do not support"}}))
    mentor_comment = fields.String(required=True, validate=validate.Length(min=1, max=4000),
                                   metadata=_label("Nhận xét", "Comment"))


@form("training_unit_head_decision")
class UnitHeadDecision(Schema):
    class Meta:
        title = "Quyết định của thủ trưởng đơn vị"
        title_en = "Unit head's decision"

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]),
                             metadata=_label("Quyết định", "Decision", enum_labels={
                                 "approve": {"vi": "Đồng ý", "en": "Approve"},
                                 "reject": {"vi": "Không đồng ý", "en": "Reject"}}))
    decision_reason = fields.String(load_default="", validate=validate.Length(max=2000),
                                    metadata=_label("Lý do", "Reason", help="bắt buộc khi không đồng ý"))

    @validates_schema
    def _reason_for_a_refusal(self, data: dict[str, Any], **_: Any) -> None:
        """A refusal is a decision on a person: the record says why."""
        if data.get("decision") == "reject" and not data.get("decision_reason", "").strip():
            raise ValidationError("cần nêu lý do khi không đồng ý / a reason is required to reject",
                                  "decision_reason")


@form("training_hr_enrolment")
class HrEnrolment(Schema):
    class Meta:
        title = "Xếp lớp đào tạo"
        title_en = "Enrolment in a class"

    class_code = fields.String(required=True, validate=validate.Length(min=1, max=64),
                               metadata=_label("Mã lớp", "Class code"))
    class_start = fields.Date(required=True, metadata=_label("Ngày khai giảng", "Start date"))


@form("training_attendance_report")
class AttendanceReport(Schema):
    class Meta:
        title = "Báo cáo kết quả đào tạo"
        title_en = "Training result report"

    completed = fields.Boolean(required=True, metadata=_label("Đã hoàn thành khóa học", "Completed the course"))
    certificate_ref = fields.String(load_default="", validate=validate.Length(max=200),
                                    metadata=_label("Số chứng chỉ", "Certificate reference"))
