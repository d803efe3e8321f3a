"""Periods of figures: local calendar dates of the tenant, cut into buckets of a granularity."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Granularity = Literal["interval", "day", "week", "month"]
# The longest period each granularity may span: a month of quarter hours, five years of months.
MAX_DAYS: dict[str, int] = {"interval": 31, "day": 366, "week": 3 * 366, "month": 5 * 366}


def period_error(start: date, end: date, granularity: Granularity) -> str | None:
    """Why ``start``–``end`` (end exclusive) cannot be asked for at ``granularity``; None if it can."""
    if end <= start:
        return "to must lie after from"
    if (end - start).days > MAX_DAYS[granularity]:
        return f"at most {MAX_DAYS[granularity]} days at granularity {granularity}"
    return None


def instant(day: date, time_zone: str) -> datetime:
    """The UTC instant the local ``day`` begins in ``time_zone``."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(time_zone)).astimezone(UTC)


def next_month(first: date) -> date:
    """The first day of the month after the one ``first`` begins."""
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def bucket_end(start: datetime, granularity: Granularity) -> datetime:
    """The local end of the bucket that begins at the local ``start``."""
    if granularity == "interval":
        return start + timedelta(minutes=15)
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(days=7)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
