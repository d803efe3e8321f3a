"""Deadlines on a Monday-to-Friday calendar with a lunch break, worked out by hand.

Berlin is UTC+1 in winter (CET) and UTC+2 from 29 March to 25 October 2026 (CEST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from businesstime import BusinessCalendar, BusinessHours, NextWorkingDayEnd, WeeklySchedule

BERLIN = ZoneInfo("Europe/Berlin")
HOURS_24 = BusinessHours(24)


def test_forwarded_concern_due_24_business_hours_after_easter(lower_saxony: BusinessCalendar) -> None:
    # Thu 2 Apr 10:00 CEST: 7 h on Thursday; Good Friday to Easter Monday closed; 9 h Tuesday; 8 h Wednesday.
    start = datetime(2026, 4, 2, 10, 0, tzinfo=BERLIN)

    assert lower_saxony.due(start, HOURS_24) == datetime(2026, 4, 8, 15, 0, tzinfo=UTC)


def test_forwarded_concern_due_next_working_day_after_easter(lower_saxony: BusinessCalendar) -> None:
    expected = datetime(2026, 4, 7, 16, 0, tzinfo=UTC)  # Tuesday 18:00 CEST

    assert lower_saxony.due(datetime(2026, 4, 2, 10, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == expected
    assert lower_saxony.due(datetime(2026, 4, 2, 19, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == expected
    assert lower_saxony.due(datetime(2026, 4, 3, 11, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == expected


def test_forwarded_concern_due_later_in_lower_saxony_for_reformation_day(
    lower_saxony: BusinessCalendar, bavaria: BusinessCalendar
) -> None:
    # Thu 30 Oct 2025 15:00 CET: 3 h on Thursday; Friday 31 Oct is a holiday in NI only.
    start = datetime(2025, 10, 30, 15, 0, tzinfo=BERLIN)

    assert not lower_saxony.is_working_day(date(2025, 10, 31))
    assert bavaria.is_working_day(date(2025, 10, 31))
    assert lower_saxony.due(start, HOURS_24) == datetime(2025, 11, 5, 10, 0, tzinfo=UTC)
    assert bavaria.due(start, HOURS_24) == datetime(2025, 11, 4, 10, 0, tzinfo=UTC)
    assert lower_saxony.due(start, NextWorkingDayEnd()) == datetime(2025, 11, 3, 17, 0, tzinfo=UTC)
    assert bavaria.due(start, NextWorkingDayEnd()) == datetime(2025, 10, 31, 17, 0, tzinfo=UTC)


def test_forwarded_concern_due_later_in_bavaria_for_epiphany(
    lower_saxony: BusinessCalendar, bavaria: BusinessCalendar
) -> None:
    # Mon 5 Jan 2026 14:00 CET: 4 h on Monday; Tuesday 6 Jan is a holiday in BY only.
    start = datetime(2026, 1, 5, 14, 0, tzinfo=BERLIN)

    assert lower_saxony.is_working_day(date(2026, 1, 6))
    assert not bavaria.is_working_day(date(2026, 1, 6))
    assert lower_saxony.due(start, HOURS_24) == datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    assert bavaria.due(start, HOURS_24) == datetime(2026, 1, 9, 9, 0, tzinfo=UTC)
    assert lower_saxony.due(start, NextWorkingDayEnd()) == datetime(2026, 1, 6, 17, 0, tzinfo=UTC)
    assert bavaria.due(start, NextWorkingDayEnd()) == datetime(2026, 1, 7, 17, 0, tzinfo=UTC)


def test_forwarded_concern_due_after_christmas_closure(
    lower_saxony: BusinessCalendar, bavaria: BusinessCalendar
) -> None:
    # Tue 23 Dec 2025 16:00 CET: 2 h; closed 24 Dec – 1 Jan; 9 h on Fri 2 Jan and Mon 5 Jan; the last 4 h
    # fill Tuesday's morning window exactly in NI, Wednesday's in BY (Epiphany).
    start = datetime(2025, 12, 23, 16, 0, tzinfo=BERLIN)

    assert lower_saxony.due(start, HOURS_24) == datetime(2026, 1, 6, 11, 0, tzinfo=UTC)
    assert bavaria.due(start, HOURS_24) == datetime(2026, 1, 7, 11, 0, tzinfo=UTC)
    assert lower_saxony.due(start, NextWorkingDayEnd()) == datetime(2026, 1, 2, 17, 0, tzinfo=UTC)


def test_closure_days_are_inclusive(office_hours: WeeklySchedule) -> None:
    calendar = BusinessCalendar(office_hours, state="NI", closures=((date(2026, 3, 2), date(2026, 3, 6)),))

    assert not calendar.is_working_day(date(2026, 3, 2))
    assert not calendar.is_working_day(date(2026, 3, 6))
    assert calendar.is_working_day(date(2026, 2, 27))
    assert calendar.is_working_day(date(2026, 3, 9))


def test_concern_forwarded_during_closure_starts_counting_after_it(lower_saxony: BusinessCalendar) -> None:
    start = datetime(2025, 12, 28, 10, 0, tzinfo=BERLIN)

    assert lower_saxony.next_opening(start) == datetime(2026, 1, 2, 7, 0, tzinfo=UTC)
    assert lower_saxony.add_business_time(start, timedelta(hours=1)) == datetime(2026, 1, 2, 8, 0, tzinfo=UTC)


def test_concern_forwarded_in_lunch_break_counts_from_afternoon_window(lower_saxony: BusinessCalendar) -> None:
    start = datetime(2026, 3, 9, 12, 30, tzinfo=BERLIN)

    assert lower_saxony.add_business_time(start, timedelta(hours=2)) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)


def test_business_time_spans_the_lunch_break(lower_saxony: BusinessCalendar) -> None:
    start = datetime(2026, 3, 9, 11, 0, tzinfo=BERLIN)
    end = datetime(2026, 3, 9, 15, 0, tzinfo=BERLIN)

    assert lower_saxony.add_business_time(start, timedelta(hours=3)) == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert lower_saxony.business_time_between(start, end) == timedelta(hours=3)
    assert lower_saxony.due(start, BusinessHours(1.5)) == datetime(2026, 3, 9, 12, 30, tzinfo=UTC)


def test_deadline_landing_on_window_end_is_that_end(lower_saxony: BusinessCalendar) -> None:
    morning = datetime(2026, 3, 9, 10, 0, tzinfo=BERLIN)
    afternoon = datetime(2026, 3, 9, 17, 0, tzinfo=BERLIN)

    assert lower_saxony.add_business_time(morning, timedelta(hours=2)) == datetime(2026, 3, 9, 11, 0, tzinfo=UTC)
    assert lower_saxony.add_business_time(afternoon, timedelta(hours=1)) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    one_more = timedelta(hours=1, microseconds=1)
    assert lower_saxony.add_business_time(afternoon, one_more) == datetime(2026, 3, 10, 7, 0, 0, 1, tzinfo=UTC)


def test_zero_duration_is_the_first_business_instant(lower_saxony: BusinessCalendar) -> None:
    inside = datetime(2026, 3, 9, 10, 15, tzinfo=BERLIN)
    at_lunch = datetime(2026, 3, 9, 12, 0, tzinfo=BERLIN)

    assert lower_saxony.add_business_time(inside, timedelta(0)) == datetime(2026, 3, 9, 9, 15, tzinfo=UTC)
    assert lower_saxony.add_business_time(at_lunch, timedelta(0)) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert lower_saxony.next_opening(at_lunch) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_concern_forwarded_on_weekend_or_after_hours_counts_from_monday(lower_saxony: BusinessCalendar) -> None:
    hour = timedelta(hours=1)
    monday_nine = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)

    assert lower_saxony.add_business_time(datetime(2026, 3, 7, 10, 0, tzinfo=BERLIN), hour) == monday_nine
    assert lower_saxony.add_business_time(datetime(2026, 3, 6, 19, 0, tzinfo=BERLIN), hour) == monday_nine
    assert lower_saxony.add_business_time(datetime(2026, 3, 9, 6, 0, tzinfo=BERLIN), hour) == monday_nine
    assert lower_saxony.due(datetime(2026, 3, 7, 10, 0, tzinfo=BERLIN), NextWorkingDayEnd()) == datetime(
        2026, 3, 9, 17, 0, tzinfo=UTC
    )


def test_concern_forwarded_on_holiday_counts_from_next_working_day(lower_saxony: BusinessCalendar) -> None:
    good_friday = datetime(2026, 4, 3, 9, 0, tzinfo=BERLIN)

    assert lower_saxony.add_business_time(good_friday, timedelta(hours=1)) == datetime(2026, 4, 7, 7, 0, tzinfo=UTC)


def test_next_working_day_counts_from_the_local_date(lower_saxony: BusinessCalendar) -> None:
    # 23:30 UTC on Thursday is already Friday 00:30 in Berlin, so the next working day is Monday.
    start = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)

    assert lower_saxony.due(start, NextWorkingDayEnd()) == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)


def test_results_are_utc_whatever_the_start_zone(lower_saxony: BusinessCalendar) -> None:
    in_berlin = datetime(2026, 3, 9, 12, 30, tzinfo=BERLIN)
    in_new_york = in_berlin.astimezone(ZoneInfo("America/New_York"))

    for rule in (HOURS_24, NextWorkingDayEnd()):
        result = lower_saxony.due(in_new_york, rule)
        assert result == lower_saxony.due(in_berlin, rule)
        assert result.tzinfo is UTC


def test_national_holidays_only_without_a_state(office_hours: WeeklySchedule) -> None:
    calendar = BusinessCalendar(office_hours)

    assert calendar.time_zone == "Europe/Berlin"
    assert calendar.is_working_day(date(2025, 10, 31))
    assert calendar.is_working_day(date(2026, 1, 6))
    assert not calendar.is_working_day(date(2025, 10, 3))


def test_business_windows_of_a_day_are_utc_intervals(lower_saxony: BusinessCalendar) -> None:
    assert lower_saxony.business_windows(date(2026, 7, 1)) == (
        (datetime(2026, 7, 1, 6, 0, tzinfo=UTC), datetime(2026, 7, 1, 10, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 11, 0, tzinfo=UTC), datetime(2026, 7, 1, 16, 0, tzinfo=UTC)),
    )
    assert lower_saxony.business_windows(date(2026, 7, 4)) == ()


def test_calendar_in_another_time_zone(office_hours: WeeklySchedule) -> None:
    london = BusinessCalendar(office_hours, time_zone="Europe/London")

    assert london.business_windows(date(2026, 1, 7))[0] == (
        datetime(2026, 1, 7, 8, 0, tzinfo=UTC),
        datetime(2026, 1, 7, 12, 0, tzinfo=UTC),
    )
