"""What a staffing request can run into, each with its HTTP status."""

from __future__ import annotations

from kit.errors import Conflict, InvalidField, UnprocessableContent


class NoContractInForce(Conflict):
    def __init__(self, day: str) -> None:
        super().__init__(f"No contract is in force on {day}: there is no service-level target to staff for.")


class NoReachability(Conflict):
    """The contract in force states no (readable) reachability hours, so no interval is known to be staffed."""

    def __init__(self, version: int, reason: str) -> None:
        super().__init__(f"Contract version {version} gives no reachability hours to staff: {reason}")


class BeyondStaffing(UnprocessableContent):
    """The load needs more agents than the search goes up to."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The load cannot be staffed: {reason}")


class DayOutOfRange(InvalidField):
    def __init__(self, detail: str) -> None:
        super().__init__("date", detail, location="query")
