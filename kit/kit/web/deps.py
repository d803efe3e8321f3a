"""Dependencies declared once and used by name in every service's endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import AfterValidator

from kit.db.database import Database, TenantSession
from kit.errors import Forbidden, NotFound, Unauthorized
from kit.identity import Identity, InternalTokenVerifier, Role
from kit.pagination import MAX_LIMIT, Cursor
from kit.tenancy import TENANT_ID_PATTERN


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_identity(request: Request) -> Identity:
    """The caller as the gateway vouches for it; anything else is refused."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a gateway-signed bearer token is required")
    verifier: InternalTokenVerifier = request.app.state.verifier
    return verifier.verify(token)


CurrentIdentity = Annotated[Identity, Depends(get_identity)]
DatabaseDep = Annotated[Database, Depends(get_database)]
TenantPath = Annotated[str, Path(pattern=TENANT_ID_PATTERN, description="The tenant (municipality) id")]


def _a_cursor(text: str | None) -> str | None:
    if text is not None:
        Cursor.decode(text)
    return text


CursorQuery = Annotated[
    str | None,
    Query(max_length=200, description="The `next_cursor` of the previous page"),
    AfterValidator(_a_cursor),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]


@dataclass(frozen=True)
class TenantScope:
    """What a tenant-scoped endpoint works with: the caller, acting for the tenant in the URL, and the database.

    One dependency rather than a chain: FastAPI solves each dependency on every request.
    """

    tenant_id: str
    identity: Identity
    database: Database


async def get_tenant_scope(request: Request, tenant_id: TenantPath, identity: CurrentIdentity) -> TenantScope:
    """The caller, if it acts for the tenant in the URL; another tenant's resources do not exist for it."""
    if identity.tenant_id != tenant_id:
        raise NotFound()
    return TenantScope(tenant_id, identity, await get_database(request))


TenantScopeDep = Annotated[TenantScope, Depends(get_tenant_scope)]


def require_role(identity: Identity, *roles: Role) -> None:
    """Refuse (403) a caller who holds none of ``roles``."""
    if not identity.has_role(*roles):
        raise Forbidden(f"This needs one of the roles {', '.join(sorted(role.value for role in roles))}.")


def tenant_scope_for(*roles: Role) -> Callable[..., Awaitable[TenantScope]]:
    """A tenant scope that also requires one of ``roles``; another tenant's caller still gets 404 first."""

    async def scope_with_role(scope: TenantScopeDep) -> TenantScope:
        require_role(scope.identity, *roles)
        return scope

    return scope_with_role


def identity_with(*roles: Role) -> Callable[..., Awaitable[Identity]]:
    """The caller, who must hold one of ``roles`` (for endpoints outside a tenant's scope)."""

    async def identity_with_role(identity: CurrentIdentity) -> Identity:
        require_role(identity, *roles)
        return identity

    return identity_with_role


async def get_tenant_session(scope: TenantScopeDep) -> AsyncIterator[TenantSession]:
    """One transaction per request, committed before the response is sent."""
    async with scope.database.transaction(scope.tenant_id) as session:
        yield session


TenantSessionDep = Annotated[TenantSession, Depends(get_tenant_session, scope="function")]
