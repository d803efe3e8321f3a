"""Properties of business time over random starts and durations (fixed seeds, so failures repeat)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from businesstime import WEEKDAYS, BusinessCalendar, WeeklySchedule

BERLIN = ZoneInfo("Europe/Berlin")
CHANGE_DAYS = [(2025, 3, 30), (2025, 10, 26), (2026, 3, 29), (2026, 10, 25), (2027, 3, 28), (2027, 10, 31)]
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
CLOCK_CHANGES = [datetime(year, month, day, 1, 0, tzinfo=UTC) for year, month, day in CHANGE_DAYS]


def random_instant(rng: random.Random) -> datetime:
    # A quarter of the starts fall within three days before a clock change, where mistakes would hide.
    if rng.random() < 0.25:
        return rng.choice(CLOCK_CHANGES) - timedelta(microseconds=rng.randrange(3 * 86_400_000_000))
    return FIRST + timedelta(microseconds=rng.randrange(SPAN // timedelta(microseconds=1)))


def random_duration(rng: random.Random) -> timedelta:
    # Mostly up to 80 h with microseconds; now and then a whole number of hours, which often ends on a window's end.
    if rng.random() < 0.3:
        return timedelta(hours=rng.randrange(0, 80))
    return timedelta(microseconds=rng.randrange(80 * 3_600_000_000))


@pytest.fixture(params=["office", "round-the-clock shifts"])
def calendar(request: pytest.FixtureRequest, lower_saxony: BusinessCalendar) -> BusinessCalendar:
    if request.param == "office":
        return lower_saxony
    # Windows that meet at midnight and cover both hours in which the clocks change.
    windows = [("00:00", "02:30"), ("06:00", "12:00"), ("20:00", "24:00")]
    shifts = WeeklySchedule.parse(dict.fromkeys(WEEKDAYS, windows))
    return BusinessCalendar(shifts, state="BY", closures=lower_saxony.closures)


def test_business_time_up_to_the_deadline_is_the_duration(calendar: BusinessCalendar) -> None:
    rng = random.Random(20260329)
    for _ in range(2000):
        start, duration = random_instant(rng), random_duration(rng)
        deadline = calendar.add_business_time(start, duration)
        assert deadline >= start
        assert calendar.business_time_between(start, deadline) == duration, (start, duration)


def test_deadline_grows_with_the_duration(calendar: BusinessCalendar) -> None:
    rng = random.Random(20261025)
    for _ in range(500):
        start = random_instant(rng)
        durations = sorted(random_duration(rng) for _ in range(8))
        deadlines = [calendar.add_business_time(start, duration) for duration in durations]
        assert deadlines == sorted(deadlines), start


def test_adding_in_two_steps_is_adding_once(calendar: BusinessCalendar) -> None:
    rng = random.Random(115)
    for _ in range(1000):
        start, first, second = random_instant(rng), random_duration(rng), random_duration(rng)
        if second:
            halfway = calendar.add_business_time(start, first)
            assert calendar.add_business_time(halfway, second) == calendar.add_business_time(start, first + second)


def test_deadline_lies_in_a_window_or_at_its_end(calendar: BusinessCalendar) -> None:
    rng = random.Random(24)
    for _ in range(1000):
        deadline = calendar.add_business_time(random_instant(rng), random_duration(rng))
        local_date = deadline.astimezone(BERLIN).date()
        windows = [w for d in (-1, 0) for w in calendar.business_windows(local_date + timedelta(days=d))]
        assert any(opening <= deadline <= closing for opening, closing in windows), deadline


def test_office_hours_agree_with_counting_minutes(lower_saxony: BusinessCalendar) -> None:
    rng = random.Random(31)
    closed = [(first, last) for first, last in lower_saxony.closures]
    holiday_dates = holidays.country_holidays("DE", subdiv="NI", years=range(2025, 2029))

    def open_at(instant: datetime) -> bool:
        local = instant.astimezone(BERLIN)
        day: date = local.date()
        minute = local.hour * 60 + local.minute
        if local.weekday() >= 5 or day in holiday_dates or any(first <= day <= last for first, last in closed):
            return False
        return 8 * 60 <= minute < 12 * 60 or 13 * 60 <= minute < 18 * 60

    for _ in range(40):
        start = random_instant(rng).replace(second=0, microsecond=0)
        end = start + timedelta(minutes=rng.randrange(6 * 24 * 60))
        minutes = (end - start) // timedelta(minutes=1)
        counted = sum(open_at(start + timedelta(minutes=n)) for n in range(minutes))
        assert lower_saxony.business_time_between(start, end) == timedelta(minutes=counted), (start, end)
