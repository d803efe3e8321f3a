"""The session's restart helpers return once the restarted part answers again, and events flow on after NATS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from .support import StackHandle, eventually, json_of

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


async def test_a_restarted_service_and_a_restarted_nats_serve_as_soon_as_the_helpers_return(
    stack: StackHandle,
) -> None:
    run = uuid.uuid4().hex[:8]
    since = datetime.now(UTC) - timedelta(seconds=5)
    before = stack.stack.supervisor.children["tickets-api"].process.pid

    await stack.restart_soon("tickets-api")

    assert stack.stack.supervisor.children["tickets-api"].process.pid != before
    now = datetime.now(UTC)
    contact = {"channel": "phone", "started_at": (now - timedelta(minutes=2)).isoformat(), "outcome": "solved"}
    async with stack.client("artland-agent") as agent:
        json_of(await agent.post("/v1/tenants/artland/contacts", json=contact), 201)

        await stack.restart_nats_soon(down_for=0.5)

        # Through NATS again: the gateway publishes the access, the tenants worker files it in Artland's audit.
        request_id = f"e2e-restart-{run}"
        json_of(
            await agent.get("/v1/tenants/artland/contacts", params={"limit": 1}, headers={"X-Request-Id": request_id})
        )
    async with stack.client("artland-admin") as admin:

        async def audited() -> list[dict[str, Any]]:
            params: dict[str, Any] = {"subject": "demo-artland-agent", "since": since.isoformat(), "limit": 200}
            items: list[dict[str, Any]] = json_of(await admin.get("/v1/tenants/artland/audit", params=params))["items"]
            return items

        await eventually(
            audited,
            lambda items: request_id in {item["request_id"] for item in items},
            what="an access after NATS restarted, in Artland's audit",
        )
