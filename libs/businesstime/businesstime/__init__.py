"""Business-time arithmetic on a municipality's calendar: reachability hours, time zone, holidays, closures.

    schedule = WeeklySchedule.parse({"monday": [("08:00", "12:00"), ("13:00", "18:00")], ...})
    calendar = BusinessCalendar(schedule, state="NI", closures=((date(2025, 12, 24), date(2026, 1, 1)),))
    deadline = calendar.due(forwarded_at, BusinessHours(24))  # or NextWorkingDayEnd()

Operations take timezone-aware datetimes and return UTC ones; ``businesstime.calendar`` says how clock changes
count. Every error is a ``BusinessTimeError`` (a ``ValueError``) whose ``loc`` names the input it is about.
"""

from businesstime.calendar import DEFAULT_TIME_ZONE, SEARCH_DAYS, BusinessCalendar
from businesstime.errors import BusinessTimeError, InvalidArgument, InvalidCalendar, NaiveDatetime, NoWorkingDay
from businesstime.public_holidays import STATES, load_holidays
from businesstime.rules import MAX_BUSINESS_HOURS, BusinessHours, DeadlineRule, NextWorkingDayEnd
from businesstime.schedule import WEEKDAYS, WeeklySchedule, Window

__all__ = [
    "DEFAULT_TIME_ZONE",
    "MAX_BUSINESS_HOURS",
    "SEARCH_DAYS",
    "STATES",
    "WEEKDAYS",
    "BusinessCalendar",
    "BusinessHours",
    "BusinessTimeError",
    "DeadlineRule",
    "InvalidArgument",
    "InvalidCalendar",
    "NaiveDatetime",
    "NextWorkingDayEnd",
    "NoWorkingDay",
    "WeeklySchedule",
    "Window",
    "load_holidays",
]
