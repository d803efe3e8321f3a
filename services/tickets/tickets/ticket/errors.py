from __future__ import annotations

from kit.errors import Conflict, InvalidField, NotFound


class TicketNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such ticket.")


class TicketStateConflict(Conflict):
    """The action does not fit the ticket's status (e.g. answering a closed ticket)."""

    def __init__(self, action: str, status: str, detail: str | None = None) -> None:
        super().__init__(detail or f"A ticket that is {status} cannot be {action}.", status_now=status)


class AlreadyClaimed(Conflict):
    def __init__(self, by: str) -> None:
        super().__init__(f"The ticket is already claimed by {by}.", claimed_by=by)


class NoContractInForce(Conflict):
    def __init__(self) -> None:
        super().__init__("The municipality has no contract in force, so no deadline can be computed.")


class UnknownDepartment(InvalidField):
    def __init__(self, field: str) -> None:
        super().__init__(field, "no such department of this municipality")


class NoResponsibleDepartment(InvalidField):
    def __init__(self, field: str, leika_key: str | None) -> None:
        reason = f"no department is responsible for LeiKa key {leika_key}" if leika_key else "no LeiKa key to route by"
        super().__init__(field, f"required: {reason}")


class UnknownTicket(InvalidField):
    def __init__(self, field: str) -> None:
        super().__init__(field, "no such ticket of this municipality")


class InstantOutOfOrder(InvalidField):
    """A given instant (``claimed_at``, ``answered_at``) in the future or before the ticket's latest status."""
