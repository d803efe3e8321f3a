"""Health, readiness, metrics and tracing of the gateway itself."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from aiohttp.test_utils import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from .support import ARTLAND_KEY

Client = TestClient[Any, Any]
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CLIENT_PARENT = f"00-{TRACE_ID}-b7ad6b7169203331-01"


async def test_health_and_readiness_answer_without_credentials(gateway: Client) -> None:
    health = await gateway.get("/healthz")
    ready = await gateway.get("/readyz")

    assert (health.status, await health.json()) == (200, {"status": "ok"})
    assert ready.status == 200
    assert (await ready.json())["status"] == "ready"


async def test_metrics_show_request_latency_by_route(gateway: Client) -> None:
    await gateway.get("/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY})

    text = await (await gateway.get("/metrics")).text()

    assert 'zentrale_http_request_duration_seconds_count{method="GET",route="/v1/tenants/{tenant}"' in text
    assert 'service="gateway"' in text


async def test_other_methods_on_gateway_endpoints_are_a_405_problem(gateway: Client) -> None:
    response = await gateway.post("/healthz")

    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert response.headers["Content-Type"] == "application/problem+json"


async def test_trace_continues_from_the_client_into_the_service(
    gateway: Client, span_exporter: InMemorySpanExporter
) -> None:
    response = await gateway.get(
        "/v1/tenants/artland", headers={"X-API-Key": ARTLAND_KEY, "traceparent": CLIENT_PARENT, "baggage": "a=b"}
    )

    received = (await response.json())["headers"]
    version, trace_id, parent_id, _ = received["traceparent"].split("-")
    assert (version, trace_id) == ("00", TRACE_ID)
    assert "baggage" not in received
    spans = [span for span in span_exporter.get_finished_spans() if format(span.context.trace_id, "032x") == TRACE_ID]
    assert [span.name for span in spans] == ["GET /v1/tenants/{tenant}"]
    assert format(spans[0].context.span_id, "016x") == parent_id
    assert spans[0].attributes is not None
    assert spans[0].attributes["http.response.status_code"] == 200


def test_the_gateway_process_loads_neither_fastapi_nor_the_database_layer() -> None:
    probe = (
        "import sys, gateway.app; print(sorted(m for m in ('fastapi', 'sqlalchemy', 'asyncpg') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
