"""Invalid calendars and arguments are refused with a library error that names the input."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from businesstime import (
    BusinessCalendar,
    BusinessHours,
    BusinessTimeError,
    InvalidArgument,
    InvalidCalendar,
    NaiveDatetime,
    NextWorkingDayEnd,
    NoWorkingDay,
    WeeklySchedule,
    Window,
)

NAIVE = datetime(2026, 3, 9, 10, 0)


@pytest.mark.parametrize(
    ("windows", "index", "words"),
    [
        ([("08:00", "12:00"), ("11:00", "18:00")], 1, "overlaps window 0"),
        ([("08:00", "12:00"), ("09:00", "10:00")], 1, "overlaps window 0"),
        ([("08:00", "12:00"), ("12:00", "18:00")], 1, "touches window 0"),
        ([("13:00", "18:00"), ("08:00", "12:00")], 1, "list windows in order"),
        ([("18:00", "08:00")], 0, "does not start before it ends"),
        ([("08:00", "08:00")], 0, "does not start before it ends"),
        ([("8 Uhr", "12:00")], 0, "not a time of day"),
        ([("08:00", "25:00")], 0, "between 00:00 and 24:00"),
        ([("08:00", "12:60")], 0, "between 00:00 and 24:00"),
        ([("08:00", "24:30")], 0, "between 00:00 and 24:00"),
        ([("24:00", "24:00")], 0, "cannot start at 24:00"),
    ],
)
def test_invalid_window_is_refused_with_weekday_and_index(
    windows: list[tuple[str, str]], index: int, words: str
) -> None:
    with pytest.raises(InvalidCalendar) as raised:
        WeeklySchedule.parse({"monday": [("07:00", "07:30")], "wednesday": windows})

    assert raised.value.loc == ("schedule", "wednesday", index)
    assert f"wednesday window {index}" in raised.value.message
    assert words in raised.value.message


def test_window_that_is_not_a_pair_is_refused() -> None:
    with pytest.raises(InvalidCalendar) as raised:
        WeeklySchedule.parse({"friday": [("08:00", "12:00", "13:00")]})  # type: ignore[list-item]

    assert raised.value.loc == ("schedule", "friday", 0)


def test_schedule_built_from_windows_is_checked_too() -> None:
    with pytest.raises(InvalidCalendar) as overlapping:
        WeeklySchedule(((), (Window(480, 720), Window(700, 800)), (), (), (), (), ()))
    with pytest.raises(InvalidCalendar) as short:
        WeeklySchedule(((), ()))

    assert overlapping.value.loc == ("schedule", "tuesday", 1)
    assert short.value.loc == ("schedule",)


def test_window_may_end_at_midnight() -> None:
    schedule = WeeklySchedule.parse({"friday": [("20:00", "24:00")], "saturday": [("00:00", "02:00")]})

    assert schedule.as_strings() == {"friday": [("20:00", "24:00")], "saturday": [("00:00", "02:00")]}


def test_unknown_weekday_is_refused() -> None:
    with pytest.raises(InvalidCalendar) as raised:
        WeeklySchedule.parse({"montag": [("08:00", "12:00")]})

    assert raised.value.loc == ("schedule", "montag")


def test_unknown_state_is_refused() -> None:
    schedule = WeeklySchedule.parse({})
    for state in ("XX", "ni", "Niedersachsen", ""):
        with pytest.raises(InvalidCalendar) as raised:
            BusinessCalendar(schedule, state=state)
        assert raised.value.loc == ("state",)


@pytest.mark.parametrize("zone", ["Europe/Atlantis", "europe/berlin", "Europe", "", "../etc/passwd", "/etc/localtime"])
def test_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(InvalidCalendar) as raised:
        BusinessCalendar(WeeklySchedule.parse({}), time_zone=zone)

    assert raised.value.loc == ("time_zone",)


def test_inverted_closure_is_refused() -> None:
    closures = ((date(2025, 12, 24), date(2026, 1, 1)), (date(2026, 8, 14), date(2026, 8, 3)))

    with pytest.raises(InvalidCalendar) as raised:
        BusinessCalendar(WeeklySchedule.parse({}), closures=closures)

    assert raised.value.loc == ("closures", 1)


def test_closure_of_datetimes_is_refused() -> None:
    closures = ((datetime(2025, 12, 24, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)),)

    with pytest.raises(InvalidCalendar) as raised:
        BusinessCalendar(WeeklySchedule.parse({}), closures=closures)

    assert raised.value.loc == ("closures", 0)


def test_naive_datetimes_are_refused(lower_saxony: BusinessCalendar) -> None:
    aware = NAIVE.replace(tzinfo=UTC)
    calls: list[tuple[Callable[[], object], tuple[str, ...]]] = [
        (lambda: lower_saxony.add_business_time(NAIVE, timedelta(hours=1)), ("start",)),
        (lambda: lower_saxony.due(NAIVE, BusinessHours(24)), ("start",)),
        (lambda: lower_saxony.due(NAIVE, NextWorkingDayEnd()), ("start",)),
        (lambda: lower_saxony.end_of_next_working_day(NAIVE), ("start",)),
        (lambda: lower_saxony.next_opening(NAIVE), ("instant",)),
        (lambda: lower_saxony.business_time_between(NAIVE, aware), ("start",)),
        (lambda: lower_saxony.business_time_between(aware, NAIVE), ("end",)),
    ]
    for call, loc in calls:
        with pytest.raises(NaiveDatetime, match="timezone-aware") as raised:
            call()
        assert raised.value.loc == loc


def test_naive_pause_is_named_in_the_message(lower_saxony: BusinessCalendar) -> None:
    aware = NAIVE.replace(tzinfo=UTC)

    with pytest.raises(NaiveDatetime, match=r"^pauses\[0\]\[1\] must be a timezone-aware datetime"):
        lower_saxony.business_time_between(aware, aware, [(aware, NAIVE)])


def test_unknown_rule_is_refused(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(InvalidArgument) as raised:
        lower_saxony.due(NAIVE.replace(tzinfo=UTC), "24h")  # type: ignore[arg-type]

    assert raised.value.loc == ("rule",)


def test_negative_duration_is_refused(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(InvalidArgument) as raised:
        lower_saxony.add_business_time(NAIVE.replace(tzinfo=UTC), timedelta(seconds=-1))

    assert raised.value.loc == ("duration",)


def test_datetime_for_a_local_date_is_refused(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(InvalidArgument) as raised:
        lower_saxony.is_working_day(NAIVE.replace(tzinfo=UTC))

    assert raised.value.loc == ("day",)


@pytest.mark.parametrize("hours", [0, -1, float("nan"), float("inf"), 10_001, True])
def test_business_hours_must_be_positive_and_finite(hours: float) -> None:
    with pytest.raises(InvalidArgument) as raised:
        BusinessHours(hours)

    assert raised.value.loc == ("hours",)


def test_empty_schedule_has_no_deadline() -> None:
    closed = BusinessCalendar(WeeklySchedule.parse({}))
    start = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)

    for rule in (BusinessHours(24), NextWorkingDayEnd()):
        with pytest.raises(NoWorkingDay, match="no windows") as raised:
            closed.due(start, rule)
        assert raised.value.loc == ("schedule",)
    with pytest.raises(NoWorkingDay):
        closed.next_opening(start)


def test_years_of_closure_end_the_search(lower_saxony: BusinessCalendar) -> None:
    closed = BusinessCalendar(lower_saxony.schedule, state="NI", closures=((date(2026, 1, 1), date(2030, 12, 31)),))
    start = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)

    for rule in (BusinessHours(24), NextWorkingDayEnd()):
        with pytest.raises(NoWorkingDay, match="within 1098 days"):
            closed.due(start, rule)


def test_two_years_of_closure_are_waited_out(lower_saxony: BusinessCalendar) -> None:
    closed = BusinessCalendar(lower_saxony.schedule, state="NI", closures=((date(2026, 1, 1), date(2027, 12, 31)),))

    # 1 January 2028 is a Saturday; Monday 3 January opens at 08:00 CET.
    assert closed.add_business_time(datetime(2026, 2, 2, 10, 0, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2028, 1, 3, 8, 0, tzinfo=UTC
    )


def test_errors_are_value_errors_that_survive_pickling() -> None:
    error = InvalidCalendar("monday window 1: overlaps", ("schedule", "monday", 1))
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes

    assert isinstance(copy, BusinessTimeError)
    assert isinstance(copy, ValueError)
    assert (type(copy), copy.message, copy.loc) == (InvalidCalendar, error.message, error.loc)
    assert str(copy) == "monday window 1: overlaps"
