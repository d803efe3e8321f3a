"""Rules for a tenant's webhook subscriptions."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

from kit.concurrency import check_if_match
from kit.db.database import TenantSession
from kit.events import record_event
from kit.pagination import Cursor, page
from tenants.events.published import (
    WEBHOOK_CREATED,
    WEBHOOK_DELETED,
    WEBHOOK_SECRET_ROTATED,
    WEBHOOK_UPDATED,
    webhook_event,
)
from tenants.tenant import repository as tenants
from tenants.tenant.errors import TenantNotFound
from tenants.webhook import repository
from tenants.webhook.errors import IdempotencyKeyReused, TargetNotAllowed, WebhookNotFound
from tenants.webhook.schemas import WebhookCreate, WebhookUpdate
from tenants.webhook.signing import new_secret
from tenants.webhook.targets import TargetPolicy, TargetRefused, check_target


async def _allowed_target(url: str, policy: TargetPolicy) -> None:
    try:
        await check_target(url, policy)
    except TargetRefused as refused:
        raise TargetNotAllowed(str(refused)) from None


def _tenant(session: TenantSession) -> str:
    assert session.tenant_id is not None
    return session.tenant_id


async def create(
    session: TenantSession, *, data: WebhookCreate, policy: TargetPolicy, idempotency_key: str | None
) -> dict[str, Any]:
    """Subscribe ``data.url``; the result carries the new secret. A repeated Idempotency-Key replays the first."""
    request_hash = hashlib.sha256(data.model_dump_json().encode()).hexdigest()
    if idempotency_key is not None and (replayed := await _replay(session, idempotency_key, request_hash)):
        return replayed
    await _allowed_target(data.url, policy)
    if not await tenants.exists(session):
        raise TenantNotFound()
    secret = new_secret()
    values = {
        **data.model_dump(),
        "id": uuid.uuid4(),
        "secret": secret,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
    }
    row = await repository.insert_subscription(session, values)
    if row is None:
        assert idempotency_key is not None
        replayed = await _replay(session, idempotency_key, request_hash)
        assert replayed is not None
        return replayed
    tenant = _tenant(session)
    await record_event(session, webhook_event(WEBHOOK_CREATED, tenant_id=tenant, webhook_id=row["id"], data=row))
    return {**row, "secret": secret}


async def _replay(session: TenantSession, idempotency_key: str, request_hash: str) -> dict[str, Any] | None:
    existing = await repository.subscription_by_idempotency_key(session, idempotency_key)
    if existing is None:
        return None
    if existing.pop("request_hash") != request_hash:
        raise IdempotencyKeyReused()
    return existing


async def get(session: TenantSession, *, webhook_id: uuid.UUID, lock: bool = False) -> dict[str, Any]:
    row = await repository.get_subscription(session, webhook_id, lock=lock)
    if row is None:
        raise WebhookNotFound()
    return row


async def list_page(
    session: TenantSession, *, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the tenant's subscriptions, newest first, and the cursor of the next."""
    after = Cursor.decode(cursor) if cursor is not None else None
    return page(await repository.list_subscriptions(session, after=after, limit=limit + 1), limit)


async def update(
    session: TenantSession, *, webhook_id: uuid.UUID, data: WebhookUpdate, if_match: str | None, policy: TargetPolicy
) -> dict[str, Any]:
    """Change what was sent; disabling pauses pending deliveries, enabling makes them due."""
    current = await get(session, webhook_id=webhook_id, lock=True)
    check_if_match(if_match, current["version"])
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return current
    if "url" in changes:
        await _allowed_target(changes["url"], policy)
    row = await repository.update_subscription(session, webhook_id, changes)
    assert row is not None
    if row["enabled"] != current["enabled"]:
        if row["enabled"]:
            await repository.resume_pending(session, webhook_id)
        else:
            await repository.pause_pending(session, webhook_id)
    tenant = _tenant(session)
    await record_event(session, webhook_event(WEBHOOK_UPDATED, tenant_id=tenant, webhook_id=webhook_id, data=row))
    return row


async def delete(session: TenantSession, *, webhook_id: uuid.UUID) -> None:
    """Delete a subscription with its pending deliveries and its delivery log."""
    if not await repository.delete_subscription(session, webhook_id):
        raise WebhookNotFound()
    tenant = _tenant(session)
    event = webhook_event(WEBHOOK_DELETED, tenant_id=tenant, webhook_id=webhook_id, data={"id": webhook_id})
    await record_event(session, event)


async def rotate_secret(
    session: TenantSession, *, webhook_id: uuid.UUID, overlap: timedelta, now: datetime
) -> dict[str, Any]:
    """A new signing secret; for ``overlap`` deliveries are also signed with the old one."""
    secret = new_secret()
    expires = now + overlap if overlap > timedelta(0) else None
    if not await repository.rotate_secret(session, webhook_id, secret=secret, previous_expires_at=expires):
        raise WebhookNotFound()
    tenant = _tenant(session)
    data = {"id": webhook_id, "previous_secret_expires_at": expires}
    await record_event(
        session, webhook_event(WEBHOOK_SECRET_ROTATED, tenant_id=tenant, webhook_id=webhook_id, data=data)
    )
    return {"secret": secret, "previous_secret_expires_at": expires}
