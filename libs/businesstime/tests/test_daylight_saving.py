"""Business time across the clock changes of 2026 in Berlin, worked out by hand.

29 March: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:00–03:00 does not exist.
25 October: 03:00 CEST falls back to 02:00 CET (01:00 UTC); 02:00–03:00 happens twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from businesstime import WEEKDAYS, BusinessCalendar, BusinessHours, NextWorkingDayEnd, WeeklySchedule

BERLIN = ZoneInfo("Europe/Berlin")


def sunday_calendar(start: str, end: str) -> BusinessCalendar:
    return BusinessCalendar(WeeklySchedule.parse({"sunday": [(start, end)]}))


def test_night_window_lasts_two_hours_when_clocks_go_forward() -> None:
    night = sunday_calendar("01:00", "04:00")

    assert night.business_windows(date(2026, 3, 22)) == (
        (datetime(2026, 3, 22, 0, 0, tzinfo=UTC), datetime(2026, 3, 22, 3, 0, tzinfo=UTC)),
    )
    assert night.business_windows(date(2026, 3, 29)) == (
        (datetime(2026, 3, 29, 0, 0, tzinfo=UTC), datetime(2026, 3, 29, 2, 0, tzinfo=UTC)),
    )
    saturday, monday = datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert night.business_time_between(saturday, monday) == timedelta(hours=2)


def test_night_window_lasts_four_hours_when_clocks_go_back() -> None:
    night = sunday_calendar("01:00", "04:00")

    assert night.business_windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 24, 23, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 0, tzinfo=UTC)),
    )
    saturday, monday = datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert night.business_time_between(saturday, monday) == timedelta(hours=4)


def test_concern_forwarded_before_spring_night_carries_over_to_next_sunday() -> None:
    night = sunday_calendar("01:00", "04:00")
    start = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)

    # 2 h on 29 March, the last hour from 01:00 CEST on 5 April (23:00 UTC on 4 April).
    assert night.add_business_time(start, timedelta(hours=3)) == datetime(2026, 4, 5, 0, 0, tzinfo=UTC)


def test_concern_forwarded_before_autumn_night_uses_all_four_hours() -> None:
    night = sunday_calendar("01:00", "04:00")
    saturday = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)

    assert night.due(saturday, BusinessHours(4)) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    assert night.due(saturday, BusinessHours(3.5)) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)
    assert night.due(saturday, NextWorkingDayEnd()) == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    assert night.due(datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == datetime(
        2026, 3, 29, 2, 0, tzinfo=UTC
    )


def test_window_start_in_skipped_hour_moves_to_the_change() -> None:
    late = sunday_calendar("02:30", "05:00")

    assert late.business_windows(date(2026, 3, 29)) == (
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC)),
    )
    assert late.next_opening(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_window_end_in_skipped_hour_moves_to_the_change() -> None:
    early = sunday_calendar("00:00", "02:30")

    assert early.business_windows(date(2026, 3, 29)) == (
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
    )


def test_window_inside_skipped_hour_makes_no_working_day() -> None:
    skipped = sunday_calendar("02:00", "02:45")

    assert not skipped.is_working_day(date(2026, 3, 29))
    assert skipped.is_working_day(date(2026, 3, 22))
    # The next Sunday 02:45 CEST is 00:45 UTC.
    assert skipped.due(datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == datetime(
        2026, 4, 5, 0, 45, tzinfo=UTC
    )


def test_window_boundaries_in_repeated_hour_take_the_first_occurrence() -> None:
    late = sunday_calendar("02:30", "05:00")
    inside = sunday_calendar("02:10", "02:50")
    across = sunday_calendar("02:00", "03:00")

    assert late.business_windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 4, 0, tzinfo=UTC)),
    )
    assert inside.business_windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 25, 0, 10, tzinfo=UTC), datetime(2026, 10, 25, 0, 50, tzinfo=UTC)),
    )
    assert across.business_windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
    )


def test_round_the_clock_calendar_counts_real_time_across_changes() -> None:
    always = BusinessCalendar(WeeklySchedule.parse({weekday: [("00:00", "24:00")] for weekday in WEEKDAYS}))

    assert always.business_windows(date(2026, 3, 29)) == (
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
    )
    assert always.business_windows(date(2026, 10, 25)) == (
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
    )
    spring, autumn = datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    assert always.due(spring, BusinessHours(48)) == datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    assert always.due(autumn, BusinessHours(48)) == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert always.business_time_between(spring, spring + timedelta(hours=48)) == timedelta(hours=48)


def test_office_hours_are_exact_across_spring_change(lower_saxony: BusinessCalendar) -> None:
    friday = datetime(2026, 3, 27, 9, 0, tzinfo=BERLIN)  # 08:00 UTC
    monday = datetime(2026, 3, 30, 9, 0, tzinfo=BERLIN)  # 07:00 UTC

    assert lower_saxony.business_time_between(friday, monday) == timedelta(hours=9)
    assert lower_saxony.add_business_time(datetime(2026, 3, 27, 17, 0, tzinfo=BERLIN), timedelta(hours=2)) == datetime(
        2026, 3, 30, 7, 0, tzinfo=UTC
    )
    # Thu 26 March 10:00 CET: 7 h Thursday, 9 h Friday, 8 h Monday in CEST.
    assert lower_saxony.due(datetime(2026, 3, 26, 10, 0, tzinfo=BERLIN), BusinessHours(24)) == datetime(
        2026, 3, 30, 15, 0, tzinfo=UTC
    )


def test_office_hours_are_exact_across_autumn_change(lower_saxony: BusinessCalendar) -> None:
    friday = datetime(2026, 10, 23, 9, 0, tzinfo=BERLIN)  # 07:00 UTC
    monday = datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)  # 08:00 UTC

    assert lower_saxony.business_time_between(friday, monday) == timedelta(hours=9)
    assert lower_saxony.add_business_time(datetime(2026, 10, 23, 17, 0, tzinfo=BERLIN), timedelta(hours=2)) == datetime(
        2026, 10, 26, 8, 0, tzinfo=UTC
    )
