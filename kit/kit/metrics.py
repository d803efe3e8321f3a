"""Prometheus metrics every process exposes at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

REQUEST_LATENCY = Histogram(
    "zentrale_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("zentrale_outbox_backlog", "Committed events not yet acknowledged by JetStream", ["service"])
EVENTS_RELAYED = Counter("zentrale_events_relayed_total", "Events published from the outbox", ["service"])
EVENTS_CONSUMED = Counter("zentrale_events_consumed_total", "Events handled by a consumer", ["consumer", "outcome"])
CONSUMER_LAG = Gauge("zentrale_consumer_lag", "Messages not yet delivered to a durable consumer", ["consumer"])
DEAD_LETTERS = Gauge("zentrale_dead_letters", "Messages in the dead-letter stream", ["service"])


def exposition() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
