"""The refusals of the Open311 routes; ``render`` shows them (and every other error there) as Open311 errors."""

from __future__ import annotations

from collections.abc import Sequence

from kit.errors import BadRequest, Forbidden, NotFound, ProblemError, field_error


class JurisdictionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("jurisdiction_id provided was not found")


class ServiceCodeNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("service_code provided was not found")


class RequestNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("service_request_id provided was not found")


class TokenNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("token provided was not found")


class FormatNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("Only the formats json and xml are served.")


class PathNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such Open311 resource.")


class MethodNotAllowed(ProblemError):
    status = 405

    def __init__(self, allowed: Sequence[str]) -> None:
        super().__init__(f"This resource answers {', '.join(allowed)} only.")
        self.allowed = tuple(allowed)

    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allowed)}


class ApiKeyRequired(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "api_key was not provided or is invalid: posting a request needs the API key of one of the"
            " municipality's integration clients."
        )


class Invalid(BadRequest):
    """Fields the request cannot be taken with: 400 naming each field (``attribute[code]`` for attributes)."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        super().__init__(
            "; ".join(f"{field}: {detail}" for field, detail in errors),
            errors=[field_error(field, detail) for field, detail in errors],
        )


class UnsupportedBody(BadRequest):
    def __init__(self) -> None:
        super().__init__("Send the request as application/x-www-form-urlencoded (UTF-8) or as a JSON object.")
