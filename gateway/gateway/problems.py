"""The gateway's own errors, rendered as RFC 9457 problem+json like every service's."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kit.errors import PROBLEM_JSON, ProblemError


class UpstreamUnreachable(ProblemError):
    """A service refused or dropped the connection: 502 naming it."""

    status = 502

    def __init__(self, service: str) -> None:
        super().__init__(f"The {service} service is unreachable.", service=service)


class UpstreamTimeout(ProblemError):
    """A service did not answer in time: 504 naming it."""

    status = 504

    def __init__(self, service: str) -> None:
        super().__init__(f"The {service} service did not answer in time.", service=service)


class MethodNotAllowed(ProblemError):
    """A method the gateway's own endpoints do not answer: 405 with ``Allow``."""

    status = 405

    def __init__(self, allowed: str) -> None:
        super().__init__(f"Allowed methods: {allowed}.")
        self.allowed = allowed

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allowed}


# An error is an answer of this moment: a shared cache that kept a 404 or a 429 would go on giving it.
NO_STORE = "no-store"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    """A problem document as an aiohttp response, never to be cached."""
    response = web.Response(body=orjson.dumps(body), status=body["status"], headers=headers)
    response.headers["Content-Type"] = PROBLEM_JSON
    response.headers["Cache-Control"] = NO_STORE
    return response


def error_response(error: ProblemError, instance: str) -> web.Response:
    """A typed error as a problem response, with the headers it carries."""
    return problem_response(error.to_problem(instance=instance), error.headers())
