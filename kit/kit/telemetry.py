"""OpenTelemetry set-up and the trace context that travels through the outbox and NATS headers.

Export is configured by the standard ``OTEL_*`` variables and is off when none is set; tests install
their own provider once per process through ``install_tracer_provider``. Without either, nothing is
instrumented: no-op spans still cost about a millisecond of CPU per request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_EXPORT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
_instrumented_asyncpg = False


def export_configured() -> bool:
    """Whether the environment asks for traces to be exported."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "none":
        return False
    return any(os.environ.get(name) for name in _EXPORT_VARIABLES)


def install_tracer_provider(provider: TracerProvider) -> None:
    """Set the process's tracer provider; OpenTelemetry accepts this only once per process."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        trace.set_tracer_provider(provider)


def tracing_enabled() -> bool:
    """Whether spans are recorded: a provider is installed (by ``configure_tracing`` or a test)."""
    return isinstance(trace.get_tracer_provider(), TracerProvider)


def configure_tracing(service_name: str, *, databases: bool = True) -> bool:
    """Export spans over OTLP when ``OTEL_*`` asks for it; then instrument asyncpg once (for ``databases``).

    Returns whether spans are recorded.
    """
    global _instrumented_asyncpg
    if export_configured() and not tracing_enabled():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        install_tracer_provider(provider)
    if not tracing_enabled():
        return False
    if databases and not _instrumented_asyncpg:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
        _instrumented_asyncpg = True
    return True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the active span, for an event written now."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def context_from(carrier: Mapping[str, str]) -> context.Context:
    """The trace context carried in message headers (or an envelope's ``traceparent``)."""
    return propagate.extract(dict(carrier))


def inject_into(headers: MutableMapping[str, str]) -> None:
    propagate.inject(headers)


def current_trace_id() -> str | None:
    span_context = trace.get_current_span().get_span_context()
    return format(span_context.trace_id, "032x") if span_context.is_valid else None
