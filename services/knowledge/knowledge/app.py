"""The knowledge service's API: ``uvicorn --factory knowledge.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from knowledge.description.endpoints import router as description_router
from knowledge.exchange.endpoints import router as exchange_router
from knowledge.feedback.endpoints import router as feedback_router
from knowledge.office.endpoints import router as office_router
from knowledge.public.endpoints import router as public_router
from knowledge.search.endpoints import router as search_router
from knowledge.settings import get_settings


def create_app() -> FastAPI:
    """Build the knowledge API from the environment's settings."""
    return create_service_app(
        get_settings(),
        title="Zentrale knowledge",
        description=(
            "Service descriptions, shared articles with per-tenant overrides, responsible offices, contacts "
            "and opening hours, with review, publishing, versions and German full-text search."
        ),
        routers=[description_router, office_router, public_router, feedback_router, search_router, exchange_router],
        # A municipality's whole XZuFi export: typically a few MB, up to about 50 MB.
        large_bodies={"/v1/tenants/{tenant_id}/knowledge/imports": 64 * 1024 * 1024},
    )
