"""Deadlines, warnings and the stopped clock, on a Niedersachsen calendar with office hours Mon–Fri 8–18."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from businesstime import BusinessCalendar, BusinessHours, NextWorkingDayEnd, WeeklySchedule
from tickets.ticket import deadline

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
CALENDAR = BusinessCalendar(
    WeeklySchedule.parse({day: [("08:00", "18:00")] for day in WEEKDAYS}),
    state="NI",
    closures=((datetime(2026, 12, 24).date(), datetime(2027, 1, 1).date()),),
)
TWO_HOURS = timedelta(hours=2)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_forwarded_friday_afternoon_is_due_after_24_service_hours_on_wednesday() -> None:
    plan = deadline.schedule(CALENDAR, BusinessHours(24), local(2026, 11, 20, 17, 0), lead=TWO_HOURS)

    # Fri 1 h, Mon 10 h, Tue 10 h, Wed 3 h.
    assert plan.due_at == local(2026, 11, 25, 11, 0).astimezone(UTC)
    assert plan.warn_at == local(2026, 11, 25, 9, 0).astimezone(UTC)


def test_forwarded_concern_due_next_working_day_after_holiday() -> None:
    # Wednesday 31 Dec 2025: the next day is New Year (a holiday), so it is due at the end of Friday 2 January.
    plan = deadline.schedule(
        BusinessCalendar(WeeklySchedule.parse({day: [("08:00", "18:00")] for day in WEEKDAYS}), state="NI"),
        NextWorkingDayEnd(),
        local(2025, 12, 31, 10, 0),
        lead=TWO_HOURS,
    )

    assert plan.due_at == local(2026, 1, 2, 18, 0).astimezone(UTC)
    assert plan.warn_at == local(2026, 1, 2, 16, 0).astimezone(UTC)


def test_a_deadline_shorter_than_the_warning_lead_warns_at_once() -> None:
    start = local(2026, 11, 23, 9, 0)

    plan = deadline.schedule(CALENDAR, BusinessHours(1), start, lead=TWO_HOURS)

    assert plan.warn_at == start


def test_waiting_for_the_citizen_stops_the_clock_in_business_time() -> None:
    due_at = local(2026, 11, 25, 11, 0)
    paused_at = local(2026, 11, 24, 17, 0)  # 1 h Tue + 3 h Wed left

    left = deadline.remaining(CALENDAR, paused_at, due_at)
    plan = deadline.resumed(CALENDAR, local(2026, 11, 27, 10, 0), left, due_at=due_at, lead=TWO_HOURS)

    assert left == timedelta(hours=4)
    assert plan.due_at == local(2026, 11, 27, 14, 0).astimezone(UTC)
    assert plan.warn_at == local(2026, 11, 27, 12, 0).astimezone(UTC)


def test_waiting_over_the_closure_days_resumes_after_them() -> None:
    left = timedelta(hours=5)

    plan = deadline.resumed(
        CALENDAR, local(2026, 12, 24, 9, 0), left, due_at=local(2026, 12, 23, 12, 0), lead=TWO_HOURS
    )

    # Closed 24 Dec – 1 Jan; Saturday/Sunday 2–3 Jan; Monday 4 Jan 8:00 + 5 h.
    assert plan.due_at == local(2027, 1, 4, 13, 0).astimezone(UTC)


def test_a_concern_overdue_when_paused_stays_due_when_it_was() -> None:
    due_at = local(2026, 11, 23, 12, 0).astimezone(UTC)

    left = deadline.remaining(CALENDAR, local(2026, 11, 23, 15, 0), due_at)
    plan = deadline.resumed(CALENDAR, local(2026, 11, 24, 9, 0), left, due_at=due_at, lead=TWO_HOURS)

    assert left == timedelta(0)
    assert (plan.due_at, plan.warn_at) == (due_at, due_at)
