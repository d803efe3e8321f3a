"""Business time between two instants, less pauses, on the Monday-to-Friday calendar with a lunch break."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from businesstime import BusinessCalendar, InvalidArgument, NaiveDatetime, WeeklySchedule

BERLIN = ZoneInfo("Europe/Berlin")
# Monday 9 March 2026 08:00 to Wednesday 11 March 18:00 (CET): three full days of 9 h.
START = datetime(2026, 3, 9, 8, 0, tzinfo=BERLIN)
END = datetime(2026, 3, 11, 18, 0, tzinfo=BERLIN)


def berlin(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=BERLIN)


def test_business_time_of_full_days(lower_saxony: BusinessCalendar) -> None:
    assert lower_saxony.business_time_between(START, END) == timedelta(hours=27)
    assert lower_saxony.business_time_between(START, START) == timedelta(0)


def test_pause_subtracts_only_its_business_time(lower_saxony: BusinessCalendar) -> None:
    # 10:00–14:00 holds 2 h of the morning window and 1 h of the afternoon one.
    assert lower_saxony.business_time_between(START, END, [(berlin(9, 10), berlin(9, 14))]) == timedelta(hours=24)


def test_overlapping_pauses_are_subtracted_once(lower_saxony: BusinessCalendar) -> None:
    pauses = [(berlin(9, 10), berlin(9, 14)), (berlin(9, 11), berlin(9, 16)), (berlin(9, 11), berlin(9, 16))]

    # Together 10:00–16:00: 2 h + 3 h.
    assert lower_saxony.business_time_between(START, END, pauses) == timedelta(hours=22)


def test_touching_pauses_are_subtracted_once(lower_saxony: BusinessCalendar) -> None:
    pauses = [(berlin(9, 10), berlin(9, 11)), (berlin(9, 11), berlin(9, 12)), (berlin(9, 10), berlin(9, 12))]

    assert lower_saxony.business_time_between(START, END, pauses) == timedelta(hours=25)


def test_pauses_partly_outside_the_span_count_only_inside(lower_saxony: BusinessCalendar) -> None:
    before = (datetime(2026, 3, 8, 12, 0, tzinfo=BERLIN), berlin(9, 9))
    after = (berlin(11, 17), datetime(2026, 3, 12, 12, 0, tzinfo=BERLIN))
    outside = (datetime(2026, 3, 13, 8, 0, tzinfo=BERLIN), datetime(2026, 3, 13, 12, 0, tzinfo=BERLIN))

    assert lower_saxony.business_time_between(START, END, [before]) == timedelta(hours=26)
    assert lower_saxony.business_time_between(START, END, [after]) == timedelta(hours=26)
    assert lower_saxony.business_time_between(START, END, [outside]) == timedelta(hours=27)


def test_pauses_in_closed_time_subtract_nothing(lower_saxony: BusinessCalendar) -> None:
    night = (berlin(9, 19), datetime(2026, 3, 10, 7, 0, tzinfo=BERLIN))
    lunch = (berlin(10, 12), berlin(10, 13))

    assert lower_saxony.business_time_between(START, END, [night, lunch]) == timedelta(hours=27)


def test_all_kinds_of_pauses_together(lower_saxony: BusinessCalendar) -> None:
    pauses = [
        (berlin(9, 10), berlin(9, 14)),
        (datetime(2026, 3, 8, 12, 0, tzinfo=BERLIN), berlin(9, 9)),
        (berlin(9, 11), berlin(9, 16)),
        (berlin(9, 19), datetime(2026, 3, 10, 7, 0, tzinfo=BERLIN)),
        (berlin(11, 17), datetime(2026, 3, 12, 12, 0, tzinfo=BERLIN)),
        (berlin(9, 11), berlin(9, 16)),
    ]

    # 27 h less 5 h (10:00–16:00), 1 h (08:00–09:00) and 1 h (Wednesday 17:00–18:00).
    assert lower_saxony.business_time_between(START, END, pauses) == timedelta(hours=20)


def test_pause_over_the_whole_span_leaves_nothing(lower_saxony: BusinessCalendar) -> None:
    everything = (datetime(2026, 3, 1, 0, 0, tzinfo=BERLIN), datetime(2026, 3, 31, 0, 0, tzinfo=BERLIN))

    assert lower_saxony.business_time_between(START, END, [everything]) == timedelta(0)


def test_business_time_across_holidays_and_closures(lower_saxony: BusinessCalendar) -> None:
    start = datetime(2025, 12, 23, 16, 0, tzinfo=BERLIN)
    end = datetime(2026, 1, 6, 12, 0, tzinfo=BERLIN)

    assert lower_saxony.business_time_between(start, end) == timedelta(hours=24)


def test_empty_schedule_has_no_business_time_between() -> None:
    closed = BusinessCalendar(WeeklySchedule.parse({}))

    assert closed.business_time_between(START, END) == timedelta(0)


def test_end_before_start_is_refused(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(InvalidArgument) as raised:
        lower_saxony.business_time_between(END, START)

    assert raised.value.loc == ("end",)


def test_inverted_or_naive_pause_is_refused(lower_saxony: BusinessCalendar) -> None:
    with pytest.raises(InvalidArgument) as inverted:
        lower_saxony.business_time_between(START, END, [(berlin(9, 14), berlin(9, 10))])
    with pytest.raises(NaiveDatetime) as naive:
        lower_saxony.business_time_between(START, END, [(berlin(9, 9), berlin(9, 10)), (datetime(2026, 3, 9), END)])

    assert inverted.value.loc == ("pauses", 0)
    assert naive.value.loc == ("pauses", 1, 0)
