"""The library's errors: each carries a message and ``loc``, the path of the input it is about.

``loc`` follows pydantic's convention (``("schedule", "monday", 1)``, ``("state",)``, ``("pauses", 2, 0)``) so an
API can turn the error into a 422 that names the field without parsing the message.
"""

from __future__ import annotations


class BusinessTimeError(ValueError):
    """A calendar or a business-time computation refused its input."""

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc

    def __reduce__(self) -> tuple[type[BusinessTimeError], tuple[str, tuple[str | int, ...]]]:
        return (type(self), (self.message, self.loc))


class InvalidCalendar(BusinessTimeError):
    """The schedule, time zone, state or closures of a calendar are invalid; ``loc`` names the part."""


class InvalidArgument(BusinessTimeError):
    """An argument of an operation is invalid (e.g. an end before its start); ``loc`` names the argument."""


class NaiveDatetime(InvalidArgument):
    """A datetime without a time zone was given where an instant is required."""


class NoWorkingDay(BusinessTimeError):
    """The calendar has no business time within the bounded search horizon."""
