"""What browsers need from the gateway: CORS for the agent frontends' origins, and protective headers.

Both are added in ``on_response_prepare``, right before the headers leave, so they reach streamed
responses as well; the fast front (``gateway.front``) calls ``decorate`` itself. A CORS preflight is
answered by the gateway itself (it carries no credentials and must not reach a service); an origin that
is not configured gets no CORS headers, so the browser blocks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from multidict import MutableMultiMapping

from gateway.headers import REQUEST_ID

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = frozenset(
    {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key", "x-api-key", "x-request-id"}
    | {"traceparent", "tracestate"}
)
EXPOSED_HEADERS = ", ".join(
    ("ETag", "Location", "Retry-After", "RateLimit", "RateLimit-Policy", REQUEST_ID, "Content-Disposition")
)
# An API answers JSON: nothing of it may be framed, sniffed into another type or leak its URL onwards.
SERVER = "zentrale"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-site",
}
# The interactive docs load their own assets and start Swagger UI with a short inline script of the page
# itself (no user content); API answers need nothing at all.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class BrowserPolicy:
    """CORS for ``origins`` and the security headers, installed on an aiohttp application."""

    def __init__(self, origins: Iterable[str], *, preflight_max_age: int = 600, hsts_seconds: int = 0) -> None:
        self.origins = frozenset(origin.rstrip("/") for origin in origins)
        self.max_age = str(preflight_max_age)
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None

    def install(self, app: web.Application) -> None:
        """Decorate every response; call ``add_preflight`` once the application's own endpoints are routed."""
        app.on_response_prepare.append(self._decorate)

    def add_preflight(self, app: web.Application, fallback: Handler) -> None:
        """Answer CORS preflights on every path; other ``OPTIONS`` requests go to ``fallback``.

        A route, not a middleware: an application without middlewares skips wrapping every request's handler.
        """

        async def options(request: web.Request) -> web.StreamResponse:
            if "Access-Control-Request-Method" not in request.headers:
                return await fallback(request)
            return self._preflight(request)

        app.router.add_route("OPTIONS", "/{path:.*}", options)

    def _preflight(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        if origin not in self.origins:
            return web.Response(status=403)
        asked = {h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")}
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ", ".join(sorted(asked & ALLOWED_HEADERS))
        response.headers["Access-Control-Max-Age"] = self.max_age
        return response

    async def _decorate(self, request: web.Request, response: web.StreamResponse) -> None:
        self.decorate(response.headers, request.path, request.headers.get("Origin"))

    def decorate(self, headers: MutableMultiMapping[str], path: str, origin: str | None) -> None:
        """Add the security headers, and CORS for a configured ``origin``, to an answer's ``headers``."""
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)
        # Said by the gateway for every service: no framework or version to look up vulnerabilities for.
        headers["Server"] = SERVER
        headers.setdefault("Content-Security-Policy", DOCS_POLICY if path.startswith("/docs") else API_POLICY)
        if self.hsts is not None:
            headers.setdefault("Strict-Transport-Security", self.hsts)
        if origin is not None and origin in self.origins:
            headers["Access-Control-Allow-Origin"] = origin
            headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
            headers.add("Vary", "Origin")
