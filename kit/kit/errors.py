"""Typed errors rendered once as RFC 9457 problem+json."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"


class ProblemError(Exception):
    """An error that knows its HTTP status; the only way code signals a client-visible failure."""

    status: ClassVar[int] = 500
    type_uri: ClassVar[str] = "about:blank"

    def __init__(self, detail: str | None = None, **extensions: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.extensions = extensions

    @property
    def title(self) -> str:
        return HTTPStatus(self.status).phrase

    def headers(self) -> dict[str, str]:
        return {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem(self.status, detail=self.detail, type_uri=self.type_uri, instance=instance, **self.extensions)


def problem(
    status: int,
    *,
    detail: str | None = None,
    title: str | None = None,
    type_uri: str = "about:blank",
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """Build a problem document (RFC 9457)."""
    body: dict[str, Any] = {"type": type_uri, "title": title or HTTPStatus(status).phrase, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extensions)
    return body


class BadRequest(ProblemError):
    status = 400


class Unauthorized(ProblemError):
    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class Forbidden(ProblemError):
    status = 403


class NotFound(ProblemError):
    status = 404


class Conflict(ProblemError):
    status = 409


class PreconditionFailed(ProblemError):
    status = 412


class ContentTooLarge(ProblemError):
    status = 413


class UnprocessableContent(ProblemError):
    status = 422


class PreconditionRequired(ProblemError):
    status = 428


class ServiceUnavailable(ProblemError):
    status = 503


def field_error(field: str, detail: str, *, location: str = "body") -> dict[str, str]:
    """One entry of a problem's ``errors`` list, shaped like the validation errors FastAPI reports."""
    return {"field": field, "in": location, "pointer": "#/" + field.replace(".", "/"), "detail": detail}


class InvalidField(UnprocessableContent):
    """A well-formed value the rules refuse (an unknown state, an ARS of another state): 422 naming the field."""

    def __init__(self, field: str, detail: str, *, location: str = "body") -> None:
        super().__init__(f"{field}: {detail}", errors=[field_error(field, detail, location=location)])


class ConflictingField(Conflict):
    """A value that collides with the stored state (taken, or a past period rewritten): 409 naming the field."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}", errors=[field_error(field, detail)])
