"""Logs are JSON lines with a dotted event name and the active trace id."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kit.logging import JsonFormatter


def test_log_line_carries_event_extras_and_trace_id(span_exporter: InMemorySpanExporter) -> None:
    record = logging.LogRecord("kit.test", logging.INFO, __file__, 1, "tickets.ticket.forwarded", (), None)
    record.ticket_id = "T-1"
    with trace.get_tracer("test").start_as_current_span("work") as span:
        line = json.loads(JsonFormatter("tickets").format(record))
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert line["event"] == "tickets.ticket.forwarded"
    assert line["service"] == "tickets"
    assert line["ticket_id"] == "T-1"
    assert line["trace_id"] == trace_id
