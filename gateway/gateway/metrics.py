"""The gateway's Prometheus metrics: request latency per route (the kit's histogram) and upstream failures."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from kit.metrics import REQUEST_LATENCY

UPSTREAM_FAILURES = Counter(
    "zentrale_gateway_upstream_failures_total",
    "Requests the gateway could not complete with a service",
    ["upstream", "reason"],
)
UPSTREAM_RETRIES = Counter(
    "zentrale_gateway_upstream_retries_total", "Connection attempts repeated for idempotent requests", ["upstream"]
)

_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})


class LatencyRecorder:
    """Observe request latency; label children are looked up once, not on every request."""

    def __init__(self, service: str = "gateway") -> None:
        self._service = service
        self._children: dict[tuple[str, str, int], Histogram] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one request; unknown methods share one label so clients cannot grow the label set."""
        key = (method if method in _METHODS else "OTHER", route, status)
        child = self._children.get(key)
        if child is None:
            child = REQUEST_LATENCY.labels(self._service, key[0], route, str(status))
            self._children[key] = child
        child.observe(seconds)
