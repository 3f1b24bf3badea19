"""Working days in Hai Phong: weekends, public holidays (lunar Tết), and the year's configured changes."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from api import create_app
from api.cli import main
from engine.time import calendar
from engine.time import clock
from engine.time.calendar import BusinessCalendar, CalendarFileError, load_file, parse_config

ZONE = clock.CITY_ZONE


def local(y: int, m: int, d: int, hour: int = 10) -> datetime:
    return datetime(y, m, d, hour, tzinfo=ZONE)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=ZONE).astimezone(timezone.utc)


@pytest.fixture
def restore_calendar():  # type: ignore[no-untyped-def]
    previous = calendar.current()
    yield
    calendar.use(previous)


def test_tet_2027_does_not_count():
    plain = BusinessCalendar()
    # the holidays package: Tết 2027 runs Thursday 4 to Wednesday 10 February
    assert [d for d in (date(2027, 2, 3) + timedelta(days=i) for i in range(9)) if not plain.is_working_day(d)] == [
        date(2027, 2, d) for d in range(4, 11)]
    assert plain.add_working_days(local(2027, 2, 3), 1) == end_of(date(2027, 2, 11))
    assert plain.add_working_days(local(2027, 2, 3), 3) == end_of(date(2027, 2, 15))  # over the weekend too
    assert plain.working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3


def test_a_weekend_does_not_count_and_zero_days_end_today():
    plain = BusinessCalendar()
    assert plain.add_working_days(local(2026, 3, 6), 1) == end_of(date(2026, 3, 9))  # Friday -> Monday
    assert plain.add_working_days(local(2026, 3, 6, 23), 0) == end_of(date(2026, 3, 6))
    with pytest.raises(ValueError):
        plain.add_working_days(datetime(2026, 3, 6), 1)  # naive: refused


def test_a_swapped_working_day_and_an_extra_day_off_move_the_deadline():
    # the year's decision: Friday 12 February 2027 off, worked on Saturday 20 February instead
    swapped = parse_config({"2027": {"days_off": ["2027-02-12"], "working_days": ["2027-02-20"]}})
    assert swapped.add_working_days(local(2027, 2, 3), 2) == end_of(date(2027, 2, 15))  # Thu 11, then Mon 15
    assert BusinessCalendar().add_working_days(local(2027, 2, 3), 2) == end_of(date(2027, 2, 12))
    assert swapped.add_working_days(local(2027, 2, 18), 2) == end_of(date(2027, 2, 20))  # Fri 19, then Sat 20
    assert BusinessCalendar().add_working_days(local(2027, 2, 18), 2) == end_of(date(2027, 2, 22))


@settings(max_examples=60, deadline=None)
@given(start=st.dates(date(2026, 1, 1), date(2027, 12, 1)), days=st.integers(0, 40))
def test_a_deadline_ends_on_a_working_day_exactly_n_working_days_later(start: date, days: int):
    plain = BusinessCalendar()
    due = plain.add_working_days(local(start.year, start.month, start.day), days).astimezone(ZONE).date()
    assert plain.working_days_between(start, due) == days
    assert days == 0 or plain.is_working_day(due)


def test_the_calendar_file_is_read_as_json_or_toml(tmp_path):
    as_json = tmp_path / "calendar.json"
    as_json.write_text(json.dumps({"2027": {"days_off": ["2027-02-12"], "working_days": ["2027-02-20"]}}))
    as_toml = tmp_path / "calendar.toml"
    as_toml.write_text('[2027]\ndays_off = ["2027-02-12"]\nworking_days = ["2027-02-20"]\n')
    for path in (as_json, as_toml):
        loaded = load_file(path)
        assert not loaded.is_working_day(date(2027, 2, 12)) and loaded.is_working_day(date(2027, 2, 20))


@pytest.mark.parametrize("config, message", [
    ({"2027": {"days_off": ["2027-02-30"]}}, "is not a date"),
    ({"2027": {"days_off": ["2028-01-02"]}}, "is not in 2027"),
    ({"2027": {"days_off": ["2027-02-12"], "working_days": ["2027-02-12"]}}, "both a day off and a working day"),
    ({"2027": {"holidays": []}}, "only 'days_off' and 'working_days'"),
    ({"next year": {}}, "is not a year"),
    ({"2027": {"days_off": "2027-02-12"}}, "must be a list"),
    ([], "must map years"),
])
def test_a_bad_calendar_is_refused_with_the_reason(config, message):
    with pytest.raises(CalendarFileError, match=message):
        parse_config(config)


def test_an_unreadable_or_malformed_file_says_which_and_why(tmp_path):
    with pytest.raises(CalendarFileError, match="cannot read calendar file"):
        load_file(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{2027: ")
    with pytest.raises(CalendarFileError, match="broken.json is not valid json"):
        load_file(broken)


def test_the_app_and_the_cli_load_the_calendar_file(tmp_path, database_url, monkeypatch, restore_calendar):
    path = tmp_path / "calendar.json"
    path.write_text(json.dumps({"2027": {"days_off": ["2027-02-12"]}}))
    app = create_app({"DATABASE_URL": database_url, "CALENDAR_FILE": str(path)})
    app.extensions["talentflow"].store.dispose()
    assert not calendar.current().is_working_day(date(2027, 2, 12))
    manual = clock.ManualClock(datetime(2027, 2, 11, 3, 0, tzinfo=timezone.utc))
    previous = clock.use(manual)
    try:  # the sandbox helper diagrams call reads the configured calendar
        assert calendar.working_days(1) == end_of(date(2027, 2, 15)).isoformat()
    finally:
        clock.use(previous)

    path.write_text("{not json")
    monkeypatch.setenv("TALENTFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("TALENTFLOW_CALENDAR_FILE", str(path))
    result = CliRunner().invoke(main, ["retry", "1"])
    assert result.exit_code == 2 and "TALENTFLOW_CALENDAR_FILE" in result.output and "not valid" in result.output
    with pytest.raises(SystemExit, match="TALENTFLOW_CALENDAR_FILE"):
        create_app({"DATABASE_URL": database_url, "CALENDAR_FILE": str(path)})


def test_a_reminder_falls_on_office_hours_the_given_working_days_before_a_deadline():
    from datetime import datetime, timezone

    from engine.time.calendar import BusinessCalendar

    cal = BusinessCalendar()
    end_of_15_december = datetime(2026, 12, 15, 17, 0, tzinfo=timezone.utc)  # midnight in Hai Phong
    assert cal.working_days_before(end_of_15_december, 5) == datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)
    # over a weekend: Monday 7 December minus 1 working day is Friday 4 December
    assert cal.working_days_before(datetime(2026, 12, 7, 17, 0, tzinfo=timezone.utc), 1) == \
        datetime(2026, 12, 4, 1, 0, tzinfo=timezone.utc)
    # over Tết 2027 (4-10 February off): 2 working days before the end of 11 February: 3, then 2 February
    assert cal.working_days_before(datetime(2027, 2, 11, 17, 0, tzinfo=timezone.utc), 2) == \
        datetime(2027, 2, 2, 1, 0, tzinfo=timezone.utc)
