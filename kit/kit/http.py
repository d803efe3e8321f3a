"""Outgoing HTTP calls of the services: each gets a client span and carries the trace context onward."""

from __future__ import annotations

from typing import Any

import aiohttp
from opentelemetry.instrumentation.aiohttp_client import create_trace_config


def client_session(**options: Any) -> aiohttp.ClientSession:
    """An ``aiohttp.ClientSession`` (``options`` as it takes them) whose requests are traced.

    Per session rather than patched into aiohttp for the whole process: the gateway makes its own
    client spans and must not get a second one.
    """
    trace_configs = [*options.pop("trace_configs", ()), create_trace_config()]
    return aiohttp.ClientSession(trace_configs=trace_configs, **options)
