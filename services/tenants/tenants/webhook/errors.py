from kit.errors import Conflict, InvalidField, NotFound, UnprocessableContent, field_error


class WebhookNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such webhook subscription.")


class DeliveryNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such webhook delivery.")


class TargetNotAllowed(InvalidField):
    """The URL's scheme or address is refused by the operator's target rules."""

    def __init__(self, reason: str) -> None:
        super().__init__("url", f"not an allowed webhook target: {reason}")


class WebhookDisabled(Conflict):
    def __init__(self) -> None:
        super().__init__("The webhook subscription is disabled; enable it first.")


class IdempotencyKeyReused(UnprocessableContent):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was used for a different request.",
            errors=[field_error("Idempotency-Key", "used before with another body", location="header")],
        )
