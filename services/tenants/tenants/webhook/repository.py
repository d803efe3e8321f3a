"""All SQL of webhooks. Every query runs for one tenant, except the dispatcher's claim and purge, which
see deliveries (and only deliveries) of every tenant through ``DISPATCH_SETTING``."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert

from kit.db.database import TenantSession
from kit.pagination import Cursor
from tenants.webhook.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookSubscription

DISPATCH_SETTING = "app.webhook_dispatch"
NOTIFY_CHANNEL = "zentrale_webhooks"

_S = WebhookSubscription
_D = WebhookDelivery
_A = WebhookDeliveryAttempt

_SUBSCRIPTION = (
    _S.id,
    _S.url,
    _S.event_types,
    _S.description,
    _S.enabled,
    _S.version,
    _S.created_at,
    _S.updated_at,
)
_DELIVERY = (
    _D.id,
    _D.subscription_id.label("webhook_id"),
    _D.event_id,
    _D.event_type,
    _D.status,
    _D.attempt_count,
    _D.next_attempt_at,
    _D.last_attempt_at,
    _D.last_response_status,
    _D.last_error,
    _D.created_at,
    _D.updated_at,
)
_ATTEMPT = (
    _A.number,
    _A.attempted_at,
    _A.trigger,
    _A.response_status,
    _A.duration_ms,
    _A.error,
    _A.response_excerpt,
)


def _tenant(session: TenantSession) -> str:
    tenant = session.tenant_id
    if tenant is None:
        raise RuntimeError("webhook rows are written in a tenant's transaction")
    return tenant


async def _first(session: TenantSession, statement: Any) -> dict[str, Any] | None:
    row = (await session.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def _all(session: TenantSession, statement: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in await session.execute(statement)]


# Subscriptions


async def insert_subscription(session: TenantSession, values: Mapping[str, Any]) -> dict[str, Any] | None:
    """Insert a subscription; None if its idempotency key is taken."""
    statement = (
        insert(_S)
        .values(tenant_id=_tenant(session), **values)
        .on_conflict_do_nothing(index_elements=[_S.tenant_id, _S.idempotency_key])
        .returning(*_SUBSCRIPTION)
    )
    return await _first(session, statement)


async def subscription_by_idempotency_key(session: TenantSession, key: str) -> dict[str, Any] | None:
    statement = select(*_SUBSCRIPTION, _S.secret, _S.request_hash).where(_S.idempotency_key == key)
    return await _first(session, statement)


async def get_subscription(
    session: TenantSession, subscription_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any] | None:
    statement = select(*_SUBSCRIPTION).where(_S.id == subscription_id)
    return await _first(session, statement.with_for_update() if lock else statement)


async def list_subscriptions(session: TenantSession, *, after: Cursor | None, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` subscriptions after ``after``, newest first."""
    statement = select(*_SUBSCRIPTION).order_by(_S.created_at.desc(), _S.id.desc()).limit(limit)
    if after is not None:
        statement = statement.where(tuple_(_S.created_at, _S.id) < tuple_(after.at, after.id))
    return await _all(session, statement)


async def update_subscription(
    session: TenantSession, subscription_id: uuid.UUID, values: Mapping[str, Any]
) -> dict[str, Any] | None:
    statement = (
        update(_S)
        .where(_S.id == subscription_id)
        .values(**values, version=_S.version + 1, updated_at=func.now())
        .returning(*_SUBSCRIPTION)
    )
    return await _first(session, statement)


async def delete_subscription(session: TenantSession, subscription_id: uuid.UUID) -> bool:
    statement = delete(_S).where(_S.id == subscription_id).returning(_S.id)
    return (await session.execute(statement)).first() is not None


async def rotate_secret(
    session: TenantSession, subscription_id: uuid.UUID, *, secret: str, previous_expires_at: datetime | None
) -> bool:
    """Make ``secret`` the signing secret; the old one keeps signing until ``previous_expires_at`` (None: not)."""
    statement = (
        update(_S)
        .where(_S.id == subscription_id)
        .values(
            previous_secret=_S.secret if previous_expires_at is not None else None,
            previous_secret_expires_at=previous_expires_at,
            secret=secret,
            updated_at=func.now(),
        )
        .returning(_S.id)
    )
    return (await session.execute(statement)).first() is not None


async def pause_pending(session: TenantSession, subscription_id: uuid.UUID) -> None:
    """Nothing of a disabled subscription is due; its pending deliveries wait."""
    await session.execute(
        update(_D)
        .where(_D.subscription_id == subscription_id, _D.status == "pending")
        .values(next_attempt_at=None, claim_token=None, updated_at=func.now())
    )


async def resume_pending(session: TenantSession, subscription_id: uuid.UUID) -> None:
    """A re-enabled subscription's waiting deliveries are due now."""
    resumed = await session.execute(
        update(_D)
        .where(_D.subscription_id == subscription_id, _D.status == "pending", _D.next_attempt_at.is_(None))
        .values(next_attempt_at=func.now(), updated_at=func.now())
        .returning(_D.id)
    )
    if resumed.first() is not None:
        await notify_dispatcher(session)


# Deliveries, as the API and the event handler see them


async def receiving_subscriptions(session: TenantSession, *, since: datetime) -> list[dict[str, Any]]:
    """The enabled subscriptions that existed at ``since``, with their event type filters."""
    statement = select(_S.id, _S.event_types).where(_S.enabled.is_(True), _S.created_at <= since)
    return await _all(session, statement)


async def insert_deliveries(
    session: TenantSession,
    *,
    subscription_ids: Sequence[uuid.UUID],
    event_id: uuid.UUID,
    event_type: str,
    payload: bytes,
    manual: bool = False,
) -> list[dict[str, Any]]:
    """One due delivery per subscription of the event; none where one exists. Returns the new ones."""
    tenant = _tenant(session)
    rows = [
        {
            "tenant_id": tenant,
            "id": uuid.uuid4(),
            "subscription_id": subscription_id,
            "event_id": event_id,
            "event_type": event_type,
            "payload": payload,
            "manual_requested": manual,
            "next_attempt_at": func.now(),
        }
        for subscription_id in subscription_ids
    ]
    statement = (
        insert(_D)
        .values(rows)
        .on_conflict_do_nothing(index_elements=[_D.tenant_id, _D.subscription_id, _D.event_id])
        .returning(*_DELIVERY)
    )
    created = await _all(session, statement)
    if created:
        await notify_dispatcher(session)
    return created


async def notify_dispatcher(session: TenantSession) -> None:
    """Wake the dispatchers when this transaction commits."""
    await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})


async def list_deliveries(
    session: TenantSession, subscription_id: uuid.UUID, *, status: str | None, after: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` deliveries of a subscription after ``after``, newest first."""
    statement = (
        select(*_DELIVERY)
        .where(_D.subscription_id == subscription_id)
        .order_by(_D.created_at.desc(), _D.id.desc())
        .limit(limit)
    )
    if status is not None:
        statement = statement.where(_D.status == status)
    if after is not None:
        statement = statement.where(tuple_(_D.created_at, _D.id) < tuple_(after.at, after.id))
    return await _all(session, statement)


async def get_delivery(
    session: TenantSession, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any] | None:
    statement = select(*_DELIVERY, _D.payload).where(_D.subscription_id == subscription_id, _D.id == delivery_id)
    return await _first(session, statement)


async def list_attempts(session: TenantSession, delivery_id: uuid.UUID) -> list[dict[str, Any]]:
    statement = select(*_ATTEMPT).where(_A.delivery_id == delivery_id).order_by(_A.number)
    return await _all(session, statement)


async def requeue_delivery(
    session: TenantSession, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any] | None:
    """Pending again with a fresh series of tries, due now."""
    statement = (
        update(_D)
        .where(_D.subscription_id == subscription_id, _D.id == delivery_id)
        .values(
            status="pending",
            series_attempts=0,
            next_attempt_at=func.now(),
            claim_token=None,
            manual_requested=True,
            updated_at=func.now(),
        )
        .returning(*_DELIVERY)
    )
    row = await _first(session, statement)
    if row is not None:
        await notify_dispatcher(session)
    return row


# Deliveries, as the dispatcher sees them


@dataclass(frozen=True)
class Claim:
    """A due delivery one dispatcher took until ``lease`` ends, known by its ``token``."""

    tenant_id: str
    delivery_id: uuid.UUID
    token: uuid.UUID


@dataclass(frozen=True)
class Target:
    """What a claimed delivery sends, and where."""

    event_id: uuid.UUID
    event_type: str
    payload: bytes
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    enabled: bool


@dataclass(frozen=True)
class LockedDelivery:
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    attempt_count: int
    series_attempts: int
    claim_token: uuid.UUID | None
    manual_requested: bool


async def _dispatching(session: TenantSession) -> None:
    await session.execute(text("SELECT set_config(:name, 'on', true)"), {"name": DISPATCH_SETTING})


async def claim_due(session: TenantSession, *, limit: int, lease_seconds: float) -> list[Claim]:
    """Take up to ``limit`` due deliveries of any tenant that no other dispatcher holds.

    The lease moves ``next_attempt_at`` past the longest try, so a dispatcher that dies mid-try
    leaves its deliveries due again once the lease ends.
    """
    await _dispatching(session)
    due = (
        select(_D.tenant_id, _D.id)
        .where(_D.status == "pending", _D.next_attempt_at <= func.now())
        .order_by(_D.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("due")
    )
    statement = (
        update(_D)
        .where(_D.tenant_id == due.c.tenant_id, _D.id == due.c.id)
        .values(
            claim_token=func.gen_random_uuid(),
            next_attempt_at=func.now() + timedelta(seconds=lease_seconds),
        )
        .returning(_D.tenant_id, _D.id, _D.claim_token)
    )
    claims = []
    for tenant_id, delivery_id, token in (await session.execute(statement)).all():
        assert token is not None
        claims.append(Claim(tenant_id=tenant_id, delivery_id=delivery_id, token=token))
    return claims


async def claimed_target(session: TenantSession, delivery_id: uuid.UUID, token: uuid.UUID) -> Target | None:
    """The claimed delivery's payload and its subscription's URL and secrets; None if no longer ours."""
    statement = (
        select(
            _D.event_id,
            _D.event_type,
            _D.payload,
            _S.url,
            _S.secret,
            _S.previous_secret,
            _S.previous_secret_expires_at,
            _S.enabled,
        )
        .join(_S, (_S.tenant_id == _D.tenant_id) & (_S.id == _D.subscription_id))
        .where(_D.id == delivery_id, _D.claim_token == token, _D.status == "pending")
    )
    row = await _first(session, statement)
    return None if row is None else Target(**row)


async def release_paused(session: TenantSession, delivery_id: uuid.UUID, token: uuid.UUID) -> None:
    """A claimed delivery whose subscription was disabled meanwhile waits for it."""
    await session.execute(
        update(_D)
        .where(_D.id == delivery_id, _D.claim_token == token)
        .values(next_attempt_at=None, claim_token=None, updated_at=func.now())
    )


async def lock_delivery(session: TenantSession, delivery_id: uuid.UUID) -> LockedDelivery | None:
    statement = (
        select(
            _D.subscription_id,
            _D.event_id,
            _D.event_type,
            _D.attempt_count,
            _D.series_attempts,
            _D.claim_token,
            _D.manual_requested,
        )
        .where(_D.id == delivery_id)
        .with_for_update()
    )
    row = await _first(session, statement)
    return None if row is None else LockedDelivery(**row)


async def insert_attempt(session: TenantSession, delivery_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(insert(_A).values(tenant_id=_tenant(session), delivery_id=delivery_id, **values))


async def update_delivery(session: TenantSession, delivery_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    await session.execute(update(_D).where(_D.id == delivery_id).values(**values, updated_at=func.now()))


async def purge_finished(session: TenantSession, *, older_than_seconds: float) -> int:
    """Delete every tenant's deliveries (and their attempts) that finished before the retention."""
    await _dispatching(session)
    cutoff = func.now() - timedelta(seconds=older_than_seconds)
    statement = delete(_D).where(_D.status != "pending", _D.updated_at < cutoff).returning(_D.id)
    return len((await session.execute(statement)).all())
