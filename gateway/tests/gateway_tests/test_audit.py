"""The access audit leaves the gateway as JetStream events, and waits in a bounded buffer while NATS is away."""

from __future__ import annotations

from nats.aio.client import Client as NATS

from gateway.audit import AUDIT_DROPPED, AccessAudit, access_events
from gateway.events.published import AccessesRecordedV1
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


async def test_accesses_are_published_per_tenant_many_in_one_event(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("gateway"))
    before = (await js.stream_info("GATEWAY")).state.messages
    audit = AccessAudit(lambda: nats_client)
    _note(audit, "/v1/tenants/artland/contract", "r1")
    audit.note(HOST_AGENT, tenant="oldenburg", method="GET", path="/v1/tenants/oldenburg", status=200, request_id="r2")
    _note(audit, "/v1/tenants/artland/tickets", "r3", method="POST", status=201)

    assert await audit.publish_pending() == 3

    events = (await _stored(nats_client))[before:]
    assert [(e.type, e.tenantid, e.nats_subject) for e in events] == [
        ("gateway.accesses.recorded.v1", "artland", "gateway.artland.accesses.recorded.v1"),
        ("gateway.accesses.recorded.v1", "oldenburg", "gateway.oldenburg.accesses.recorded.v1"),
    ]
    artland = AccessesRecordedV1.model_validate(events[0].data).accesses
    assert [(a.request_id, a.method, a.status, a.home_tenant) for a in artland] == [
        ("r1", "GET", 200, "oldenburg"),
        ("r3", "POST", 201, "oldenburg"),
    ]
    assert len({a.id for a in artland}) == 2
    assert len(audit) == 0


def test_a_tenant_with_more_accesses_than_one_event_holds_gets_several_events() -> None:
    audit = AccessAudit(lambda: None)
    for n in range(7):
        _note(audit, f"/v1/tenants/artland/{n}", f"r{n}")

    events = access_events(list(audit._pending), per_event=3)

    assert [len(AccessesRecordedV1.model_validate(e.data).accesses) for e in events] == [3, 3, 1]


async def test_an_event_that_failed_is_sent_again_with_the_same_ids(nats_client: NATS) -> None:
    js = nats_client.jetstream()
    await ensure_stream(js, service_stream("gateway"))
    before = (await js.stream_info("GATEWAY")).state.messages
    connected: list[NATS | None] = [None]
    audit = AccessAudit(lambda: connected[0])
    _note(audit, "/v1/tenants/artland/contract", "r1")
    unsent = access_events(list(audit._pending))
    audit._pending.clear()
    audit._unsent = unsent
    assert await audit.publish_pending() == 0
    assert len(audit) == 1

    connected[0] = nats_client
    assert await audit.publish_pending() == 1

    events = (await _stored(nats_client))[before:]
    assert [e.id for e in events] == [unsent[0].id]
    assert events[0].data == unsent[0].data


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
