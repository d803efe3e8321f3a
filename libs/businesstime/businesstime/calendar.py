"""A municipality's business calendar and the arithmetic of business time on it.

Business time is real elapsed time inside reachability windows. Windows are local wall-clock times, mapped onto
instants per local date, so on the nights the clocks change a window 01:00–04:00 lasts 2 h (last Sunday of March)
or 4 h (last Sunday of October) of real time. A window boundary that does not exist locally (the skipped hour)
moves to the first instant after the gap; one that exists twice (the repeated hour) is its first occurrence
(fold=0). A day whose windows all lie in the skipped hour has no business time and is not a working day.

Windows are half-open: an instant at a window's end is outside it, but a count that is used up exactly there
ends there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from businesstime.errors import InvalidArgument, InvalidCalendar, NoWorkingDay
from businesstime.instants import MICROSECOND, from_us, instant_us, local_to_us, utc_ordinal
from businesstime.public_holidays import check_state, holiday_dates
from businesstime.rules import BusinessHours, DeadlineRule, NextWorkingDayEnd
from businesstime.schedule import WeeklySchedule

DEFAULT_TIME_ZONE = "Europe/Berlin"
SEARCH_DAYS = 3 * 366
_CACHED_DAYS = 20_000

Interval = tuple[int, int]


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A weekly schedule in a time zone, minus the public holidays of a state and the closure days.

    ``closures`` are inclusive date ranges, e.g. ``(date(2025, 12, 24), date(2026, 1, 1))``. Calendars are
    immutable, compare and hash by their inputs, and cache each local date's windows as they are used.
    """

    schedule: WeeklySchedule
    time_zone: str = DEFAULT_TIME_ZONE
    state: str | None = None
    closures: tuple[tuple[date, date], ...] = ()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _days: dict[int, tuple[Interval, ...]] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _load_zone(self.time_zone))
        check_state(self.state)
        closures = tuple(self.closures)
        for index, closure in enumerate(closures):
            _check_closure(index, closure)
        object.__setattr__(self, "closures", tuple(sorted(closures)))

    @property
    def zone(self) -> ZoneInfo:
        """Return the calendar's time zone."""
        return self._zone

    def is_working_day(self, day: date) -> bool:
        """Tell whether the local date ``day`` has business time: windows, no public holiday, no closure."""
        return bool(self._windows(_ordinal(day)))

    def business_windows(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Return the business windows of the local date ``day`` as UTC intervals (none if it is not a working day)."""
        return tuple((from_us(start), from_us(end)) for start, end in self._windows(_ordinal(day)))

    def next_opening(self, instant: datetime) -> datetime:
        """Return the first business instant at or after ``instant``, in UTC."""
        return from_us(self._add(instant_us(instant, ("instant",)), 0))

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """Return the instant, in UTC, at which ``duration`` of business time counted from ``start`` is used up."""
        start_us = instant_us(start, ("start",))
        if duration < timedelta(0):
            raise InvalidArgument(f"duration must not be negative, got {duration}", ("duration",))
        return from_us(self._add(start_us, duration // MICROSECOND))

    def end_of_next_working_day(self, start: datetime) -> datetime:
        """Return the end, in UTC, of the last window of the first working day after ``start``'s local date."""
        instant_us(start, ("start",))
        ordinal = start.astimezone(self._zone).toordinal() + 1
        for offset in range(SEARCH_DAYS):
            windows = self._windows(ordinal + offset)
            if windows:
                return from_us(windows[-1][1])
        raise self._no_working_day(ordinal)

    def business_time_between(
        self, start: datetime, end: datetime, pauses: Sequence[tuple[datetime, datetime]] = ()
    ) -> timedelta:
        """Return the business time from ``start`` to ``end`` that lies outside every pause.

        Pauses may overlap each other or reach beyond [start, end]; each business instant is subtracted once.
        An ``end`` before ``start`` is refused.
        """
        start_us, end_us = instant_us(start, ("start",)), instant_us(end, ("end",))
        if end_us < start_us:
            raise InvalidArgument(f"end {end.isoformat()} lies before start {start.isoformat()}", ("end",))
        paused: list[Interval] = []
        for index, (pause_from, pause_to) in enumerate(pauses):
            low, high = instant_us(pause_from, ("pauses", index, 0)), instant_us(pause_to, ("pauses", index, 1))
            if high < low:
                raise InvalidArgument(f"pause {index} ends before it begins", ("pauses", index))
            low, high = max(low, start_us), min(high, end_us)
            if high > low:
                paused.append((low, high))
        total = self._between(start_us, end_us)
        for low, high in _merged(paused):
            total -= self._between(low, high)
        return timedelta(microseconds=total)

    def due(self, start: datetime, rule: DeadlineRule) -> datetime:
        """Return the deadline, in UTC, of a concern forwarded at ``start`` under ``rule``."""
        if isinstance(rule, BusinessHours):
            return from_us(self._add(instant_us(start, ("start",)), rule.microseconds))
        if isinstance(rule, NextWorkingDayEnd):
            return self.end_of_next_working_day(start)
        raise InvalidArgument(f"unknown deadline rule {rule!r}", ("rule",))

    def _add(self, start: int, remaining: int) -> int:
        days = self._days
        instant = start
        # Windows of earlier local dates end before ``start``, and its local date is at least the UTC date's eve.
        ordinal = utc_ordinal(start) - 1
        closed_days = 0
        while closed_days < SEARCH_DAYS:
            windows = days.get(ordinal)
            if windows is None:
                windows = self._compute(ordinal)
            if windows:
                closed_days = 0
                for opening, closing in windows:
                    if closing <= instant:
                        continue
                    if opening > instant:
                        instant = opening
                    if remaining <= closing - instant:
                        return instant + remaining
                    remaining -= closing - instant
                    instant = closing
            else:
                closed_days += 1
            ordinal += 1
        raise self._no_working_day(ordinal - SEARCH_DAYS)

    def _between(self, start: int, end: int) -> int:
        total = 0
        for ordinal in range(utc_ordinal(start) - 1, utc_ordinal(end) + 2):
            for opening, closing in self._windows(ordinal):
                low, high = max(opening, start), min(closing, end)
                if high > low:
                    total += high - low
        return total

    def _windows(self, ordinal: int) -> tuple[Interval, ...]:
        windows = self._days.get(ordinal)
        return self._compute(ordinal) if windows is None else windows

    def _compute(self, ordinal: int) -> tuple[Interval, ...]:
        day = date.fromordinal(ordinal)
        local = self.schedule.days[day.weekday()]
        windows: tuple[Interval, ...] = ()
        if local and not self._closed(day):
            zone = self._zone
            intervals = ((local_to_us(day, w.start, zone), local_to_us(day, w.end, zone)) for w in local)
            windows = tuple((start, end) for start, end in intervals if end > start)
        if len(self._days) >= _CACHED_DAYS:
            self._days.clear()
        self._days[ordinal] = windows
        return windows

    def _closed(self, day: date) -> bool:
        if day in holiday_dates(self.state, day.year):
            return True
        return any(first <= day <= last for first, last in self.closures)

    def _no_working_day(self, ordinal: int) -> NoWorkingDay:
        since = date.fromordinal(ordinal).isoformat()
        if self.schedule.is_empty:
            return NoWorkingDay("the weekly schedule has no windows, so there is no business time", ("schedule",))
        return NoWorkingDay(
            f"no business time within {SEARCH_DAYS} days from {since}: every day is closed, a holiday or has no windows"
        )


def _load_zone(key: str) -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        message = f"unknown time zone {key!r}; expected an IANA name like Europe/Berlin"
        raise InvalidCalendar(message, ("time_zone",)) from None


def _ordinal(day: date) -> int:
    if isinstance(day, datetime):
        raise InvalidArgument(f"expected a local date, got the datetime {day!r}", ("day",))
    return day.toordinal()


def _check_closure(index: int, closure: tuple[object, object]) -> None:
    first, last = closure
    if not _is_date(first) or not _is_date(last):
        raise InvalidCalendar(f"closure {index} must be a pair of dates, got {closure!r}", ("closures", index))
    if last < first:
        raise InvalidCalendar(f"closure {index} ends ({last}) before it begins ({first})", ("closures", index))


def _is_date(value: object) -> TypeGuard[date]:
    return isinstance(value, date) and not isinstance(value, datetime)


def _merged(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged
