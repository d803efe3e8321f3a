"""The scopes the gateway enforces on its routes are exactly those the tenants service lets a client hold."""

from __future__ import annotations

from typing import get_args

from gateway.routes import ROUTES
from tenants.client.schemas import Scope


def test_every_scope_a_route_needs_can_be_granted_and_every_grantable_scope_opens_a_route() -> None:
    enforced = {scope for route in ROUTES for scope in (route.read_scope, route.write_scope) if scope is not None}

    assert enforced == set(get_args(Scope))
