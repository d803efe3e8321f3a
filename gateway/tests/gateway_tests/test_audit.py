"""The access audit leaves the gateway as JetStream events, and waits in a bounded buffer while NATS is away."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from gateway.audit import AUDIT_DROPPED, AccessAudit
from kit.events import CloudEvent, ensure_stream, service_stream
from kit.identity import Identity

HOST_AGENT = Identity(subject="agent-meyer", tenant_id="oldenburg", roles=frozenset({"agent"}))


def _note(audit: AccessAudit, path: str, request_id: str, *, method: str = "GET", status: int = 200) -> None:
    audit.note(HOST_AGENT, tenant="artland", method=method, path=path, status=status, request_id=request_id)


async def _stored(nats: NATS) -> list[CloudEvent]:
    js = nats.jetstream()
    psub = await js.pull_subscribe("gateway.>", stream="GATEWAY")
    total = (await js.stream_info("GATEWAY")).state.messages
    messages = await psub.fetch(total, timeout=2) if total else []
    await psub.unsubscribe()
    return [CloudEvent.from_json(m.data) for m in messages]


async def test_accesses_are_published_for_the_tenant_whose_data_was_read(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("gateway"))
    before = (await js.stream_info("GATEWAY")).state.messages
    audit = AccessAudit(lambda: nats_client)
    audit.note(
        HOST_AGENT, tenant="artland", method="GET", path="/v1/tenants/artland/contract", status=200, request_id="r1"
    )
    audit.note(
        HOST_AGENT, tenant="artland", method="POST", path="/v1/tenants/artland/tickets", status=201, request_id="r2"
    )

    assert await audit.publish_pending() == 2

    events = (await _stored(nats_client))[before:]
    assert [(e.type, e.tenantid, e.data["request_id"]) for e in events] == [
        ("gateway.access.recorded.v1", "artland", "r1"),
        ("gateway.access.recorded.v1", "artland", "r2"),
    ]
    assert events[0].data["home_tenant"] == "oldenburg"
    assert len(audit) == 0


async def test_without_nats_the_newest_accesses_wait_and_the_oldest_are_counted_as_dropped() -> None:
    audit = AccessAudit(lambda: None, capacity=3)
    dropped = AUDIT_DROPPED._value.get()
    for n in range(5):
        audit.note(
            HOST_AGENT, tenant="artland", method="GET", path=f"/v1/tenants/artland/{n}", status=200, request_id=f"r{n}"
        )

    assert await audit.publish_pending() == 0
    assert len(audit) == 3
    assert AUDIT_DROPPED._value.get() - dropped == 2
