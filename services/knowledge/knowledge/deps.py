"""The knowledge service's dependencies: a tenant scope that also requires the tenant to be served here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends

from kit.errors import Forbidden, NotFound
from kit.identity import Role
from kit.web.deps import TenantScope, TenantScopeDep, require_role
from knowledge.directory import repository as directory


async def get_public_scope(scope: TenantScopeDep) -> TenantScope:
    """The caller's tenant scope, for a municipality this service serves; anyone, the public included."""
    if not await directory.is_known(scope.database, scope.tenant_id):
        raise NotFound("No such tenant.")
    return scope


PublicScope = Annotated[TenantScope, Depends(get_public_scope)]


async def get_known_scope(scope: PublicScope) -> TenantScope:
    """The same for the municipality's people and clients: the public reads only the public routes."""
    if scope.identity.kind == "anonymous":
        raise Forbidden("The public reads only a municipality's public routes.")
    return scope


KnownScope = Annotated[TenantScope, Depends(get_known_scope)]


def known_scope_for(*roles: Role) -> Callable[..., Awaitable[TenantScope]]:
    """A known tenant's scope that also requires one of ``roles``; another tenant's caller still gets 404 first."""

    async def scope_with_role(scope: KnownScope) -> TenantScope:
        require_role(scope.identity, *roles)
        return scope

    return scope_with_role


# Who keeps a municipality's own knowledge: its admins and knowledge editors (the host's act through grants).
EditorScope = Annotated[TenantScope, Depends(known_scope_for(Role.TENANT_ADMIN, Role.KNOWLEDGE_EDITOR, Role.OPERATOR))]
