"""Calendars are immutable values that callers can compare, hash and cache."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from businesstime import STATES, BusinessCalendar, BusinessHours, NextWorkingDayEnd, WeeklySchedule, Window

CLOSURES = ((date(2026, 8, 3), date(2026, 8, 14)), (date(2025, 12, 24), date(2026, 1, 1)))


def test_equal_inputs_make_equal_calendars(office_hours: WeeklySchedule) -> None:
    first = BusinessCalendar(office_hours, state="NI", closures=CLOSURES)
    second = BusinessCalendar(
        WeeklySchedule.parse(office_hours.as_strings()), state="NI", closures=tuple(reversed(CLOSURES))
    )
    first.is_working_day(date(2026, 3, 9))

    assert first == second
    assert hash(first) == hash(second)
    assert {first: "oldenburg"}[second] == "oldenburg"
    assert second.closures == (CLOSURES[1], CLOSURES[0])
    assert first != BusinessCalendar(office_hours, state="BY", closures=CLOSURES)
    assert first != BusinessCalendar(office_hours, state="NI")


def test_calendar_exposes_its_zone(lower_saxony: BusinessCalendar) -> None:
    assert lower_saxony.zone == ZoneInfo("Europe/Berlin")


def test_calendar_cannot_be_changed(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        lower_saxony.state = "BY"  # type: ignore[misc]


def test_closures_may_be_given_as_a_list(office_hours: WeeklySchedule) -> None:
    calendar = BusinessCalendar(office_hours, closures=list(CLOSURES))  # type: ignore[arg-type]

    assert calendar.closures == (CLOSURES[1], CLOSURES[0])
    assert hash(calendar) == hash(BusinessCalendar(office_hours, closures=CLOSURES))


def test_schedule_keeps_its_windows_in_minutes(office_hours: WeeklySchedule) -> None:
    assert office_hours.days[0] == (Window(480, 720), Window(780, 1080))
    assert office_hours.days[5] == ()
    assert str(office_hours.days[0][1]) == "13:00–18:00"
    assert not office_hours.is_empty
    assert WeeklySchedule.parse({}).is_empty


def test_rules_are_values() -> None:
    assert BusinessHours(24) == BusinessHours(24.0)
    assert hash(BusinessHours(24)) == hash(BusinessHours(24.0))
    assert NextWorkingDayEnd() == NextWorkingDayEnd()
    assert BusinessHours(0.25).microseconds == 900_000_000


def test_answers_do_not_depend_on_what_was_asked_before(office_hours: WeeklySchedule) -> None:
    fresh = BusinessCalendar(office_hours, state="NI", closures=CLOSURES)
    used = BusinessCalendar(office_hours, state="NI", closures=CLOSURES)
    for month in range(1, 13):
        used.due(datetime(2026, month, 15, 9, 0, tzinfo=UTC), BusinessHours(200))
    start = datetime(2026, 7, 31, 16, 0, tzinfo=UTC)

    assert used.due(start, BusinessHours(24)) == fresh.due(start, BusinessHours(24))
    assert used.due(start, BusinessHours(24)) == datetime(2026, 8, 19, 13, 0, tzinfo=UTC)


def test_known_states_are_those_the_holidays_package_knows_for_germany() -> None:
    import holidays

    assert frozenset(holidays.list_supported_countries()["DE"]) == STATES


def test_the_holidays_package_is_loaded_only_when_a_holiday_is_looked_up() -> None:
    probe = "import sys, businesstime; print(any(m.startswith('holidays') for m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "False"
