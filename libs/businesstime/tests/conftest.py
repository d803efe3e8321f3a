from __future__ import annotations

from datetime import date

import pytest

from businesstime import WEEKDAYS, BusinessCalendar, WeeklySchedule

# Christmas to New Year, as Oldenburg and many other partners close.
CHRISTMAS_CLOSURES = (
    (date(2024, 12, 24), date(2025, 1, 1)),
    (date(2025, 12, 24), date(2026, 1, 1)),
    (date(2026, 12, 24), date(2027, 1, 1)),
)


@pytest.fixture
def office_hours() -> WeeklySchedule:
    """Monday to Friday 08:00–12:00 and 13:00–18:00: nine hours a day with a lunch break."""
    return WeeklySchedule.parse({weekday: [("08:00", "12:00"), ("13:00", "18:00")] for weekday in WEEKDAYS[:5]})


@pytest.fixture
def lower_saxony(office_hours: WeeklySchedule) -> BusinessCalendar:
    return BusinessCalendar(office_hours, state="NI", closures=CHRISTMAS_CLOSURES)


@pytest.fixture
def bavaria(office_hours: WeeklySchedule) -> BusinessCalendar:
    return BusinessCalendar(office_hours, state="BY", closures=CHRISTMAS_CLOSURES)
