"""The forms as clients see them: the JSON Schema each form key publishes.

The API hands this document to clients and the web pages build their inputs
from it, so these tests read it as a client would: labels in both languages,
the choices and their labels, which fields must be given, rows of lists, and
bounds that are the very ones the API enforces when the form is posted.
"""
from __future__ import annotations

from typing import Any, Iterator

import pytest
from marshmallow import Schema, fields, validate

import forms
from forms.export import form_json_schema

KEYS = forms.keys()


def _nodes(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _objects(schema: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Schema]]:
    """The form and each list-of-rows object in it, with the marshmallow schema that loads it."""
    loader = forms.schema_for(schema["$id"].removeprefix("form:"))
    yield schema, loader
    for key, node in schema["properties"].items():
        if node.get("type") == "array" and node["items"].get("type") == "object":
            yield node["items"], loader.fields[key].inner.schema


def _errors(loader: Schema, data: dict[str, Any]) -> dict[str, Any]:
    """Field -> messages the API would answer when ``data`` is posted (row forms: one row)."""
    return loader.validate(data)


def test_every_registered_form_is_published():
    assert len(KEYS) >= 25
    assert {"exam_plan", "talent_nomination", "training_mentor_assessment", "review_assessment"} <= set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_the_form_is_one_closed_document_with_a_title_in_both_languages(key):
    schema = forms.json_schema(key)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"form:{key}" and schema["type"] == "object"
    assert isinstance(schema["title"], str) and schema["title"].strip()
    assert isinstance(schema["x-title-en"], str) and schema["x-title-en"].strip()
    assert not [n for n in _nodes(schema) if "$ref" in n], "rows are inlined, the page follows no reference"
    for obj, _loader in _objects(schema):
        assert obj["additionalProperties"] is False and obj["properties"]


@pytest.mark.parametrize("key", KEYS)
def test_every_field_and_row_column_is_labelled_in_vietnamese_and_english(key):
    for obj, _loader in _objects(forms.json_schema(key)):
        for name, node in obj["properties"].items():
            assert isinstance(node.get("title"), str) and node["title"].strip(), name
            assert isinstance(node.get("x-title-en"), str) and node["x-title-en"].strip(), name


@pytest.mark.parametrize("key", KEYS)
def test_required_fields_are_those_the_api_asks_for_in_form_order(key):
    for obj, loader in _objects(forms.json_schema(key)):
        required = obj.get("required", [])
        assert required == [k for k in obj["properties"] if k in required]
        missing = {k for k, messages in _errors(loader, {}).items() if k != "_schema"}
        assert missing == set(required)


@pytest.mark.parametrize("key", KEYS)
def test_choices_are_what_the_api_accepts_and_each_has_a_label(key):
    for obj, loader in _objects(forms.json_schema(key)):
        for name, node in obj["properties"].items():
            if "enum" not in node:
                continue
            assert None not in node["enum"] and node["type"] == "string"
            for choice in node["enum"]:
                assert name not in _errors(loader, {name: choice})
            assert name in _errors(loader, {name: "no-such-choice"})
            labels = node.get("x-enum-labels")
            if labels is not None:
                assert list(labels) == node["enum"]
                assert all(isinstance(label["vi"], str) and label["vi"] for label in labels.values())


@pytest.mark.parametrize("key", KEYS)
def test_bounds_and_lengths_are_the_ones_enforced_on_posting(key):
    for obj, loader in _objects(forms.json_schema(key)):
        for name, node in obj["properties"].items():
            assert "minItems" not in node or node["type"] == "array"
            assert "minLength" not in node or node["type"] == "string"
            if "minimum" in node:
                assert name not in _errors(loader, {name: node["minimum"]})
                assert name in _errors(loader, {name: node["minimum"] - 1})
            if "maximum" in node:
                assert name not in _errors(loader, {name: node["maximum"]})
                assert name in _errors(loader, {name: node["maximum"] + 1})
            if "maxLength" in node and "pattern" not in node:
                assert name not in _errors(loader, {name: "x" * node["maxLength"]})
                assert name in _errors(loader, {name: "x" * (node["maxLength"] + 1)})
            if node.get("minLength"):
                assert name in _errors(loader, {name: ""})
            if node.get("nullable"):
                assert name not in _errors(loader, {name: None}) and "default" not in node
            if "default" in node:  # what the page pre-fills is what the API fills in when left out
                assert name not in obj.get("required", [])
                assert loader.fields[name].load_default == node["default"]


def test_the_exam_plan_shows_council_seats_as_labelled_rows_and_a_checkbox_to_confirm():
    plan = forms.json_schema("exam_plan")
    assert plan["title"] == "Kế hoạch thi tuyển chức danh lãnh đạo, quản lý"
    assert plan["x-title-en"] == "Plan of a competitive selection for a leadership post"
    council = plan["properties"]["council"]
    assert council["type"] == "array" and council["title"] == "Hội đồng thi tuyển"
    row = council["items"]
    assert list(row["properties"]) == ["username", "seat"] and row["required"] == ["username", "seat"]
    seat = row["properties"]["seat"]
    assert seat["enum"] == ["chair", "secretary", "member"]
    assert seat["x-enum-labels"]["chair"] == {"vi": "Chủ tịch hội đồng", "en": "Chair"}
    # a person chosen by name on the page (x-choices: people); the API still takes the sign-in name
    assert row["properties"]["username"] == {"type": "string", "minLength": 1, "maxLength": 64, "title": "Thành viên",
                                             "x-title-en": "Member", "x-choices": "people"}
    # Equal(True) must be ticked, but it is a checkbox, not a one-choice radio group.
    assert plan["properties"]["first_appointment"] == {
        "type": "boolean", "title": "Bổ nhiệm lần đầu vào chức danh", "x-title-en": "First appointment to the post level"}
    days = plan["properties"]["registration_days"]
    assert (days["type"], days["default"], days["minimum"], days["maximum"]) == ("integer", 30, 1, 365)
    level = plan["properties"]["level"]  # a select with words, the registry's levels
    from workflows.programme.registry import LEVELS
    assert level["enum"] == list(LEVELS) and level["x-enum-labels"]["truong_phong"]["vi"] == "Trưởng phòng"
    assert plan["properties"]["unit"]["x-choices"] == "units"  # the page offers the units by name
    assert plan["properties"]["requirements"]["maxLength"] == 8000


def test_written_marks_are_rows_of_a_code_and_a_mark_from_0_to_100():
    marks = forms.json_schema("exam_written_marks")["properties"]["marks"]["items"]
    mark = marks["properties"]["mark"]
    assert mark["type"] == "number" and (mark["minimum"], mark["maximum"]) == (0, 100)
    assert type(mark["minimum"]) is int and type(mark["maximum"]) is int, "the page writes data-min=\"0\""
    assert marks["properties"]["candidate_code"]["pattern"] == "^[A-Za-z0-9_.-]{1,32}$"


def test_the_nomination_dossier_has_optional_choices_dated_fields_and_bounded_rows():
    props = forms.json_schema("talent_nomination")["properties"]
    assert props["birth_date"]["type"] == "string" and props["birth_date"]["format"] == "date"
    degree = props["degree_classification"]
    assert degree["nullable"] is True and "default" not in degree and None not in degree["enum"]
    assert set(degree["x-enum-labels"]) == set(degree["enum"])
    achievements = props["achievements"]
    assert (achievements["minItems"], achievements["maxItems"]) == (1, 50)
    evidence = achievements["items"]["properties"]["evidence_refs"]
    assert (evidence["minItems"], evidence["maxItems"]) == (1, 20)
    assert evidence["items"] == {"type": "string", "minLength": 1, "maxLength": 200}
    assert achievements["items"]["required"] == ["title", "evidence_refs"]
    assert props["self_nominated"]["default"] is False
    assert props["international_papers"]["default"] == 0 and props["international_papers"]["maximum"] == 10000
    assert props["prizes"]["maxItems"] == 50 and "minItems" not in props["prizes"]


def test_decisions_carry_an_optional_date_and_labelled_outcomes():
    appointment = forms.json_schema("exam_appointment")
    assert appointment["required"] == ["appointment"]
    assert appointment["properties"]["effective_date"] == {
        "type": "string", "format": "date", "nullable": True, "title": "Ngày hiệu lực", "x-title-en": "Effective date"}
    assert appointment["properties"]["decision_no"]["default"] == ""
    mentor = forms.json_schema("training_mentor_assessment")
    assert mentor["properties"]["recommendation"]["x-enum-labels"]["support"] == {"vi": "Ủng hộ", "en": "Support"}
    consolidation = forms.json_schema("review_consolidation")
    assert "required" not in consolidation
    assert consolidation["properties"]["overrides"]["items"]["required"] == ["talent_id", "outcome", "reason"]
    verification = forms.json_schema("talent_verification")["properties"]["council_members"]
    assert verification["maxItems"] == 31 and verification["items"]["pattern"] == "^[A-Za-z0-9_.-]{2,64}$"


class _Row(Schema):
    class Meta:
        title = "Dòng"

    note = fields.String(metadata=forms.label("Ghi chú", "Note"))


class _Everything(Schema):
    """Field kinds and options no form uses yet, so a new form gets the same contract."""

    class Meta:
        title = "Thử"
        title_en = "Trial"

    email = fields.Email(required=True, metadata=forms.label("Thư", "E-mail", help="cá nhân", help_en="personal"))
    site = fields.Url(metadata=forms.label("Trang", "Site"))
    at = fields.AwareDateTime(metadata=forms.label("Lúc", "At"))
    share = fields.Float(validate=validate.Range(0, 1, min_inclusive=False, max_inclusive=False))
    size = fields.String(validate=[validate.OneOf(["s", "m"])],
                         metadata=forms.label("Cỡ", "Size", enum_labels={"s": {"vi": "Nhỏ", "en": "Small"}}))
    code = fields.String(validate=validate.Length(equal=3))
    row = fields.Nested(_Row, metadata=forms.label("Một dòng", "One row"))
    rows = fields.Nested(_Row, many=True)
    created = fields.DateTime(dump_only=True)


def test_field_kinds_no_form_uses_yet_follow_the_same_contract():
    schema = form_json_schema("trial", _Everything())
    props = schema["properties"]
    assert schema["$id"] == "form:trial" and (schema["title"], schema["x-title-en"]) == ("Thử", "Trial")
    assert schema["required"] == ["email"] and "created" not in props
    assert props["email"] == {"type": "string", "format": "email", "title": "Thư", "x-title-en": "E-mail",
                              "description": "cá nhân", "x-description-en": "personal"}
    assert props["site"]["format"] == "uri" and props["at"]["format"] == "date-time"
    assert props["share"] == {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}
    assert props["size"]["x-enum-labels"] == {"s": {"vi": "Nhỏ", "en": "Small"}, "m": {"vi": "m"}}
    assert (props["code"]["minLength"], props["code"]["maxLength"]) == (3, 3)
    assert props["row"]["type"] == "object" and props["row"]["title"] == "Một dòng"
    assert props["row"]["additionalProperties"] is False
    assert props["rows"]["type"] == "array" and props["rows"]["items"]["title"] == "Dòng"
    assert props["rows"]["items"]["properties"]["note"]["x-title-en"] == "Note"


def test_a_file_field_is_published_as_the_reference_a_client_sends_with_its_kinds():
    """The round-2 sheet's review of the đề án: an optional object naming an uploaded file."""
    schema = forms.json_schema("exam_round2_scores")
    review = schema["properties"]["plan_review"]
    assert review["type"] == "object" and review["required"] == ["file_id"] and review["additionalProperties"] is False
    assert review["properties"]["file_id"] == {"type": "integer", "minimum": 1,
                                               "description": "Mã tệp đã tải lên cho công việc này",
                                               "x-description-en": "Id of a file uploaded for this task"}
    assert review["x-file"] == {"kinds": ["pdf", "docx"], "accept": ".pdf,application/pdf,.docx,application/vnd."
                                "openxmlformats-officedocument.wordprocessingml.document"}
    assert review["title"] == "Phiếu nhận xét đề án của thành viên (nếu có)"
    assert "plan_review" not in schema["required"]
    loader = forms.schema_for("exam_round2_scores")
    row = [{"candidate_code": "TS01", "score": 70}]
    assert loader.validate({"scores": row, "plan_review": {"file_id": 7}}) == {}
    assert "plan_review" in loader.validate({"scores": row, "plan_review": {"file_id": 7, "kind": "png"}})
    assert "plan_review" not in loader.load({"scores": row})  # absent stays absent: old sheets replay as recorded
