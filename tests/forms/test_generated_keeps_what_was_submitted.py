"""A generated form keeps what was submitted as SpiffWorkflow keeps it: a dotted field id as its flat
key, a date as its ISO text."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from engine.definitions.sandbox import check_data_keys
from engine.errors import Invalid
from forms import generated

DESCRIPTION = {"key": "Person", "fields": [
    {"id": "person.name", "label": "Name", "type": "string", "rules": {"required": True}},
    {"id": "person.age", "label": "Age", "type": "long", "rules": {"min": 0}},
]}


def test_a_dotted_field_id_is_loaded_as_the_flat_key_not_nested() -> None:
    loaded = generated.load("formdata-dotted-test", DESCRIPTION, {"person.name": "Lan", "person.age": 41})
    assert loaded == {"person.name": "Lan", "person.age": 41}


def test_its_messages_and_json_schema_name_the_key_the_file_names() -> None:
    with pytest.raises(ValidationError) as err:
        generated.load("formdata-dotted-test", DESCRIPTION, {"person.age": -1})
    assert set(err.value.messages) == {"person.name", "person.age"}
    schema = generated.json_schema("formdata-dotted-test", DESCRIPTION)
    assert set(schema["properties"]) == {"person.name", "person.age"}
    assert schema["required"] == ["person.name"]


@pytest.mark.parametrize("key", ["person.name", "a.b.c"])
def test_a_dotted_data_key_is_accepted(key: str) -> None:
    assert check_data_keys({key: 1}) == {key: 1}


@pytest.mark.parametrize("key", ["a._b", "_a.b", "a..b", "a.", "class.x", "two words.x"])
def test_a_dotted_key_with_a_hidden_keyword_or_empty_part_is_refused(key: str) -> None:
    with pytest.raises(Invalid):
        check_data_keys({key: 1})


DATED = {"key": "Day", "fields": [{"id": "meeting_day", "label": "Day", "type": "date", "rules": {}}]}


def test_a_date_field_is_checked_as_a_date_and_kept_as_its_iso_text() -> None:
    assert generated.load("formdata-date-test", DATED, {"meeting_day": "2026-05-01"}) == {"meeting_day": "2026-05-01"}
    with pytest.raises(ValidationError) as err:
        generated.load("formdata-date-test", DATED, {"meeting_day": "1 May"})
    assert set(err.value.messages) == {"meeting_day"}
    assert generated.json_schema("formdata-date-test", DATED)["properties"]["meeting_day"]["format"] == "date"
