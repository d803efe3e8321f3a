from __future__ import annotations

from kit.errors import NotFound, UnprocessableContent, field_error


class ContactNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such contact.")


class TenantNotServed(NotFound):
    def __init__(self) -> None:
        super().__init__("No such tenant.")


class IdempotencyKeyReused(UnprocessableContent):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different request.",
            errors=[field_error("Idempotency-Key", "used before with another body", location="header")],
        )
