"""The public read API of a municipality's knowledge, for its web site: published descriptions and its offices.

Nothing here needs a role: the gateway lets a request without credentials in as the tenant's anonymous
public, and the municipality's staff read the very same copy. As the answer depends on no request
header (not on the caller, and nothing is negotiated or compressed), shared caches may keep it for
everyone and no ``Vary`` is needed. Problems are never kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from kit.pagination import DEFAULT_LIMIT
from kit.web.deps import CursorQuery, LimitQuery
from kit.web.problems import problem_responses
from knowledge.deps import PublicScope
from knowledge.description import service as descriptions
from knowledge.office import service as offices
from knowledge.public import service
from knowledge.public.schemas import (
    PublicDescription,
    PublicDescriptionList,
    PublicDescriptionRead,
    PublicOffice,
    PublicOfficeList,
)

CACHE_CONTROL = "public, max-age=300"
NO_STORE = "no-store"
PATH = "/tenants/{tenant_id}/public"
DESCRIPTIONS = PATH + "/descriptions"
OFFICES = PATH + "/offices"

_CACHE_HEADERS: dict[str, Any] = {
    "ETag": {"description": "Strong tag of this body; send it as If-None-Match", "schema": {"type": "string"}},
    "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": _CACHE_HEADERS},
    304: {"description": "The copy named in If-None-Match is current; no body", "headers": _CACHE_HEADERS},
    **problem_responses(401, 404, 422),
}


class PublicRoute(APIRoute):
    """A public read whose problems no cache keeps: they are sent with ``Cache-Control: no-store``.

    A shared cache may otherwise keep a 404 on its own judgement (RFC 9111 §4.2.2) and go on hiding a
    description after it is published. The app's problem handlers render errors inside the route, so the
    header is added to every answer the route sends with a status of 400 or more.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_problems_uncached(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] >= status.HTTP_400_BAD_REQUEST:
                MutableHeaders(scope=message)["Cache-Control"] = NO_STORE
            await send(message)

        await super().handle(scope, receive, send_problems_uncached)


router = APIRouter(tags=["public"], route_class=PublicRoute)


@dataclass(frozen=True)
class Conditional:
    """What shapes an answer besides its content: the tag of the client's copy, and whether only the head is wanted."""

    if_none_match: str | None
    head: bool


async def get_conditional(
    request: Request,
    if_none_match: Annotated[str | None, Header(description="The ETag of the copy you hold")] = None,
) -> Conditional:
    """Read the request's conditions once, for whichever public read answers it."""
    return Conditional(if_none_match=if_none_match, head=request.method == "HEAD")


ConditionalDep = Annotated[Conditional, Depends(get_conditional)]


def cacheable(document: BaseModel, conditional: Conditional) -> Response:
    """``document`` tagged for caches; 304 without a body when the client's copy is current."""
    body = document.model_dump_json().encode()
    headers = {"ETag": service.entity_tag(body), "Cache-Control": CACHE_CONTROL}
    if service.not_modified(conditional.if_none_match, headers["ETag"]):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    if conditional.head:
        return Response(media_type="application/json", headers=headers | {"Content-Length": str(len(body))})
    return Response(body, media_type="application/json", headers=headers)


# HEAD is registered apart from GET and kept out of the OpenAPI document, where one route with both methods
# would list two operations under one id; registered second, it leaves GET in a 405's Allow header.


@router.head(DESCRIPTIONS, include_in_schema=False)
@router.get(DESCRIPTIONS, response_model=PublicDescriptionList, responses=_RESPONSES)
async def list_public_descriptions(
    scope: PublicScope, conditional: ConditionalDep, cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT
) -> Response:
    """List the municipality's published service descriptions, newest first."""
    async with scope.database.transaction(scope.tenant_id) as session:
        items, next_cursor = await descriptions.agent_list(session, cursor=cursor, limit=limit)
    document = PublicDescriptionList(
        items=[PublicDescription.model_validate(item) for item in items], next_cursor=next_cursor
    )
    return cacheable(document, conditional)


@router.head(DESCRIPTIONS + "/{description_id}", include_in_schema=False)
@router.get(DESCRIPTIONS + "/{description_id}", response_model=PublicDescriptionRead, responses=_RESPONSES)
async def get_public_description(
    scope: PublicScope, description_id: uuid.UUID, conditional: ConditionalDep
) -> Response:
    """Read a published description as the municipality publishes it, with the offices responsible for it."""
    async with scope.database.transaction(scope.tenant_id) as session:
        view = await descriptions.agent_view(session, description_id=description_id)
    return cacheable(PublicDescriptionRead.model_validate(view), conditional)


@router.head(OFFICES, include_in_schema=False)
@router.get(OFFICES, response_model=PublicOfficeList, responses=_RESPONSES)
async def list_public_offices(scope: PublicScope, conditional: ConditionalDep) -> Response:
    """List the municipality's offices by name."""
    rows = await offices.list_all(scope.database, tenant_id=scope.tenant_id)
    return cacheable(PublicOfficeList(items=[PublicOffice.model_validate(row) for row in rows]), conditional)


@router.head(OFFICES + "/{office_id}", include_in_schema=False)
@router.get(OFFICES + "/{office_id}", response_model=PublicOffice, responses=_RESPONSES)
async def get_public_office(scope: PublicScope, office_id: uuid.UUID, conditional: ConditionalDep) -> Response:
    """Read one office: its address, opening hours, phone and e-mail."""
    row = await offices.get(scope.database, tenant_id=scope.tenant_id, office_id=office_id)
    return cacheable(PublicOffice.model_validate(row), conditional)
