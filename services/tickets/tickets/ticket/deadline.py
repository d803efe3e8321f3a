"""When a forwarded concern is due, when to warn of it, and how waiting for the citizen stops the clock.

All arithmetic runs on the tenant's business calendar (its reachability hours, time zone, state holidays and
closure days) under the deadline rule of the contract in force; instants come back in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from businesstime import BusinessCalendar, DeadlineRule


@dataclass(frozen=True, slots=True)
class Schedule:
    """A ticket's deadline and the instant of its warning (never before ``start``)."""

    due_at: datetime
    warn_at: datetime


def _warning(calendar: BusinessCalendar, start: datetime, due_at: datetime, lead: timedelta) -> datetime:
    """``lead`` of business time before ``due_at``; at ``start`` if less than that is left."""
    left = calendar.business_time_between(start, due_at) if due_at > start else timedelta(0)
    if left <= lead:
        return start
    return calendar.add_business_time(start, left - lead)


def schedule(calendar: BusinessCalendar, rule: DeadlineRule, start: datetime, *, lead: timedelta) -> Schedule:
    """The deadline of a concern forwarded (or reopened) at ``start``, and its warning."""
    due_at = calendar.due(start, rule)
    return Schedule(due_at=due_at, warn_at=_warning(calendar, start, due_at, lead))


def remaining(calendar: BusinessCalendar, paused_at: datetime, due_at: datetime) -> timedelta:
    """The business time left when the clock stops at ``paused_at`` (nothing, if already overdue)."""
    if due_at <= paused_at:
        return timedelta(0)
    return calendar.business_time_between(paused_at, due_at)


def resumed(
    calendar: BusinessCalendar, resumed_at: datetime, left: timedelta, *, due_at: datetime, lead: timedelta
) -> Schedule:
    """The schedule once the clock runs again at ``resumed_at`` with ``left`` business time.

    A concern that was overdue when it was paused stays due when it was.
    """
    if left <= timedelta(0):
        return Schedule(due_at=due_at, warn_at=min(due_at, resumed_at))
    new_due = calendar.add_business_time(resumed_at, left)
    return Schedule(due_at=new_due, warn_at=_warning(calendar, resumed_at, new_due, lead))
