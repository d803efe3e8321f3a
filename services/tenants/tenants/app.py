"""The tenants service's API: ``uvicorn --factory tenants.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from tenants.audit.endpoints import router as audit_router
from tenants.client.endpoints import router as client_router
from tenants.contract.endpoints import router as contract_router
from tenants.department.endpoints import router as department_router
from tenants.grant.endpoints import router as grant_router
from tenants.line.endpoints import router as line_router
from tenants.settings import get_settings
from tenants.tenant.endpoints import router as tenant_router
from tenants.webhook.endpoints import router as webhook_router


def create_app() -> FastAPI:
    return create_service_app(
        get_settings(),
        title="Zentrale tenants",
        description="Municipalities, cooperation contracts, calendars, departments, API clients, grants and webhooks.",
        routers=[
            audit_router,
            tenant_router,
            contract_router,
            department_router,
            line_router,
            client_router,
            grant_router,
            webhook_router,
        ],
    )
