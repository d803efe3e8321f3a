"""What a compliance request can run into, each with its HTTP status."""

from __future__ import annotations

from kit.errors import InvalidField


class PeriodRefused(InvalidField):
    """A period that ends before it begins, or spans more than the figures are judged over at once."""

    def __init__(self, detail: str) -> None:
        super().__init__("to", detail, location="query")
