"""Which headers cross the gateway, and the request id.

Hop-by-hop headers end at each hop (RFC 9110 §7.6.1). Headers through which a client could claim an
identity, a tenant or a network origin are dropped: only the gateway speaks for the caller.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping

from multidict import CIMultiDict
from opentelemetry import propagate

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Set again by the gateway itself: Host by the client library, the rest explicitly.
_REQUEST_DROPPED = HOP_BY_HOP | {
    "host",
    "expect",
    "authorization",
    "x-api-key",
    "x-tenant-id",
    "forwarded",
    "x-real-ip",
    "x-request-id",
    "traceparent",
    "tracestate",
    "baggage",
}
_REQUEST_DROPPED_PREFIXES = ("x-zentrale-", "x-user-", "x-forwarded-")
_RESPONSE_DROPPED = HOP_BY_HOP | {"server", "date"}

REQUEST_ID = "X-Request-Id"
_ids = random.Random()
USER_AGENT = "zentrale-gateway"
_REQUEST_ID_FORMAT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")


def _connection_tokens(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    return frozenset(token.strip().lower() for token in value.split(","))


def upstream_request_headers(headers: Iterable[tuple[str, str]], connection: str | None) -> CIMultiDict[str]:
    """The client's headers that may travel on to a service."""
    also_dropped = _connection_tokens(connection)
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers:
        lowered = name.lower()
        if lowered in _REQUEST_DROPPED or lowered.startswith(_REQUEST_DROPPED_PREFIXES) or lowered in also_dropped:
            continue
        out.add(name, value)
    # Said explicitly so the client library adds none of its own defaults (it would ask for gzip, which
    # a client that did not ask for it could not read, since bodies pass through undecoded).
    out.setdefault("Accept", "*/*")
    out.setdefault("Accept-Encoding", "identity")
    out.setdefault("User-Agent", USER_AGENT)
    return out


def client_response_headers(headers: Iterable[tuple[str, str]], connection: str | None) -> CIMultiDict[str]:
    """A service's response headers that may travel on to the client."""
    also_dropped = _connection_tokens(connection)
    out: CIMultiDict[str] = CIMultiDict()
    for name, value in headers:
        lowered = name.lower()
        if lowered in _RESPONSE_DROPPED or lowered in also_dropped:
            continue
        out.add(name, value)
    return out


def request_id(offered: str | None) -> str:
    """The client's request id if it is well-formed, else a new one."""
    if offered is not None and _REQUEST_ID_FORMAT.fullmatch(offered):
        return offered
    # Unique, not secret: drawn without the system call ``os.urandom`` would cost on every request.
    return f"{_ids.getrandbits(128):032x}"


def continue_trace(received: Mapping[str, str], headers: CIMultiDict[str], *, recording: bool) -> None:
    """The trace context for the service: this request's span when spans are recorded, else the client's own."""
    if recording:
        propagate.inject(headers)
        return
    parent = received.get("traceparent")
    if parent is not None and _TRACEPARENT.fullmatch(parent):
        headers["traceparent"] = parent
        state = received.get("tracestate")
        if state is not None:
            headers["tracestate"] = state
