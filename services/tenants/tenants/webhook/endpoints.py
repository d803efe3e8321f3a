"""HTTP endpoints for a tenant's webhook subscriptions and deliveries."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from kit.concurrency import etag
from kit.identity import Role
from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery, TenantScope, TenantSessionDep, tenant_scope_for
from kit.web.problems import problem_responses
from tenants.settings import TenantsSettings
from tenants.webhook import deliveries, service
from tenants.webhook.schemas import (
    DeliveryDetail,
    DeliveryList,
    DeliveryRead,
    DeliveryStatus,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from tenants.webhook.targets import TargetPolicy

router = APIRouter(tags=["webhooks"])

WebhookAdmin = Annotated[TenantScope, Depends(tenant_scope_for(Role.OPERATOR, Role.TENANT_ADMIN))]
IfMatch = Annotated[str | None, Header(description="The ETag of the version you change")]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=200, description="Repeat a create safely: the same key and body answer the first result"),
]

BASE = "/tenants/{tenant_id}/webhooks"
ONE = BASE + "/{webhook_id}"
DELIVERY = ONE + "/deliveries/{delivery_id}"


def _settings(request: Request) -> TenantsSettings:
    settings: TenantsSettings = request.app.state.settings
    return settings


async def get_target_policy(request: Request) -> TargetPolicy:
    return TargetPolicy.from_settings(_settings(request))


Policy = Annotated[TargetPolicy, Depends(get_target_policy)]


def _read(row: dict[str, object], response: Response) -> WebhookRead:
    webhook = WebhookRead.model_validate(row)
    response.headers["ETag"] = etag(webhook.version)
    return webhook


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookCreated,
    responses=problem_responses(400, 401, 403, 404, 413, 422),
)
async def create_webhook(
    data: WebhookCreate,
    scope: WebhookAdmin,
    session: TenantSessionDep,
    policy: Policy,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WebhookCreated:
    """Subscribe a URL to the tenant's events; the answer shows the signing secret, this once."""
    row = await service.create(session, data=data, policy=policy, idempotency_key=idempotency_key)
    created = WebhookCreated.model_validate(row)
    response.headers["ETag"] = etag(created.version)
    response.headers["Location"] = f"/v1/tenants/{scope.tenant_id}/webhooks/{created.id}"
    return created


@router.get(BASE, response_model=WebhookList, responses=problem_responses(401, 403, 404, 422))
async def list_webhooks(
    _: WebhookAdmin, session: TenantSessionDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> WebhookList:
    """List the tenant's webhook subscriptions, newest first."""
    rows, next_cursor = await service.list_page(session, cursor=cursor, limit=limit)
    return WebhookList(items=[WebhookRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get(ONE, response_model=WebhookRead, responses=problem_responses(401, 403, 404, 422))
async def get_webhook(
    webhook_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep, response: Response
) -> WebhookRead:
    """Read one webhook subscription (without its secret)."""
    return _read(await service.get(session, webhook_id=webhook_id), response)


@router.patch(ONE, response_model=WebhookRead, responses=problem_responses(400, 401, 403, 404, 412, 413, 422, 428))
async def update_webhook(
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    _: WebhookAdmin,
    session: TenantSessionDep,
    policy: Policy,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookRead:
    """Change a subscription's URL, event types, description or state; send the ETag you read as If-Match."""
    row = await service.update(session, webhook_id=webhook_id, data=data, if_match=if_match, policy=policy)
    return _read(row, response)


@router.delete(
    ONE, status_code=status.HTTP_204_NO_CONTENT, response_class=Response, responses=problem_responses(401, 403, 404)
)
async def delete_webhook(webhook_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep) -> Response:
    """Delete a subscription, its pending deliveries and its delivery log."""
    await service.delete(session, webhook_id=webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(ONE + "/rotate-secret", response_model=WebhookSecret, responses=problem_responses(401, 403, 404))
async def rotate_webhook_secret(
    webhook_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep, request: Request
) -> WebhookSecret:
    """Replace the signing secret; the old one keeps signing beside it for the overlap the operator set."""
    overlap = timedelta(seconds=_settings(request).webhook_secret_overlap)
    row = await service.rotate_secret(session, webhook_id=webhook_id, overlap=overlap, now=datetime.now(UTC))
    return WebhookSecret.model_validate(row)


@router.post(
    ONE + "/test",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    responses=problem_responses(401, 403, 404, 409),
)
async def send_test_delivery(webhook_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep) -> DeliveryRead:
    """Send a `tenants.webhook.tested.v1` event to this subscription alone."""
    return DeliveryRead.model_validate(await deliveries.send_test(session, webhook_id=webhook_id))


@router.get(ONE + "/deliveries", response_model=DeliveryList, responses=problem_responses(401, 403, 404, 422))
async def list_deliveries(
    webhook_id: uuid.UUID,
    _: WebhookAdmin,
    session: TenantSessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this state")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> DeliveryList:
    """List a subscription's deliveries, newest first."""
    rows, next_cursor = await deliveries.list_page(
        session, webhook_id=webhook_id, status=status, cursor=cursor, limit=limit
    )
    return DeliveryList(items=[DeliveryRead.model_validate(row) for row in rows], next_cursor=next_cursor)


@router.get(DELIVERY, response_model=DeliveryDetail, responses=problem_responses(401, 403, 404, 422))
async def get_delivery(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep
) -> DeliveryDetail:
    """Read one delivery with its body and the log of every attempt."""
    row = await deliveries.get(session, webhook_id=webhook_id, delivery_id=delivery_id)
    return DeliveryDetail.model_validate(row)


@router.post(
    DELIVERY + "/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def redeliver(
    webhook_id: uuid.UUID, delivery_id: uuid.UUID, _: WebhookAdmin, session: TenantSessionDep
) -> DeliveryRead:
    """Send a delivery again now, with a fresh series of retries, whatever its state."""
    row = await deliveries.redeliver(session, webhook_id=webhook_id, delivery_id=delivery_id)
    return DeliveryRead.model_validate(row)
