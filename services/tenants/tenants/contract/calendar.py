"""A contract's terms as a business calendar, and the deadline rule they name (the shared arithmetic)."""

from __future__ import annotations

from businesstime import BusinessCalendar, BusinessHours, DeadlineRule, NextWorkingDayEnd, WeeklySchedule
from tenants.contract.terms import BusinessHoursDeadline, ContractTerms, NextWorkingDayDeadline


def calendar_of(terms: ContractTerms, *, time_zone: str, state: str | None) -> BusinessCalendar:
    """The municipality's business calendar under ``terms``: reachability hours, holidays, closure days."""
    schedule = WeeklySchedule.parse(
        {day: [(w.start, w.end) for w in windows] for day, windows in terms.reachability.days().items()}
    )
    closures = tuple((period.first, period.last) for period in terms.closure_days)
    return BusinessCalendar(schedule, time_zone=time_zone, state=state, closures=closures)


def rule_of(deadline: BusinessHoursDeadline | NextWorkingDayDeadline) -> DeadlineRule:
    if isinstance(deadline, BusinessHoursDeadline):
        return BusinessHours(deadline.hours)
    return NextWorkingDayEnd()
