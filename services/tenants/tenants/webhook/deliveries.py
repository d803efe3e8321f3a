"""Rules for deliveries: which events a tenant's subscriptions are owed, retries, the log, redelivery."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from kit.db.database import TenantSession
from kit.events import CloudEvent, PermanentEventError, record_event
from kit.pagination import Cursor, page
from tenants.events.published import WEBHOOK_DELIVERY_FAILED, WEBHOOK_TESTED, webhook_event
from tenants.webhook import repository, service
from tenants.webhook.errors import DeliveryNotFound, WebhookDisabled
from tenants.webhook.filters import wants
from tenants.webhook.sender import AttemptResult

# Each retry waits up to this much longer than the schedule says, so that deliveries that failed
# together (an endpoint that was down) do not all come back in the same second.
RETRY_JITTER = 0.1


async def queue_event(session: TenantSession, event: CloudEvent) -> None:
    """Owe the event to every enabled subscription of its tenant that wants it, once however often it comes.

    Only subscriptions that existed when the event happened receive it: a new subscription does not
    get the past replayed, and a consumer catching up after an outage does not send history.
    """
    if not wants([], event.type):
        return
    subscriptions = await repository.receiving_subscriptions(session, since=_aware(event.time))
    wanted = [row["id"] for row in subscriptions if wants(row["event_types"], event.type)]
    if not wanted:
        return
    try:
        event_id = uuid.UUID(event.id)
    except ValueError:
        raise PermanentEventError(f"event id {event.id!r} is not a UUID") from None
    await repository.insert_deliveries(
        session, subscription_ids=wanted, event_id=event_id, event_type=event.type, payload=event.to_json()
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def send_test(session: TenantSession, *, webhook_id: uuid.UUID) -> dict[str, Any]:
    """Queue a ``tenants.webhook.tested.v1`` event for this subscription alone, due now."""
    subscription = await service.get(session, webhook_id=webhook_id)
    if not subscription["enabled"]:
        raise WebhookDisabled()
    assert session.tenant_id is not None
    data = {"webhook_id": webhook_id, "message": "A test delivery from Zentrale."}
    event = webhook_event(WEBHOOK_TESTED, tenant_id=session.tenant_id, webhook_id=webhook_id, data=data)
    created = await repository.insert_deliveries(
        session,
        subscription_ids=[webhook_id],
        event_id=uuid.UUID(event.id),
        event_type=event.type,
        payload=event.to_json(),
        manual=True,
    )
    return created[0]


async def list_page(
    session: TenantSession, *, webhook_id: uuid.UUID, status: str | None, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of a subscription's deliveries, newest first, and the cursor of the next."""
    await service.get(session, webhook_id=webhook_id)
    after = Cursor.decode(cursor) if cursor is not None else None
    return page(
        await repository.list_deliveries(session, webhook_id, status=status, after=after, limit=limit + 1), limit
    )


async def get(session: TenantSession, *, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, Any]:
    """A delivery with the body it sends and every attempt so far."""
    row = await repository.get_delivery(session, webhook_id, delivery_id)
    if row is None:
        raise DeliveryNotFound()
    payload = orjson.loads(row.pop("payload"))
    return {**row, "payload": payload, "attempts": await repository.list_attempts(session, delivery_id)}


async def redeliver(session: TenantSession, *, webhook_id: uuid.UUID, delivery_id: uuid.UUID) -> dict[str, Any]:
    """Send a delivery again, whatever its state: pending and due now, with a fresh series of retries."""
    subscription = await service.get(session, webhook_id=webhook_id)
    if not subscription["enabled"]:
        raise WebhookDisabled()
    row = await repository.requeue_delivery(session, webhook_id, delivery_id)
    if row is None:
        raise DeliveryNotFound()
    return row


def retry_delay(series_attempts: int, schedule: Sequence[float]) -> timedelta | None:
    """How long to wait after the ``series_attempts``-th failed try in a row; None when no retry is left."""
    if series_attempts > len(schedule):
        return None
    base = schedule[series_attempts - 1]
    return timedelta(seconds=base * (1 + random.uniform(0, RETRY_JITTER)))


async def record_attempt(
    session: TenantSession,
    *,
    delivery_id: uuid.UUID,
    token: uuid.UUID,
    result: AttemptResult,
    url: str,
    schedule: Sequence[float],
) -> str | None:
    """Log the try, then settle the delivery: succeeded, pending (due after the schedule's delay), or failed.

    Returns the new status; None for a try whose claim was overtaken (a manual redelivery meanwhile),
    which is logged but settles nothing, or whose delivery was deleted.
    """
    delivery = await repository.lock_delivery(session, delivery_id)
    if delivery is None:
        return None
    number = delivery.attempt_count + 1
    ours = delivery.claim_token == token
    await repository.insert_attempt(
        session,
        delivery_id,
        {
            "number": number,
            "attempted_at": result.attempted_at,
            "trigger": "manual" if ours and delivery.manual_requested else "scheduled",
            "response_status": result.response_status,
            "duration_ms": result.duration_ms,
            "error": result.error,
            "response_excerpt": result.response_excerpt,
        },
    )
    values: dict[str, Any] = {
        "attempt_count": number,
        "last_attempt_at": result.attempted_at,
        "last_response_status": result.response_status,
        "last_error": result.error,
    }
    status: str | None = None
    if ours:
        series = delivery.series_attempts + 1
        delay = None if result.succeeded else retry_delay(series, schedule)
        status = "succeeded" if result.succeeded else ("pending" if delay is not None else "failed")
        values |= {
            "status": status,
            "series_attempts": series,
            "claim_token": None,
            "manual_requested": False,
            "next_attempt_at": datetime.now(UTC) + delay if delay is not None else None,
        }
    await repository.update_delivery(session, delivery_id, values)
    if status == "failed":
        await _announce_dead(
            session, delivery_id=delivery_id, delivery=delivery, attempts=number, result=result, url=url
        )
    return status


async def _announce_dead(
    session: TenantSession,
    *,
    delivery_id: uuid.UUID,
    delivery: repository.LockedDelivery,
    attempts: int,
    result: AttemptResult,
    url: str,
) -> None:
    assert session.tenant_id is not None
    data = {
        "delivery_id": delivery_id,
        "webhook_id": delivery.subscription_id,
        "url": url,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempts": attempts,
        "last_response_status": result.response_status,
        "last_error": result.error,
    }
    event = webhook_event(
        WEBHOOK_DELIVERY_FAILED, tenant_id=session.tenant_id, webhook_id=delivery.subscription_id, data=data
    )
    await record_event(session, event)
