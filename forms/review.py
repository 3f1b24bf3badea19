"""Forms of the ``annual_talent_review`` process (định kỳ rà soát danh sách nhân tài).

Start (hr: which year), one assessment per talent (the talent's unit head),
hr's consolidation with reasoned overrides, and the approver's decision.
"""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms import form
from forms import label as _label

RATING_LABELS = {
    "xuat_sac": {"vi": "Hoàn thành xuất sắc nhiệm vụ", "en": "Excellent"},
    "tot": {"vi": "Hoàn thành tốt nhiệm vụ", "en": "Good"},
    "hoan_thanh": {"vi": "Hoàn thành nhiệm vụ", "en": "Satisfactory"},
    "khong_hoan_thanh": {"vi": "Không hoàn thành nhiệm vụ", "en": "Unsatisfactory"},
}
OUTCOME_LABELS = {
    "keep": {"vi": "Giữ lại trong danh sách", "en": "Keep on the list"},
    "at_risk": {"vi": "Cảnh báo (nguy cơ đưa ra khỏi danh sách)", "en": "At risk"},
    "remove": {"vi": "Đưa ra khỏi danh sách", "en": "Remove from the list"},
}


def _not_blank(value: str) -> None:
    if not value.strip():
        raise ValidationError("must not be blank")


@form("review_start")
class ReviewStart(Schema):
    class Meta:
        title = "Bắt đầu rà soát danh sách nhân tài"
        title_en = "Start the annual review of the talent list"

    year = fields.Integer(required=True, strict=True, validate=validate.Range(2000, 2100),
                          metadata=_label("Năm rà soát", "Year under review"))


@form("review_assessment")
class ReviewAssessment(Schema):
    """What the unit head records about one talent for the year."""

    class Meta:
        title = "Đánh giá nhân tài trong năm"
        title_en = "Assessment of a talent for the year"

    rating = fields.String(required=True, validate=validate.OneOf(list(RATING_LABELS)),
                           metadata=_label("Xếp loại chất lượng năm", "Annual rating", enum_labels=RATING_LABELS))
    appointed_or_promoted = fields.Boolean(required=True, metadata=_label(
        "Được bổ nhiệm, đề bạt trong năm", "Appointed or promoted this year"))
    in_planning = fields.Boolean(required=True, metadata=_label("Trong danh sách quy hoạch", "In a planning list"))
    trained_st = fields.Boolean(required=True, metadata=_label(
        "Được đào tạo về khoa học và công nghệ trong năm", "Trained in science and technology this year"))
    serving_in_city = fields.Boolean(required=True, metadata=_label(
        "Đang công tác tại thành phố", "Still serving in the city"))
    disciplined = fields.Boolean(required=True, metadata=_label(
        "Bị kỷ luật từ khiển trách trở lên", "Disciplined (reprimand or heavier)"))
    recommendation = fields.String(required=True, validate=validate.OneOf(list(OUTCOME_LABELS)),
                                   metadata=_label("Đề xuất của đơn vị", "Unit's recommendation",
                                                   enum_labels=OUTCOME_LABELS))
    comment = fields.String(load_default="", validate=validate.Length(max=2000),
                            metadata=_label("Nhận xét", "Comment"))


class Override(Schema):
    talent_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                               metadata=_label("Mã nhân tài", "Talent id"))
    outcome = fields.String(required=True, validate=validate.OneOf(list(OUTCOME_LABELS)),
                            metadata=_label("Kết quả điều chỉnh", "Outcome instead", enum_labels=OUTCOME_LABELS))
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=2000), _not_blank],
                           metadata=_label("Lý do điều chỉnh", "Reason for the change"))


@form("review_consolidation")
class ReviewConsolidation(Schema):
    """hr's consolidation: the rules' outcomes stand unless overridden, each with a reason."""

    class Meta:
        title = "Tổng hợp, điều chỉnh kết quả rà soát"
        title_en = "Consolidation of the review"

    overrides = fields.List(fields.Nested(Override), load_default=list, validate=validate.Length(max=2000),
                            metadata=_label("Điều chỉnh kết quả", "Overridden outcomes"))
    note = fields.String(load_default="", validate=validate.Length(max=4000),
                         metadata=_label("Ghi chú tổng hợp", "Consolidation note"))


@form("review_approval")
class ReviewApproval(Schema):
    class Meta:
        title = "Phê duyệt danh sách nhân tài sau rà soát"
        title_en = "Approval of the reviewed talent list"

    decision = fields.String(required=True, validate=validate.OneOf(["approve", "return"]),
                             metadata=_label("Quyết định", "Decision", enum_labels={
                                 "approve": {"vi": "Phê duyệt", "en": "Approve"},
                                 "return": {"vi": "Trả lại Sở Nội vụ", "en": "Send back to hr"}}))
    approval_comment = fields.String(load_default="", validate=validate.Length(max=2000),
                                     metadata=_label("Ý kiến", "Comment"))

    @validates_schema
    def _return_needs_a_reason(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("decision") == "return" and not data.get("approval_comment", "").strip():
            raise ValidationError("say what hr must change", "approval_comment")
