"""What a bill request can run into, each with its HTTP status."""

from __future__ import annotations

from kit.errors import Conflict, InvalidField


class MonthNotBillable(InvalidField):
    """A month outside what can be billed: before 2000, or after the municipality's current month."""

    def __init__(self, detail: str) -> None:
        super().__init__("month", detail, location="path")


class NoContractInForce(Conflict):
    def __init__(self, month: str) -> None:
        super().__init__(f"No contract is in force at the start of {month}: there is no price to bill by.")


class PriceNotBillable(Conflict):
    """The contract in force names a price this service cannot read; nothing is guessed."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"The price of contract version {version} cannot be billed: {reason}")
