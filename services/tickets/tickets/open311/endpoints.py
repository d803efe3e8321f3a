"""Open311 GeoReport v2 for each municipality: its services, and requests citizens send through apps and portals.

Every resource is served as ``.json`` or ``.xml``. Anyone may read (the gateway passes the public as an
anonymous caller of the tenant); posting a request needs the API key of one of the municipality's
integration clients. Every error on these routes is Open311's error list (see ``render``).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.routing import APIRoute
from pydantic import AwareDatetime

from kit.identity import Role
from kit.web.deps import TenantScope, TenantScopeDep
from tickets.deps import IdempotencyKey
from tickets.open311 import render, schemas, service
from tickets.open311.errors import ApiKeyRequired, FormatNotFound, MethodNotAllowed, PathNotFound, UnsupportedBody
from tickets.open311.render import Format, Open311Route
from tickets.open311.schemas import (
    Discovery,
    Endpoint,
    Open311Errors,
    RequestCreated,
    Service,
    ServiceDefinition,
    ServiceRequest,
    TokenAnswer,
)

WRITE_SCOPE = "open311:write"
OPEN311 = "/tenants/{tenant_id}/open311"
_FORM = "application/x-www-form-urlencoded"
_MAX_FIELDS = 500

open311_router = APIRouter(tags=["open311"], route_class=Open311Route)

Fmt = Annotated[str, Path(description="The format: `json` or `xml`", examples=["json"])]
JurisdictionQuery = Annotated[
    str | None,
    Query(max_length=200, description="The municipality's Open311 jurisdiction; the URL names it already"),
]


def _comma_list(description: str) -> Any:
    return Query(max_length=40_000, description=f"{description}, comma-separated")


def _responses(ok: int = 200) -> dict[int | str, dict[str, Any]]:
    """The answers besides JSON: the same document in XML, and Open311's error list (in either format)."""
    described: dict[int | str, str] = {
        400: "Fields that are wrong, each named",
        403: "No or a bad API key",
        404: "Not found",
        "4XX": "Another refusal (a method the resource does not answer)",
    }
    errors: dict[int | str, dict[str, Any]] = {
        status: {"model": Open311Errors, "description": description} for status, description in described.items()
    }
    return {ok: {"content": {"text/xml": {}}}, **errors}


def _format(fmt: str) -> Format:
    if fmt == "json":
        return "json"
    if fmt == "xml":
        return "xml"
    raise FormatNotFound()


async def _writer(scope: TenantScopeDep) -> TenantScope:
    """The caller, if it may post requests: an integration client of the municipality, with the write scope."""
    identity = scope.identity
    if identity.kind == "anonymous" or not identity.has_role(Role.INTEGRATION_CLIENT):
        raise ApiKeyRequired()
    if identity.kind == "client" and WRITE_SCOPE not in identity.scopes:
        raise ApiKeyRequired()
    return scope


WriterScope = Annotated[TenantScope, Depends(_writer)]


@open311_router.get(f"{OPEN311}/discovery.{{fmt}}", response_model=Discovery, responses=_responses())
async def discovery(scope: TenantScopeDep, fmt: Fmt, jurisdiction_id: JurisdictionQuery = None) -> Response:
    """Tell where the municipality's GeoReport v2 endpoint is, since when it is as it is, and what it speaks."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        place = await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        changed = await service.changeset(conn, place)
    document = Discovery(
        changeset=schemas.local(changed, place.zone),
        contact=place.name,
        key_service=f"API keys are issued by {place.name} to the integration clients it admits.",
        endpoints=[
            Endpoint(url=f"/v1/tenants/{scope.tenant_id}/open311", changeset=schemas.local(changed, place.zone))
        ],
    )
    return render.answer(shown, document, root="discovery")


@open311_router.get(f"{OPEN311}/services.{{fmt}}", response_model=list[Service], responses=_responses())
async def list_services(scope: TenantScopeDep, fmt: Fmt, jurisdiction_id: JurisdictionQuery = None) -> Response:
    """List the request types citizens can send to the municipality."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        rows = await service.services(conn)
    return render.answer(shown, [schemas.service(row) for row in rows], root="services")


@open311_router.get(
    f"{OPEN311}/services/{{service_code}}.{{fmt}}",
    response_model=ServiceDefinition,
    responses=_responses(),
)
async def get_service_definition(
    scope: TenantScopeDep, service_code: str, fmt: Fmt, jurisdiction_id: JurisdictionQuery = None
) -> Response:
    """Show a request type with the questions a request of it answers (``attribute[code]`` when posting)."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        kind = await service.service(conn, code=service_code)
    return render.answer(shown, schemas.service_definition(kind["code"], kind["attributes"]), root="service_definition")


@open311_router.post(
    f"{OPEN311}/requests.{{fmt}}",
    status_code=201,
    response_model=list[RequestCreated],
    responses=_responses(201),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                _FORM: {"schema": schemas.RequestCreate.model_json_schema()},
                "application/json": {"schema": schemas.RequestCreate.model_json_schema()},
            },
            "description": "Attributes as `attribute[code]=value`; several values of one as `attribute[code][]=…`",
        }
    },
)
async def post_request(
    request: Request, scope: WriterScope, fmt: Fmt, idempotency_key: IdempotencyKey = None
) -> Response:
    """Send a request: it becomes a web contact forwarded at once as a ticket, and is answered with its id."""
    shown = _format(fmt)
    data = schemas.posted_request(await _posted_fields(request))
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        ticket_id, replayed = await service.create_request(
            conn, scope.identity, data=data, idempotency_key=idempotency_key
        )
    headers = {"Location": f"/v1/tenants/{scope.tenant_id}/open311/requests/{ticket_id}.{shown}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    created = [RequestCreated(service_request_id=str(ticket_id), account_id=data.account_id)]
    return render.answer(shown, created, root="service_requests", status_code=201, headers=headers)


async def _posted_fields(request: Request) -> list[tuple[str, Any]]:
    """The fields of a posted request: the body's (form or JSON), then those of the query the body lacks."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    pairs: list[tuple[str, Any]]
    try:
        if media == _FORM or (not media and not body):
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
        elif media == "application/json" or media.endswith("+json"):
            document = orjson.loads(body)
            if not isinstance(document, dict):
                raise UnsupportedBody()
            pairs = list(document.items())
        else:
            raise UnsupportedBody()
    except (UnicodeDecodeError, ValueError) as error:
        raise UnsupportedBody() from error
    named = {name for name, _ in pairs}
    return pairs + [(name, value) for name, value in request.query_params.multi_items() if name not in named]


@open311_router.get(f"{OPEN311}/requests.{{fmt}}", response_model=list[ServiceRequest], responses=_responses())
async def list_requests(
    scope: TenantScopeDep,
    fmt: Fmt,
    jurisdiction_id: JurisdictionQuery = None,
    service_request_id: Annotated[str | None, _comma_list("Requests by id (nothing else counts then)")] = None,
    service_code: Annotated[str | None, _comma_list("Requests of these services")] = None,
    start_date: Annotated[
        AwareDatetime | None, Query(description="Requested at or after (default: 90 days before end_date)")
    ] = None,
    end_date: Annotated[AwareDatetime | None, Query(description="Requested at or before (default: now)")] = None,
    status: Annotated[str | None, _comma_list("`open` or `closed`")] = None,
) -> Response:
    """List requests, the latest first: 90 days at most, 1,000 at most; no caller data, no citizen's text."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        place = await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        rows = await service.list_requests(
            conn,
            ids=_items(service_request_id),
            service_codes=_items(service_code),
            statuses=_items(status),
            start=start_date,
            end=end_date,
        )
    return render.answer(shown, [schemas.service_request(row, place.zone) for row in rows], root="service_requests")


def _items(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


@open311_router.get(
    f"{OPEN311}/requests/{{service_request_id}}.{{fmt}}",
    response_model=list[ServiceRequest],
    responses=_responses(),
)
async def get_request(
    scope: TenantScopeDep, service_request_id: str, fmt: Fmt, jurisdiction_id: JurisdictionQuery = None
) -> Response:
    """Show one request: open or closed, by when it is expected, the municipality's latest public note."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        place = await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        row = await service.get_request(conn, service_request_id=service_request_id)
    return render.answer(shown, [schemas.service_request(row, place.zone)], root="service_requests")


@open311_router.get(f"{OPEN311}/tokens/{{token}}.{{fmt}}", response_model=list[TokenAnswer], responses=_responses())
async def resolve_token(
    scope: TenantScopeDep, token: str, fmt: Fmt, jurisdiction_id: JurisdictionQuery = None
) -> Response:
    """Tell which request a token stands for: requests are taken at once, so a request's id is its token."""
    shown = _format(fmt)
    async with scope.database.lean_transaction(scope.tenant_id) as conn:
        await service.jurisdiction(conn, jurisdiction_id=jurisdiction_id)
        ticket_id = await service.resolve_token(conn, token=token)
    return render.answer(shown, [TokenAnswer(service_request_id=str(ticket_id), token=token)], root="service_requests")


@open311_router.api_route(
    f"{OPEN311}/{{rest:path}}",
    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    include_in_schema=False,
)
async def elsewhere(tenant_id: str, rest: str) -> Response:
    """Answer a path or method Open311 does not have, in Open311's terms."""
    path = OPEN311.format(tenant_id=tenant_id) + "/" + rest
    allowed = sorted(
        {
            method
            for route in open311_router.routes
            if isinstance(route, APIRoute) and route.endpoint is not elsewhere and route.path_regex.match(path)
            for method in route.methods or ()
        }
    )
    if allowed:
        raise MethodNotAllowed(allowed)
    raise PathNotFound()
