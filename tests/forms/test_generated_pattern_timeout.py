"""A generated field's ``pattern`` (a file's ``camunda:formData`` constraint) never holds the worker:
a pattern that backtracks on the user's text gives up after the timeout and refuses the field."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from engine import policy
from forms import generated

EMAIL = r"([a-zA-Z0-9]+[._-]?)*[a-zA-Z0-9]+@[a-zA-Z0-9-]+(\.[a-zA-Z]{2,})+"


def _form(key: str, pattern: str) -> dict:
    return {"key": key, "fields": [{"id": "email", "label": "E-mail", "type": "string",
                                    "rules": {"required": True, "pattern": pattern}}]}


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pattern timeout, shortened so the test ends soon; the outcome is the same."""
    monkeypatch.setattr(generated, "PATTERN_TIMEOUT", 0.05)


def test_the_email_pattern_refuses_a_long_wrong_text_at_once_and_accepts_an_address() -> None:
    form = _form("pattern-email-test", EMAIL)
    with pytest.raises(ValidationError) as err:
        generated.load("pattern-email-test", form, {"email": "a" * 40 + "!"})
    assert list(err.value.messages) == ["email"]
    assert generated.load("pattern-email-test", form, {"email": "lan@hcm.gov.vn"}) == {"email": "lan@hcm.gov.vn"}


def test_a_pattern_that_times_out_on_the_users_text_refuses_the_field_with_a_clear_message(short_timeout: None) -> None:
    form = _form("pattern-backtracking-test", "(a|a)*")
    with pytest.raises(ValidationError) as err:
        generated.load("pattern-backtracking-test", form, {"email": "a" * 40 + "!"})
    assert err.value.messages == {"email": [generated.PATTERN_TOO_SLOW]}


def test_a_text_longer_than_any_pattern_is_run_on_is_refused_with_the_same_message() -> None:
    form = _form("pattern-long-test", "a*")
    with pytest.raises(ValidationError) as err:
        generated.load("pattern-long-test", form, {"email": "a" * (generated.PATTERN_MAX_TEXT + 1)})
    assert err.value.messages == {"email": [generated.PATTERN_TOO_SLOW]}


def test_the_pattern_is_still_published_in_json_schema() -> None:
    schema = generated.json_schema("pattern-schema-test", _form("pattern-schema-test", "[A-Z]{3}"))
    assert schema["properties"]["email"]["pattern"] == "^(?:[A-Z]{3})$"


def test_the_forms_limits_are_the_engines() -> None:
    assert (generated.PATTERN_TIMEOUT, generated.PATTERN_MAX_TEXT) == (policy.REGEX_TIMEOUT, policy.REGEX_MAX_SUBJECT)
