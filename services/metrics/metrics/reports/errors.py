"""What a report request can run into, each with its HTTP status."""

from __future__ import annotations

from kit.errors import InvalidField


class MonthNotReportable(InvalidField):
    """A month outside what can be reported: before 2000, or after the municipality's current month."""

    def __init__(self, detail: str) -> None:
        super().__init__("month", detail, location="path")
