"""The metrics service's API: ``uvicorn --factory metrics.app:create_app``."""

from __future__ import annotations

from fastapi import FastAPI

from kit.app import create_service_app
from metrics.billing.endpoints import router as bills_router
from metrics.calls.endpoints import router as calls_router
from metrics.compliance.endpoints import router as compliance_router
from metrics.figures.endpoints import router as figures_router
from metrics.reports.endpoints import router as reports_router
from metrics.settings import get_settings
from metrics.staffing.endpoints import router as staffing_router


def create_app() -> FastAPI:
    """Build the metrics API from the environment's settings."""
    return create_service_app(
        get_settings(),
        title="Zentrale metrics",
        description=(
            "Call events and contact and ticket facts rolled up per tenant into KPIs, SLA compliance, "
            "breach alerts, cost allocation and staffing forecasts."
        ),
        routers=[calls_router, figures_router, compliance_router, bills_router, reports_router, staffing_router],
    )
