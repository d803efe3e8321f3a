"""Dependencies declared once and used by name in every service's endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Request

from kit.db.database import Database, TenantSession
from kit.errors import NotFound, Unauthorized
from kit.identity import Identity, InternalTokenVerifier
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


async def get_tenant_identity(tenant_id: TenantPath, identity: CurrentIdentity) -> Identity:
    """The caller, if it acts for the tenant in the URL; another tenant's resources do not exist for it."""
    if identity.tenant_id != tenant_id:
        raise NotFound()
    return identity


TenantIdentity = Annotated[Identity, Depends(get_tenant_identity)]


async def get_tenant_session(database: DatabaseDep, identity: TenantIdentity) -> AsyncIterator[TenantSession]:
    """One transaction per request, committed before the response is sent."""
    async with database.transaction(identity.tenant_id) as session:
        yield session


TenantSessionDep = Annotated[TenantSession, Depends(get_tenant_session, scope="function")]
