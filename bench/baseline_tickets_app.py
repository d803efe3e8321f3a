"""The baseline of recording a forwarded contact: the tickets service's writes by hand, nothing else.

A minimal FastAPI app on a plain asyncpg pool as the runtime role: one transaction that sets the tenant and
inserts the contact, the ticket, its two deadline watch rows, its history row and its two events in the
outbox; no validation, no reads, a fixed deadline. ``bench/bench_tickets.py`` runs it behind a gateway.

    BENCH_DATABASE_URL=… uvicorn --factory bench.baseline_tickets_app:create_baseline_app
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request, Response

from kit.db.database import TENANT_SETTING
from kit.tenancy import is_tenant_id

POOL_SIZE = 10
DEADLINE_RULE = "business_hours:24"

_IN_TENANT = "current_setting('app.tenant_id')"
_CONTACT = (
    "INSERT INTO contacts (tenant_id, id, channel, started_at, ended_at, agent, leika_key, summary, outcome,"
    f" caller_name, caller_phone, caller_email) VALUES ({_IN_TENANT}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)
_TICKET = (
    "INSERT INTO tickets (tenant_id, id, contact_id, department_id, priority, subject, leika_key, reply_by,"
    " forwarded_at, forwarded_by, contract_version, deadline_rule, due_at, warn_at)"
    f" VALUES ({_IN_TENANT}, $1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12)"
)
_WATCH = (
    "INSERT INTO deadline_watch (tenant_id, ticket_id, kind, at)"
    f" VALUES ({_IN_TENANT}, $1, 'warning', $2), ({_IN_TENANT}, $1, 'escalation', $3)"
)
_CHANGE = (
    "INSERT INTO ticket_changes (tenant_id, ticket_id, actor, action, after)"
    f" VALUES ({_IN_TENANT}, $1, $2, 'forwarded', $3::jsonb)"
)
_EVENTS = (
    "INSERT INTO outbox (tenant_id, event_id, subject, payload)"
    f" VALUES ({_IN_TENANT}, $1, $2, $3), ({_IN_TENANT}, $4, $5, $6)"
)


def _event(tenant: str, event_type: str, subject: str, data: dict[str, Any]) -> tuple[uuid.UUID, str, bytes]:
    """An event's id, NATS subject and CloudEvent JSON, as ``record_event`` writes them."""
    event_id = uuid.uuid4()
    service, rest = event_type.split(".", 1)
    envelope = {
        "specversion": "1.0", "id": event_id, "source": "/zentrale/tickets", "type": event_type, "subject": subject,
        "time": datetime.now(UTC), "datacontenttype": "application/json", "tenantid": tenant, "data": data,
    }  # fmt: skip
    return event_id, f"{service}.{tenant}.{rest}", orjson.dumps(envelope)


def create_baseline_app() -> FastAPI:
    """The baseline of recording: the same writes by hand on a plain asyncpg pool, no validation or middleware.

    Reads ``BENCH_DATABASE_URL`` (the runtime role) and ``BENCH_POOL_SIZE``; answers ``POST …/contacts`` with
    201, and ``GET …/tickets`` (the gateway's readiness probe) with an empty page.
    """
    pools: list[asyncpg.Pool] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        size = int(os.environ.get("BENCH_POOL_SIZE", str(POOL_SIZE)))
        pools.append(await asyncpg.create_pool(os.environ["BENCH_DATABASE_URL"], min_size=size, max_size=size))
        try:
            yield
        finally:
            await pools[0].close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/v1/tenants/{tenant_id}/tickets")
    async def probe(tenant_id: str) -> Response:
        return Response(b'{"items":[],"next_cursor":null}', media_type="application/json")

    @app.post("/v1/tenants/{tenant_id}/contacts")
    async def record(tenant_id: str, request: Request) -> Response:
        if not is_tenant_id(tenant_id):
            return Response(b'{"status":404}', status_code=404, media_type="application/json")
        body = orjson.loads(await request.body())
        caller, forward, agent, leika_key = body.get("caller") or {}, body["forward"], body["agent"], body["leika_key"]
        contact_id, ticket_id, now = uuid.uuid4(), uuid.uuid4(), datetime.now(UTC)
        due, department, priority = now + timedelta(days=3), uuid.UUID(forward["department_id"]), "normal"
        recorded = {
            "id": contact_id, "channel": body["channel"], "outcome": body["outcome"], "description_ids": [],
            "leika_key": leika_key, "started_at": body["started_at"], "ended_at": body["ended_at"], "agent": agent,
            "ticket_id": ticket_id,
        }  # fmt: skip
        ticket = {
            "id": ticket_id, "contact_id": contact_id, "department_id": department, "source": "contact",
            "status": "forwarded", "priority": priority, "description_ids": [], "leika_key": leika_key,
            "forwarded_at": now, "due_at": due, "contract_version": 1, "reopen_count": 0, "version": 1,
            "updated_at": now,
        }  # fmt: skip
        events = (
            *_event(tenant_id, "tickets.contact.recorded.v1", f"contact/{contact_id}", recorded),
            *_event(tenant_id, "tickets.ticket.forwarded.v1", f"ticket/{ticket_id}", ticket),
        )
        after = orjson.dumps({"status": "forwarded", "department_id": department, "priority": priority, "due_at": due})
        started, ended = datetime.fromisoformat(body["started_at"]), datetime.fromisoformat(body["ended_at"])
        async with pools[0].acquire() as conn:
            # A checked tenant id, set in the round trip that begins the transaction, as the kit does.
            await conn.execute(f"BEGIN; SELECT set_config('{TENANT_SETTING}', '{tenant_id}', true)")
            try:
                await conn.execute(
                    _CONTACT, contact_id, body["channel"], started, ended, agent, leika_key, body["summary"],
                    body["outcome"], caller.get("name"), caller.get("phone"), caller.get("email"),
                )  # fmt: skip
                await conn.execute(
                    _TICKET, ticket_id, contact_id, department, priority, forward["subject"], leika_key,
                    forward["reply_by"], now, agent, DEADLINE_RULE, due, due - timedelta(hours=2),
                )  # fmt: skip
                await conn.execute(_WATCH, ticket_id, due - timedelta(hours=2), due)
                await conn.execute(_CHANGE, ticket_id, agent, after.decode())
                await conn.execute(_EVENTS, *events)
            except Exception:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        answer = {**recorded, "ticket": {"id": ticket_id, "status": "forwarded", "department_id": department}}
        return Response(orjson.dumps(answer), status_code=201, media_type="application/json")

    return app
