"""The weekly schedule: reachability windows per weekday in local wall-clock time."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from businesstime.errors import InvalidCalendar

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MINUTES_PER_DAY = 24 * 60

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class Window:
    """A half-open window [start, end) in minutes after local midnight; ``end`` may be 1440 (24:00)."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{format_clock(self.start)}–{format_clock(self.end)}"


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """Windows for Monday (index 0) to Sunday (index 6); a day without windows is closed.

    Each day's windows are sorted, non-empty, and neither overlap nor touch.
    """

    days: tuple[tuple[Window, ...], ...]

    def __post_init__(self) -> None:
        if len(self.days) != len(WEEKDAYS):
            raise InvalidCalendar(f"a weekly schedule has 7 days, not {len(self.days)}", ("schedule",))
        for weekday, windows in zip(WEEKDAYS, self.days, strict=True):
            _check_day(weekday, windows)

    @classmethod
    def parse(cls, windows: Mapping[str, Sequence[tuple[str, str]]]) -> WeeklySchedule:
        """Build a schedule from ``{"monday": [("08:00", "12:00"), ("13:00", "18:00")]}``; missing days are closed."""
        for weekday in windows:
            if weekday not in WEEKDAYS:
                raise InvalidCalendar(
                    f"unknown weekday {weekday!r}; expected one of {', '.join(WEEKDAYS)}", ("schedule", weekday)
                )
        return cls(
            tuple(
                tuple(_parse_window(weekday, index, pair) for index, pair in enumerate(windows.get(weekday, ())))
                for weekday in WEEKDAYS
            )
        )

    @property
    def is_empty(self) -> bool:
        """Tell whether no day has any window."""
        return not any(self.days)

    def as_strings(self) -> dict[str, list[tuple[str, str]]]:
        """Return the schedule in the form ``parse`` takes, open days only."""
        return {
            weekday: [(format_clock(w.start), format_clock(w.end)) for w in windows]
            for weekday, windows in zip(WEEKDAYS, self.days, strict=True)
            if windows
        }


def format_clock(minute: int) -> str:
    """Format minutes after midnight as ``HH:MM`` (1440 as ``24:00``)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_window(weekday: str, index: int, pair: tuple[str, str]) -> Window:
    loc = ("schedule", weekday, index)
    if len(pair) != 2:
        raise InvalidCalendar(f"{_name(loc)}: a window is a pair (start, end), got {pair!r}", loc)
    return Window(_parse_clock(pair[0], loc, "start"), _parse_clock(pair[1], loc, "end"))


def _parse_clock(text: str, loc: tuple[str | int, ...], bound: str) -> int:
    match = _CLOCK.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidCalendar(f"{_name(loc)}: {bound} {text!r} is not a time of day HH:MM", loc)
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 24 or (hour == 24 and minute > 0):
        raise InvalidCalendar(f"{_name(loc)}: {bound} {text!r} is not a time of day between 00:00 and 24:00", loc)
    if hour == 24 and bound == "start":
        raise InvalidCalendar(f"{_name(loc)}: a window cannot start at 24:00", loc)
    return hour * 60 + minute


def _check_day(weekday: str, windows: tuple[Window, ...]) -> None:
    previous: Window | None = None
    for index, window in enumerate(windows):
        loc = ("schedule", weekday, index)
        if not 0 <= window.start < MINUTES_PER_DAY or not 0 < window.end <= MINUTES_PER_DAY:
            raise InvalidCalendar(f"{_name(loc)}: {window} lies outside 00:00–24:00", loc)
        if window.start >= window.end:
            raise InvalidCalendar(f"{_name(loc)}: {window} does not start before it ends", loc)
        if previous is not None:
            if window.start < previous.start:
                raise InvalidCalendar(
                    f"{_name(loc)}: {window} starts before window {index - 1} ({previous}); list windows in order",
                    loc,
                )
            if window.start < previous.end:
                raise InvalidCalendar(f"{_name(loc)}: {window} overlaps window {index - 1} ({previous})", loc)
            if window.start == previous.end:
                raise InvalidCalendar(
                    f"{_name(loc)}: {window} touches window {index - 1} ({previous}); write them as one window", loc
                )
        previous = window


def _name(loc: tuple[str | int, ...]) -> str:
    _, weekday, index = loc
    return f"{weekday} window {index}"
