"""Instants as integer microseconds since the Unix epoch, and local wall-clock times mapped onto them.

Integers keep the arithmetic exact; datetimes are built only at the library's edges.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from businesstime.errors import NaiveDatetime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.toordinal()
MICROSECOND = timedelta(microseconds=1)
DAY_US = 86_400_000_000


def instant_us(value: datetime, loc: tuple[str | int, ...]) -> int:
    """Return an aware datetime as microseconds since the epoch; refuse a naive one, naming it by ``loc``."""
    try:
        return (value - EPOCH) // MICROSECOND
    except TypeError:
        raise NaiveDatetime(f"{_name(loc)} must be a timezone-aware datetime, got {value!r}", loc) from None


def to_us(value: datetime) -> int:
    """Return an aware datetime as microseconds since the epoch, exactly."""
    return (value - EPOCH) // MICROSECOND


def from_us(us: int) -> datetime:
    """Return microseconds since the epoch as a UTC datetime."""
    seconds, microseconds = divmod(us, 1_000_000)
    return EPOCH + timedelta(0, seconds, microseconds)


def utc_ordinal(us: int) -> int:
    """Return the proleptic ordinal of the UTC date of an instant."""
    return us // DAY_US + EPOCH_ORDINAL


def local_to_us(day: date, minute: int, zone: ZoneInfo) -> int:
    """Map a local wall-clock time (minutes after midnight of ``day``, up to 1440) to an instant.

    An ambiguous time (the repeated hour when clocks go back) is its first occurrence (fold=0). A time that does
    not exist (skipped when clocks go forward) is the first instant after the gap, i.e. the moment of the change.
    """
    wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    us = to_us(wall.replace(tzinfo=zone))
    if _wall(us, zone) == wall:
        return us
    # In a gap, fold=1 reads the time with the offset after the change, which gives an instant before it.
    low, high = to_us(wall.replace(tzinfo=zone, fold=1)), us
    if low > high:
        low, high = high, low
    while low < high:
        middle = (low + high) // 2
        if _wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle + 1
    return high


def _wall(us: int, zone: ZoneInfo) -> datetime:
    return from_us(us).astimezone(zone).replace(tzinfo=None)


def _name(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else part for part in loc) or "the instant"
