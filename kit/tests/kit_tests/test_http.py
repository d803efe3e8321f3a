"""A service app on the kit: identity required, problems for bad input, nothing half-written, one trace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kit.db.database import Database
from kit.events import EventConsumer, OutboxRelay, Subscription, ensure_stream, service_stream
from kit.events.streams import dead_letter_stream
from kit.identity import Identity, InternalTokenSigner, generate_signing_key
from kit.testing.events import eventually
from kit.testing.infra import InfraServers, ScratchDatabase
from kit.testing.keys import SigningKeys

from .sample import SERVICE, STREAM, record_effect, sample_app


@pytest.fixture
async def app(
    sample_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys, span_exporter: InMemorySpanExporter
) -> AsyncIterator[FastAPI]:
    application = sample_app(database_url=sample_db.runtime_url, nats_url=servers.nats_url, jwks=keys.jwks_json)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sample") as http:
        yield http


async def _rows(db: ScratchDatabase) -> int:
    conn = await asyncpg.connect(db.admin_url)
    try:
        total: int = await conn.fetchval("SELECT (SELECT count(*) FROM notes) + (SELECT count(*) FROM outbox)")
    finally:
        await conn.close()
    return total


def _assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert "title" in body
    assert "type" in body
    assert "Traceback" not in response.text
    return body


async def test_request_without_token_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/tenants/artland/notes", json={"body": "hello"})
    _assert_problem(response, 401)


async def test_token_signed_by_another_key_is_refused(client: httpx.AsyncClient) -> None:
    forger = InternalTokenSigner(generate_signing_key(), kid="test-key")
    token = forger.sign(Identity(subject="mallory", tenant_id="artland", roles=frozenset({"operator"})))
    response = await client.post(
        "/v1/tenants/artland/notes", json={"body": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    _assert_problem(response, 401)


async def test_another_tenants_url_is_not_found(
    client: httpx.AsyncClient, keys: SigningKeys, sample_db: ScratchDatabase
) -> None:
    response = await client.post(
        "/v1/tenants/oldenburg/notes", json={"body": "x"}, headers=keys.headers_for("artland", "agent")
    )
    _assert_problem(response, 404)
    assert await _rows(sample_db) == 0


async def test_malformed_json_is_a_bad_request_and_writes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, sample_db: ScratchDatabase
) -> None:
    response = await client.post(
        "/v1/tenants/artland/notes",
        content=b'{"body": "unterminated',
        headers={**keys.headers_for("artland"), "Content-Type": "application/json"},
    )
    _assert_problem(response, 400)
    assert await _rows(sample_db) == 0


async def test_wrong_types_name_the_field_and_write_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, sample_db: ScratchDatabase
) -> None:
    response = await client.post(
        "/v1/tenants/artland/notes", json={"body": "ok", "priority": "high"}, headers=keys.headers_for("artland")
    )
    body = _assert_problem(response, 422)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [error["field"] for error in errors] == ["priority"]
    assert errors[0]["pointer"] == "#/priority"
    assert await _rows(sample_db) == 0


async def test_oversize_body_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, keys: SigningKeys, sample_db: ScratchDatabase
) -> None:
    huge = {"body": "x" * 5000}
    declared = await client.post("/v1/tenants/artland/notes", json=huge, headers=keys.headers_for("artland"))
    _assert_problem(declared, 413)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"body": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    streamed = await client.post(
        "/v1/tenants/artland/notes",
        content=chunks(),
        headers={**keys.headers_for("artland"), "Content-Type": "application/json"},
    )
    _assert_problem(streamed, 413)
    assert await _rows(sample_db) == 0


async def test_unknown_route_is_a_problem(client: httpx.AsyncClient) -> None:
    _assert_problem(await client.get("/v1/nowhere"), 404)


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}

    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    await eventually(ready, within=10)
    metrics = await client.get("/metrics")
    assert "zentrale_http_request_duration_seconds" in metrics.text


async def test_one_trace_runs_from_request_to_consumer(
    client: httpx.AsyncClient,
    keys: SigningKeys,
    sample_db: ScratchDatabase,
    nats_client: NATS,
    span_exporter: InMemorySpanExporter,
) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream(SERVICE))
    await ensure_stream(js, dead_letter_stream())
    span_exporter.clear()

    response = await client.post(
        "/v1/tenants/artland/notes", json={"body": "traced"}, headers=keys.headers_for("artland")
    )
    assert response.status_code == 201
    relay = OutboxRelay(service=SERVICE, database_url=sample_db.runtime_url, nats=nats_client)
    assert await relay.relay_once() == 1
    database = Database(sample_db.runtime_url)
    subscription = Subscription(durable="traced", stream=STREAM, subjects=(f"{SERVICE}.>",), handler=record_effect)
    consumer = EventConsumer(subscription, database=database, nats=nats_client, fetch_timeout=0.5)
    task = asyncio.create_task(consumer.run())

    def processed() -> list[object]:
        return [s for s in span_exporter.get_finished_spans() if s.name.startswith("process ")]

    async def consumed() -> bool:
        return bool(processed())

    try:
        await eventually(consumed)
    finally:
        consumer.stop()
        task.cancel()
        await database.dispose()

    spans = span_exporter.get_finished_spans()
    server = next(s for s in spans if s.name == "POST /v1/tenants/{tenant_id}/notes")
    publish = next(s for s in spans if s.name.startswith("publish "))
    process = next(s for s in spans if s.name.startswith("process "))
    trace_ids = {span.context.trace_id for span in (server, publish, process) if span.context is not None}
    assert len(trace_ids) == 1
    assert process.parent is not None
    assert publish.context is not None
    assert process.parent.span_id == publish.context.span_id
    database_spans = [
        s for s in spans if s.context is not None and s.context.trace_id in trace_ids and "INSERT" in s.name
    ]
    assert database_spans


async def test_a_request_finding_every_connection_busy_is_told_to_retry(
    sample_db: ScratchDatabase, servers: InfraServers, keys: SigningKeys
) -> None:
    application = sample_app(
        database_url=sample_db.runtime_url,
        nats_url=servers.nats_url,
        jwks=keys.jwks_json,
        db_pool_size=1,
        db_pool_timeout=0.2,
    )
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://sample") as client,
    ):
        database: Database = application.state.database
        async with database.transaction("artland") as held:
            await held.connection()
            response = await client.post(
                "/v1/tenants/artland/notes", json={"body": "waits"}, headers=keys.headers_for("artland")
            )
    body = _assert_problem(response, 503)
    assert response.headers["Retry-After"] == "1"
    assert "busy" in str(body["detail"])
